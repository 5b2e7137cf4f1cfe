"""Events the engine emits. The TUI, the console view and the JSON-lines stream
are three renderers of these. Every event has a stable JSON form."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(kw_only=True)
class Event:
    kind: str = field(init=False, default="event")
    time: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        """The versioned JSON line (installer.model.eventjson)."""
        from installer.model.eventjson import encode

        return encode(self)


@dataclass(kw_only=True)
class StepStarted(Event):
    kind: str = field(init=False, default="step-started")
    step: str
    index: int
    total: int
    title: str = ""


@dataclass(kw_only=True)
class StepFinished(Event):
    kind: str = field(init=False, default="step-finished")
    step: str
    seconds: float = 0.0
    skipped: bool = False


@dataclass(kw_only=True)
class Progress(Event):
    """Progress inside a step: `done` of `total` units (actions, packages, bytes)."""

    kind: str = field(init=False, default="progress")
    step: str
    done: float
    total: float
    unit: str = "items"
    item: str = ""  # current action / package
    bytes_done: int | None = None
    bytes_total: int | None = None


@dataclass(kw_only=True)
class Log(Event):
    kind: str = field(init=False, default="log")
    level: str = "info"  # debug | info | warning | error
    message: str = ""
    step: str | None = None


@dataclass(kw_only=True)
class Failed(Event):
    kind: str = field(init=False, default="failed")
    step: str
    message: str
    log_tail: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Finished(Event):
    kind: str = field(init=False, default="finished")
    seconds: float = 0.0
    dry_run: bool = False


EventSink = Callable[[Event], None]


def discard(_event: Event) -> None:
    return None


class RateLimiter:
    """Lets Progress events through at most every `interval` seconds (the last always passes)."""

    def __init__(self, sink: EventSink, interval: float = 0.1):
        self.sink = sink
        self.interval = interval
        self._last = 0.0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Progress) and event.done < event.total:
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            self._last = now
        self.sink(event)
