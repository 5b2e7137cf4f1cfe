"""The versioned JSON-lines form of engine events: one object per line, the same for
`azl-install install --json-events`, the event socket under /run/azl-install/ and any
report client. docs/events.schema.json describes it; bump SCHEMA_VERSION on any change
that a reader written for the old form would misread (new optional fields do not count)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from installer.model.events import Event, Failed, Finished, Log, Progress, StepFinished, StepStarted

SCHEMA_VERSION = 1
SCHEMA_ID = "https://azurelinux.dev/azl-install/events.schema.json"

KINDS: dict[str, type[Event]] = {
    cls.__dataclass_fields__["kind"].default: cls  # type: ignore[misc]
    for cls in (StepStarted, StepFinished, Progress, Log, Failed, Finished)
}


class EventDecodeError(ValueError):
    pass


def to_record(event: Event) -> dict[str, Any]:
    record = dataclasses.asdict(event)
    record["v"] = SCHEMA_VERSION
    return record


def encode(event: Event) -> str:
    """One JSON line (without the newline), keys sorted, ASCII only."""
    return json.dumps(to_record(event), sort_keys=True, ensure_ascii=True, allow_nan=False)


def decode(line: str | bytes) -> Event:
    """The event a line encodes. Unknown keys are ignored (newer writers may add optional fields);
    an unknown kind or a newer major version is an error."""
    try:
        record = json.loads(line)
    except ValueError as exc:
        raise EventDecodeError(f"not JSON: {exc}") from None
    if not isinstance(record, dict):
        raise EventDecodeError("an event is a JSON object")
    version = record.get("v")
    if version != SCHEMA_VERSION:
        raise EventDecodeError(f"event schema version {version!r} is not {SCHEMA_VERSION}")
    cls = KINDS.get(record.get("kind"))  # type: ignore[arg-type]
    if cls is None:
        raise EventDecodeError(f"unknown event kind {record.get('kind')!r}")
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    try:
        return cls(**{k: v for k, v in record.items() if k in names})
    except TypeError as exc:
        raise EventDecodeError(f"{record.get('kind')}: {exc}") from None
