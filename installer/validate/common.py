"""Shared pieces of plan validation: collecting diagnostics and finding the line to blame."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from installer.model.diagnostics import Diagnostic
from installer.model.plan import InstallPlan, Origin, Tracked

MIB = 1024**2
GIB = 1024**3


class Report:
    """Collects the diagnostics of one validation run.

    `fallback` is where plan-wide problems (something missing) are reported when no
    line is responsible: the end of the main kickstart, as compilers report a
    missing closing brace.
    """

    def __init__(self, plan: InstallPlan, partial: Iterable[str] = ()):
        self.plan = plan
        self.diagnostics: list[Diagnostic] = []
        self.fallback = _end_of_file(plan)
        self.area: str | None = None  # the plan section being checked: the TUI's field when none is given
        # Areas missing a kickstart line that was refused: gap() checks there are skipped, and counted.
        self.partial = frozenset(partial)
        self.skipped: dict[str, int] = {}

    def error(self, message: str, origin: Origin | None, field: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, origin or self.fallback, "error", field or self.area))

    def warning(self, message: str, origin: Origin | None, field: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, origin or self.fallback, "warning", field or self.area))

    def gap(self, message: str, origin: Origin | None, field: str | None = None, severity: str = "error") -> None:
        """An error about something missing or undefined, which a refused line of the same area may explain.

        Reported unless the area is partial (see installer.kickstart.files.KickstartResult.partial):
        then the refusal is the error to fix, and repeating it as "no root filesystem" would mislead.
        """
        area = (field or self.area or "").split(".", 1)[0]
        if area in self.partial:
            self.skipped[area] = self.skipped.get(area, 0) + 1
            return
        self.diagnostics.append(Diagnostic(message, origin or self.fallback, severity, field or self.area))


def _end_of_file(plan: InstallPlan) -> Origin | None:
    if not plan.source_file:
        return None
    text = plan.source_text or ""
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    return Origin.kickstart(plan.source_file, max(lines, 1))


def origin(section: Tracked | None, *fields: str) -> Origin | None:
    """The origin of the first of `fields` that has one (kickstart lines before defaults)."""
    if section is None:
        return None
    found = [section.origin_of(f) for f in fields]
    for o in found:
        if o is not None and o.line is not None:
            return o
    for o in found:
        if o is not None:
            return o
    return None


def first_origin(origins: Iterable[Origin | None]) -> Origin | None:
    for o in origins:
        if o is not None and o.line is not None:
            return o
    return None


def from_kickstart(o: Origin | None) -> bool:
    return o is not None and o.source == "kickstart"


def suggest(word: str, choices: Iterable[str]) -> str:
    """ ' (did you mean X?)' when a close match exists, else ''."""
    if not word:
        return ""
    same_start = [c for c in sorted(choices) if c[:1].lower() == word[:1].lower()]
    match = difflib.get_close_matches(word, same_start, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def gib(n_bytes: float) -> str:
    """Sizes in messages: GiB with one decimal, MiB below 1 GiB."""
    if n_bytes >= GIB:
        return f"{n_bytes / GIB:.1f} GiB"
    return f"{n_bytes / MIB:.0f} MiB"


def mib(n_mib: float) -> str:
    return gib(n_mib * MIB)


def where(o: Origin | None, here: Origin | None = None) -> str:
    """' at line N' (same file as `here`) or ' at FILE:N', to point at a second line in a message."""
    if o is None or o.line is None:
        return ""
    if here is not None and here.file == o.file:
        return f" at line {o.line}"
    return f" at {o}"
