"""Rendering /etc/fstab and /etc/crypttab for the installed system (pure text, no blivet)."""

from __future__ import annotations

from dataclasses import dataclass

FSTAB_HEADER = "# /etc/fstab: created by azl-install. Filesystems are named by UUID.\n"
CRYPTTAB_HEADER = "# /etc/crypttab: created by azl-install.\n"

_FSTYPE_NAMES = {"efi": "vfat", "vfat": "vfat", "swap": "swap"}
_DEFAULT_OPTIONS = {"vfat": "umask=0077,shortname=winnt", "efi": "umask=0077,shortname=winnt"}


@dataclass(frozen=True)
class FstabEntry:
    spec: str  # UUID=...
    mountpoint: str  # "none" for swap
    fstype: str
    options: str = "defaults"
    dump: int = 0
    passno: int = 0

    def line(self) -> str:
        return f"{self.spec} {self.mountpoint} {self.fstype} {self.options} {self.dump} {self.passno}"


@dataclass(frozen=True)
class CrypttabEntry:
    name: str  # luks-UUID
    spec: str  # UUID=...
    keyfile: str = "none"
    options: str = ""

    def line(self) -> str:
        return " ".join(x for x in (self.name, self.spec, self.keyfile, self.options) if x)


def fstab_entry(spec: str, mountpoint: str | None, fstype: str, options: str | None = None) -> FstabEntry:
    """An fstab line with the conventional options and fsck pass for the filesystem."""
    name = _FSTYPE_NAMES.get(fstype, fstype)
    if fstype == "swap":
        return FstabEntry(spec, "none", "swap", options or "defaults", 0, 0)
    if not mountpoint:
        raise ValueError(f"{fstype} filesystem {spec} has no mountpoint")
    opts = options or _DEFAULT_OPTIONS.get(fstype, "defaults")
    if name in ("xfs", "btrfs"):
        passno = 0  # these are checked by their own tools, never by fsck at boot
    elif mountpoint == "/":
        passno = 1
    else:
        passno = 2
    return FstabEntry(spec, mountpoint, name, opts, 0, passno)


def mount_order_key(mountpoint: str) -> tuple[int, str]:
    """Parents before children: / then /boot then /boot/efi ..."""
    if mountpoint in ("none", "swap"):
        return (10_000, mountpoint)
    depth = 0 if mountpoint == "/" else mountpoint.rstrip("/").count("/")
    return (depth, mountpoint)


def render_fstab(entries: list[FstabEntry]) -> str:
    ordered = sorted(entries, key=lambda e: mount_order_key(e.mountpoint))
    return FSTAB_HEADER + "".join(e.line() + "\n" for e in ordered)


def render_crypttab(entries: list[CrypttabEntry]) -> str:
    if not entries:
        return ""
    return CRYPTTAB_HEADER + "".join(e.line() + "\n" for e in sorted(entries, key=lambda e: e.name))
