"""What the storage phases return: a preview of the actions, or the created and mounted target.
Plain data (no blivet): steps and screens may import it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DiskErasure:
    """A disk the plan takes something existing from, as a person must confirm it."""

    disk: str  # machine name
    identity: str  # name, model, size, serial
    now: str  # what is on it before the install
    destroyed: list[str]  # the storage layer's destroy actions on it

    def to_dict(self) -> dict[str, Any]:
        return {"disk": self.disk, "identity": self.identity, "now": self.now, "destroyed": list(self.destroyed)}


@dataclass
class StoragePreview:
    """What apply would do, computed by blivet on sparse files: nothing real was touched."""

    actions: list[str]
    tree: list[dict[str, Any]]
    fstab: str
    crypttab: str
    changed_disks: list[str] = field(default_factory=list)
    seconds: float = 0.0
    boot_disks: list[str] = field(default_factory=list)  # /dev/... of the disks that get GRUB
    spare_esps: list[str] = field(default_factory=list)  # /dev/... of the ESPs the bootloader copies /boot/efi to
    erasures: list[DiskErasure] = field(default_factory=list)  # what the actions destroy, per disk
    destroyed_keys: list[str] = field(default_factory=list)  # the same, as apply re-checks it
    reused: list[str] = field(default_factory=list)  # part --onpart: each partition kept as is or reformatted

    @property
    def destroys(self) -> bool:
        return bool(self.erasures)

    def tree_text(self) -> str:
        lines: list[str] = []

        def walk(node: dict[str, Any], depth: int) -> None:
            lines.append("  " * depth + node["text"])
            for child in node.get("children", []):
                walk(child, depth + 1)

        for node in self.tree:
            walk(node, 0)
        return "\n".join(lines) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {"actions": list(self.actions), "tree": self.tree, "fstab": self.fstab,
                "crypttab": self.crypttab, "changed_disks": list(self.changed_disks),
                "erasures": [e.to_dict() for e in self.erasures], "reused": list(self.reused)}


@dataclass
class MountedTarget:
    """The installed system's storage, created and mounted under `root`."""

    root: str
    mounts: list[str]
    api_mounts: list[str]
    swaps: list[str]
    fstab: str
    crypttab: str
    actions: list[str]
    kernel_args: list[str]  # rd.luks.uuid=, rd.lvm.lv=, rd.md.uuid= the boot loader needs for /
    root_device: str
    boot_disks: list[str] = field(default_factory=list)
    spare_esps: list[str] = field(default_factory=list)  # unmounted ESPs on the other disks of a RAID1 /boot
    seconds: dict[str, float] = field(default_factory=dict)  # reset, plan, execute, mount
    blivet: Any = field(default=None, repr=False)
    disks: list[str] = field(default_factory=list)  # the chosen disks: teardown touches nothing else
