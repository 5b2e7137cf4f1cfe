"""Errors and warnings about a plan, each tied to where the bad value came from."""

from __future__ import annotations

import re
from dataclasses import dataclass

from installer.model.plan import Origin
from installer.model.secrets import redact_urls

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def visible(text: str) -> str:
    """Control characters from the input (a newline joined in by a backslash, an escape
    sequence) shown as escapes: one diagnostic stays one FILE:LINE line on any terminal."""
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


@dataclass(frozen=True)
class Diagnostic:
    message: str
    origin: Origin | None = None
    severity: str = "error"  # error | warning
    field: str | None = None  # the plan field / TUI field it concerns

    def __post_init__(self) -> None:
        # Messages quote values; a URL's password is never among what they show (printed, JSON, events).
        object.__setattr__(self, "message", visible(redact_urls(self.message)))

    def __str__(self) -> str:
        where = str(self.origin) if self.origin is not None else (self.field or "plan")
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class PlanError(Exception):
    """Raised when a plan cannot be built or used; carries every diagnostic found."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.is_error]
