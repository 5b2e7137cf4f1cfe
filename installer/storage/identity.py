"""At apply time, before anything is written: are the disks on this machine still the disks the
plan was made (and confirmed) for? %pre scripts, hot-plug and a recorded profile (`install
--machine`) all run between the probe and the storage step."""

from __future__ import annotations

from installer.model.diagnostics import Diagnostic, PlanError
from installer.model.machine import Disk, Machine, human_size


def _seen(disk: Disk) -> str:
    return f"{disk.name} (serial {disk.serial or '?'}, WWN {disk.wwn or '?'}, {human_size(disk.size)})"


def identity_problems(chosen: list[Disk], current: Machine) -> list[str]:
    """Every way the chosen disks (as the plan saw them) differ from the disks on `current`."""
    problems = []
    for planned in chosen:
        now = current.disk(planned.name)
        if now is None:
            problems.append(f"{_seen(planned)} is no longer on this machine")
            continue
        if now.is_live_medium:
            problems.append(f"{now.name} is now the installation medium")
            continue
        if now.readonly:
            problems.append(f"{now.name} is read-only now")
        for what in ("serial", "wwn"):
            was, is_ = getattr(planned, what), getattr(now, what)
            if was and was != is_:
                problems.append(f"{planned.name}: {what} {is_ or 'none'} now, the plan saw {was}")
            elif not was and is_:
                problems.append(f"{planned.name}: has {what} {is_} now, the plan saw none")
        if planned.size != now.size:
            problems.append(f"{planned.name}: {human_size(now.size)} ({now.size} bytes) now, "
                            f"the plan saw {human_size(planned.size)} ({planned.size} bytes)")
    return problems


def check_identity(chosen: list[Disk], current: Machine) -> None:
    """Refuse (PlanError, nothing written) when a chosen disk is not the disk the plan saw."""
    problems = identity_problems(chosen, current)
    if problems:
        raise PlanError([Diagnostic("the disks changed since the plan was made; nothing was changed: "
                                    + "; ".join(problems), None, field="disks")])


def check_touched(touched: set[str], chosen: list[Disk], current: Machine) -> None:
    """Refuse when the scheduled actions reach a disk the plan did not select, or the live medium."""
    allowed = {d.name for d in chosen}
    live = {d.name for d in current.disks if d.is_live_medium}
    outside = sorted(touched - allowed)
    medium = sorted(touched & live)
    if outside or medium:
        what = []
        if medium:
            what.append(f"the installation medium {', '.join(medium)}")
        if outside:
            what.append(f"disks the plan did not select: {', '.join(outside)}")
        raise PlanError([Diagnostic("refusing to write to " + " and ".join(what) + "; nothing was changed", None,
                                    field="disks")])
