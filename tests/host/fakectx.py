"""A stand-in for the engine's InstallContext: records events, logs to the test log."""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from installer.events import Log, Progress


@dataclass
class Ctx:
    plan: object
    product: object
    target: Path
    dry_run: bool = False
    events_seen: list = field(default_factory=list)
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("test.payload"))

    def events(self, event) -> None:
        self.events_seen.append(event)

    def run(self, cmd, *, chroot=False, input=None, check=True):
        return subprocess.run(cmd, input=input, check=check, capture_output=True, text=True)

    def warnings(self) -> list[str]:
        return [e.message for e in self.events_seen if isinstance(e, Log) and e.level == "warning"]

    def progress(self) -> list[Progress]:
        return [e for e in self.events_seen if isinstance(e, Progress)]
