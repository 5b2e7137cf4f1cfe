"""Where the boot loader goes when /boot (or /) is mirrored: a firmware partition on every RAID1 disk.

Two views of the same question. Before partitioning, from the plan's requests: which
disks (--ondisk) hold the RAID1 members under /boot, so that a biosboot or an extra
ESP can be requested on each. After the layout exists, from blivet's devices (duck
typed: this module does not import blivet): which whole disks get GRUB and which
ESPs are spares to fill with a copy of the mounted one.
"""

from __future__ import annotations

from typing import Any, Iterable

from installer.model.plan import PartitionRequest, RaidRequest, StorageConfig

ESP_FORMAT = "efi"
BIOSBOOT_FORMAT = "biosboot"


def raid_level(level: str) -> str:
    level = str(level).lower()
    return level if level.startswith("raid") else f"raid{level}"


def platform_format(firmware: str, disklabel: str) -> str | None:
    """The partition the firmware needs on a disk it may boot from: an ESP (UEFI), biosboot (BIOS + GPT)."""
    if firmware == "uefi":
        return ESP_FORMAT
    return BIOSBOOT_FORMAT if disklabel == "gpt" else None


# ---------------------------------------------------------------- from the requests (before partitioning)

def _mountpoints(st: StorageConfig) -> set[str]:
    found = {r.mountpoint for r in [*st.partitions, *st.raids, *st.logvols]}
    return found | {r.mountpoint for r in st.btrfs if r.mountpoint}


def boot_mirrors(st: StorageConfig) -> list[RaidRequest]:
    """The RAID1 requests /boot is built on (/ when there is no separate /boot): directly, or under its LVM."""
    target = "/boot" if "/boot" in _mountpoints(st) else "/"
    raids = {r.mountpoint: r for r in st.raids}
    stack: list[RaidRequest] = []
    if target in raids:
        stack.append(raids[target])
    for lv in (lv for lv in st.logvols if lv.mountpoint == target):
        for vg in (vg for vg in st.volgroups if vg.name == lv.vgname):
            stack += [raids[pv] for pv in vg.physvols if pv in raids]
    return [r for r in stack if raid_level(r.level) == "raid1" and len(r.members) > 1]


def boot_mirror_members(st: StorageConfig) -> list[PartitionRequest]:
    """The part requests behind the boot mirrors, in the order the raid lines name them."""
    parts = {p.mountpoint: p for p in st.partitions}
    return [parts[m] for r in boot_mirrors(st) for m in r.members if m in parts]


def is_platform_request(req: PartitionRequest, esp_mountpoint: str) -> str | None:
    """The platform format a `part` line asks for (biosboot, or the ESP at /boot/efi), if any."""
    if req.mountpoint == "biosboot":
        return BIOSBOOT_FORMAT
    if req.mountpoint == esp_mountpoint:
        return ESP_FORMAT
    return None


# ---------------------------------------------------------------- from blivet's devices (after the layout)

def _by_mountpoint(devices: Iterable[Any], mountpoint: str) -> Any:
    return next((d for d in devices if getattr(d.format, "mountpoint", None) == mountpoint), None)


def boot_device(devices: Iterable[Any]) -> Any:
    devices = list(devices)
    return _by_mountpoint(devices, "/boot") or _by_mountpoint(devices, "/")


def mirror_arrays(dev: Any) -> list[Any]:
    """The RAID1 arrays in the stack of `dev` (itself included)."""
    if dev is None:
        return []
    stack = [dev, *dev.ancestors]
    return [d for d in stack if d.type == "mdarray" and raid_level(d.level) == "raid1"]


def mirror_disks(devices: Iterable[Any]) -> list[Any]:
    """The whole disks of the RAID1 arrays under /boot (or /), by name; empty without such a mirror."""
    disks = {d.name: d for array in mirror_arrays(boot_device(devices)) for d in array.disks}
    return [disks[name] for name in sorted(disks)] if len(disks) > 1 else []


def has_platform_partition(disk: Any, fmt: str) -> bool:
    """A biosboot (kept or new) or a new ESP among the disk's partitions: a kept ESP belongs to someone else."""
    for part in disk.children:
        if part.format.type == fmt and (fmt == BIOSBOOT_FORMAT or not part.format.exists):
            return True
    return False


def boot_loader_disks(devices: Iterable[Any], planned_boot_disk: Any = None) -> list[Any]:
    """The whole disks that get GRUB: each disk of a mirror under /boot (or /); otherwise the one disk
    holding /boot, or, when / spans several disks without mirroring, the one with the biosboot partition
    (the planner's boot disk on msdos)."""
    devices = list(devices)
    mirrored = mirror_disks(devices)
    if mirrored:
        return mirrored
    dev = boot_device(devices)
    if dev is None:
        return []
    disks = sorted(dev.disks, key=lambda d: d.name)
    if len(disks) <= 1:
        return disks
    candidates = [d for d in disks if has_platform_partition(d, BIOSBOOT_FORMAT)] or disks
    return [planned_boot_disk] if planned_boot_disk in candidates else candidates[:1]


def spare_esps(devices: Iterable[Any]) -> list[Any]:
    """New ESPs without a mountpoint: the copies of /boot/efi on the other disks of a mirror."""
    found = [d for d in devices if d.format.type == ESP_FORMAT and not d.format.exists
             and not getattr(d.format, "mountpoint", None)]
    return sorted(found, key=lambda d: d.name)
