"""Which disks hold the running system or the mounted install medium.

Follows a mount down to whole disks through sysfs: partitions to their disk,
device-mapper and md devices through slaves/, loop devices through their
backing file to the mount holding that file, overlay mounts through their
lower and upper directories. Only reads /proc/self/mountinfo and sysfs, both
passed in so the walk can be checked against a made-up tree.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# Where live environments keep the medium: the running root, Anaconda's
# repository mount, dracut's dmsquash-live, Debian live-boot.
LIVE_MOUNTPOINTS = ("/", "/run/install/repo", "/run/install/isodir", "/run/initramfs/live",
                    "/run/rootfsbase", "/run/live/medium", "/lib/live/mount/medium")

_MAX_DEPTH = 16


@dataclass(frozen=True)
class Mount:
    major: int
    minor: int
    mountpoint: str
    fstype: str
    source: str
    superopts: str


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[Mount]:
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        sep = fields.index("-", 6)
        try:
            major, minor = (int(x) for x in fields[2].split(":"))
            fstype, source = fields[sep + 1], _unescape(fields[sep + 2])
        except (ValueError, IndexError):
            continue
        superopts = fields[sep + 3] if len(fields) > sep + 3 else ""
        mounts.append(Mount(major, minor, _unescape(fields[4]), fstype, source, superopts))
    return mounts


def mount_at(mounts: list[Mount], path: str) -> Mount | None:
    """The mount visible at exactly `path` (the last one stacked there)."""
    found = [m for m in mounts if m.mountpoint == path]
    return found[-1] if found else None


def mount_containing(mounts: list[Mount], path: str) -> Mount | None:
    best = None
    for m in mounts:
        mp = m.mountpoint
        if path == mp or path.startswith(mp.rstrip("/") + "/"):
            if best is None or len(mp) >= len(best.mountpoint):
                best = m
    return best


class BackingResolver:
    def __init__(self, mounts: list[Mount], sys_root: str | Path = "/sys", dev_root: str | Path = "/dev"):
        self.mounts = mounts
        self.sys = Path(sys_root)
        self.dev = Path(dev_root)

    def _read(self, path: Path) -> str | None:
        try:
            return path.read_text().strip()
        except OSError:
            return None

    def block_name(self, major: int, minor: int) -> str | None:
        try:
            return os.path.basename(os.readlink(self.sys / "dev" / "block" / f"{major}:{minor}"))
        except OSError:
            return None

    def disks_of_block(self, name: str, depth: int = 0) -> set[str]:
        if depth > _MAX_DEPTH:
            return set()
        node = self.sys / "class" / "block" / name
        if not node.exists():
            return set()
        if (node / "partition").exists():
            parent = node.resolve().parent.name
            return self.disks_of_block(parent, depth + 1) if parent != name else {name}
        try:
            slaves = sorted(os.listdir(node / "slaves"))
        except OSError:
            slaves = []
        if slaves:
            out: set[str] = set()
            for s in slaves:
                out |= self.disks_of_block(s, depth + 1)
            return out
        backing = self._read(node / "loop" / "backing_file")
        if backing is not None:
            return self.disks_of_path(backing.removesuffix(" (deleted)"), depth + 1)
        return {name}

    def disks_of_path(self, path: str, depth: int = 0) -> set[str]:
        m = mount_containing(self.mounts, path)
        return self.disks_of_mount(m, depth) if m else set()

    def disks_of_mount(self, m: Mount, depth: int = 0) -> set[str]:
        if depth > _MAX_DEPTH:
            return set()
        out: set[str] = set()
        name = self.block_name(m.major, m.minor) if m.major else None
        if name is None and m.source.startswith("/dev/"):
            # btrfs and others report an anonymous device number; the source still names the device.
            try:
                name = os.path.basename(os.path.realpath(m.source))
            except OSError:
                name = None
        if name:
            out |= self.disks_of_block(name, depth + 1)
        if m.fstype == "overlay":
            for opt in m.superopts.split(","):
                key, _, value = opt.partition("=")
                if key in ("lowerdir", "upperdir"):
                    for d in value.split(":"):
                        if d:
                            out |= self.disks_of_path(_unescape(d), depth + 1)
        return out

    def disks_under(self, mountpoints: tuple[str, ...] = LIVE_MOUNTPOINTS) -> set[str]:
        out: set[str] = set()
        for mp in mountpoints:
            m = mount_at(self.mounts, mp)
            if m is not None:
                out |= self.disks_of_mount(m)
        return out


def live_backing_disks(mountinfo: str | None = None, sys_root: str | Path = "/sys",
                       mountpoints: tuple[str, ...] = LIVE_MOUNTPOINTS) -> set[str]:
    """Kernel names of the disks under the running root and the install medium."""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text()
        except OSError:
            return set()
    return BackingResolver(parse_mountinfo(mountinfo), sys_root).disks_under(mountpoints)
