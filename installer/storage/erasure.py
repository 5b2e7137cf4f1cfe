"""What a plan destroys, read from the storage layer's own action list: the single source of
what every front end shows as erased (TUI summary, console countdown, `install` prompt) and of
the checks at apply time. Duck-typed over blivet actions: no blivet import here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from installer.model.machine import Disk, Machine
from installer.storage.results import DiskErasure


def destroys_existing(action: Any, machine_disk: Disk | None = None) -> bool:
    """A destroy action that loses something that exists: a device, or a recognised format.

    A blank disk's "destroy format signatures" (no partition table, nothing blkid recognises)
    loses nothing: the new partition table replaces nothing. A disk the probe saw something on
    (a filesystem or table blivet has no format for, e.g. ZFS) is not blank."""
    if not action.is_destroy:
        return False
    if action.is_device:
        return True
    if action.format.type is not None:
        return True
    return machine_disk is not None and bool(machine_disk.fstype or machine_disk.ptable or machine_disk.partitions)


def destroyed_key(action: Any) -> str:
    """What an action destroys, named the same way in a preview and on the real disks."""
    if action.is_device:
        return f"device {action.device.name}"
    return f"format {action.format.type} on {action.device.name}"


def erasures(actions: list[Any], machine: Machine, disk_name: Callable[[Any], str],
             describe: Callable[[Any], str]) -> list[DiskErasure]:
    """One entry per machine disk that loses something, in machine order."""
    by_disk: dict[str, list[str]] = {}
    for action in actions:
        recorded = machine.disk(disk_name(action.device)) if getattr(action.device, "is_disk", False) else None
        if not destroys_existing(action, recorded):
            continue
        text = describe(action)
        if recorded is not None and action.is_format and action.format.type is None:
            what = recorded.fstype or (f"{recorded.ptable} partition table" if recorded.ptable else "data")
            text = f"destroy {what} on {recorded.name} (no format the installer knows)"
        for disk in action.device.disks:
            by_disk.setdefault(disk_name(disk), []).append(text)
    result = []
    for d in machine.disks:
        if d.name in by_disk:
            result.append(DiskErasure(disk=d.name, identity=identity(d), now=contents(d),
                                      destroyed=by_disk.pop(d.name)))
    for name, destroyed in by_disk.items():  # not in the machine model: say so rather than hide it
        result.append(DiskErasure(disk=name, identity=f"{name} (not in the probe data)", now="unknown",
                                  destroyed=destroyed))
    return result


def identity(disk: Disk) -> str:
    """Model, size and serial: enough for a person to tell disks apart."""
    from installer.model.machine import human_size

    model = " ".join(x for x in (disk.vendor, disk.model) if x) or "disk"
    return f"{disk.name}  {model}  {human_size(disk.size)}  serial {disk.serial or 'unknown'}"


def contents(disk: Disk) -> str:
    """What is on a disk now, in one line."""
    from installer.model.machine import human_size

    if disk.is_live_medium:
        return "live installation medium - cannot be selected"
    if disk.fstype:
        return f"whole-disk {disk.fstype}" + (f" '{disk.label}'" if disk.label else "")
    if not disk.partitions:
        return "empty" + (f" ({disk.ptable} partition table)" if disk.ptable else "")
    parts = []
    for p in disk.partitions[:4]:
        what = p.fstype or "unformatted"
        if p.label:
            what += f" '{p.label}'"
        parts.append(f"{what} {human_size(p.size)}")
    more = f", +{len(disk.partitions) - 4} more" if len(disk.partitions) > 4 else ""
    free = max(disk.size - disk.used_bytes, 0)
    return f"{disk.ptable or '?'}: {', '.join(parts)}{more}; {human_size(free)} free"


def confirmation_lines(erased: list[DiskErasure]) -> list[str]:
    """The text a person confirms: every disk that loses data, what is on it now, what goes."""
    lines = []
    for e in erased:
        lines.append(e.identity)
        lines.append(f"    now: {e.now}")
        lines.append(f"    erases: {'; '.join(e.destroyed)}")
    return lines


def unconfirmed_losses(expected_disks: set[str], expected_keys: set[str], actions: list[Any], machine: Machine,
                       disk_name: Callable[[Any], str]) -> list[str]:
    """What the real actions destroy beyond what the preview (the list a person confirmed, or the
    kickstart's clearing as planned on the probed machine) showed: disks that lose something the
    preview said lose nothing, and existing partitions it did not list."""
    problems = []
    for action in actions:
        recorded = machine.disk(disk_name(action.device)) if getattr(action.device, "is_disk", False) else None
        if not destroys_existing(action, recorded):
            continue
        disks = sorted({disk_name(d) for d in action.device.disks} - expected_disks)
        if disks:
            problems.append(f"{', '.join(disks)}: {destroyed_key(action)} (the plan showed nothing erased there)")
        elif action.is_device and action.device.type == "partition" and destroyed_key(action) not in expected_keys:
            problems.append(f"{destroyed_key(action)} (not in the plan's list of what is erased)")
    return problems
