"""Mounting and unmounting the target tree (plain mount/umount, no blivet).

The filesystems go under the target root in mountpoint order; the API
filesystems (/proc, /sys, /dev, /dev/pts, /run, efivars) follow so that chroot
steps work. unmount_all() takes down everything below the target root, deepest
first, whoever mounted it, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from installer.storage.fstab import mount_order_key

EFIVARS = "/sys/firmware/efi/efivars"


class MountError(RuntimeError):
    pass


@dataclass(frozen=True)
class MountSpec:
    device: str  # /dev/... path
    mountpoint: str  # inside the target: /, /boot, ...
    fstype: str  # as mount(8) knows it: xfs, ext4, vfat, btrfs
    options: str = "defaults"


def _run(argv: list[str]) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode != 0:
        raise MountError(f"{' '.join(argv)}: {proc.stderr.strip() or 'exit status %d' % proc.returncode}")


def target_path(target_root: str, mountpoint: str) -> str:
    return os.path.join(target_root, mountpoint.lstrip("/")).rstrip("/") or "/"


def mount_filesystems(specs: list[MountSpec], target_root: str) -> list[str]:
    """Mount the target's filesystems, parents first. Returns the host paths mounted, in order."""
    done: list[str] = []
    for spec in sorted(specs, key=lambda s: mount_order_key(s.mountpoint)):
        where = target_path(target_root, spec.mountpoint)
        Path(where).mkdir(parents=True, exist_ok=True)
        argv = ["mount", "-t", spec.fstype]
        if spec.options and spec.options != "defaults":
            argv += ["-o", spec.options]
        _run(argv + [spec.device, where])
        done.append(where)
    return done


def mount_api_filesystems(target_root: str) -> list[str]:
    """/proc, /sys, /dev, /dev/pts, /run (and efivars on UEFI) inside the target, for chroot steps."""
    plan = [
        (["mount", "-t", "proc", "proc"], "proc"),
        (["mount", "-t", "sysfs", "sysfs"], "sys"),
        (["mount", "--bind", "/dev"], "dev"),
        (["mount", "--bind", "/dev/pts"], "dev/pts"),
        (["mount", "--bind", "/run"], "run"),
    ]
    if os.path.isdir(EFIVARS) and os.listdir(EFIVARS):
        plan.append((["mount", "-t", "efivarfs", "efivarfs"], EFIVARS.lstrip("/")))
    done: list[str] = []
    for argv, rel in plan:
        where = os.path.join(target_root, rel)
        Path(where).mkdir(parents=True, exist_ok=True)
        _run(argv + [where])
        done.append(where)
    return done


def _unescape(field: str) -> str:
    return field.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def mounts_under(root: str, mountinfo: str | None = None) -> list[str]:
    """Mount points at or below `root`, in the order the kernel lists them (oldest first)."""
    if mountinfo is None:
        mountinfo = Path("/proc/self/mountinfo").read_text()
    root = os.path.realpath(root).rstrip("/") or "/"
    found = []
    for line in mountinfo.splitlines():
        fields = line.split()
        if len(fields) < 5:
            continue
        point = _unescape(fields[4])
        if point == root or point.startswith(root + "/"):
            found.append(point)
    return found


def unmount_all(target_root: str) -> list[str]:
    """Unmount everything at or below target_root, newest and deepest first. Returns what was unmounted.

    A mount that stays busy is detached lazily as a last resort, and reported by MountError
    after the rest has been taken down.
    """
    unmounted: list[str] = []
    stuck: list[str] = []
    for _ in range(3):
        points = mounts_under(target_root)
        if not points:
            break
        # newest first; among equals, deepest first
        for point in sorted(reversed(points), key=lambda p: -p.count("/")):
            proc = subprocess.run(["umount", point], capture_output=True, text=True)
            if proc.returncode == 0:
                unmounted.append(point)
    for point in reversed(mounts_under(target_root)):
        proc = subprocess.run(["umount", "--lazy", point], capture_output=True, text=True)
        stuck.append(point)
    if stuck:
        raise MountError("busy mounts detached lazily: " + ", ".join(stuck))
    return unmounted


def swapon(device: str) -> None:
    _run(["swapon", device])


def swapoff(device: str) -> None:
    _run(["swapoff", device])


def active_swaps() -> list[str]:
    try:
        lines = Path("/proc/swaps").read_text().splitlines()[1:]
    except OSError:
        return []
    return [line.split()[0] for line in lines if line.strip()]
