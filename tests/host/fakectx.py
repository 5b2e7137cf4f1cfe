"""The engine's real InstallContext, recording the events a step emits."""

from __future__ import annotations

import logging
from pathlib import Path

from installer.context import InstallContext
from installer.model.events import Log, Progress
from installer.model.machine import Machine


class Ctx(InstallContext):
    def __init__(self, plan, product, target, *, cmdline: str = "", log: logging.Logger | None = None):
        self.events_seen: list = []
        super().__init__(plan=plan, machine=Machine(), product=product, target=Path(target),
                         events=self.events_seen.append, log=log or logging.getLogger("test.payload"),
                         live_cmdline=cmdline)

    def warned(self) -> list[str]:
        return [e.message for e in self.events_seen if isinstance(e, Log) and e.level == "warning"]

    def progress(self) -> list[Progress]:
        return [e for e in self.events_seen if isinstance(e, Progress)]
