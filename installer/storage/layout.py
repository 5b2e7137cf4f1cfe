"""The product's automatic disk layout and swap sizing, as plain data (no blivet).

installer/storage/plan.py turns these requests into blivet devices; keeping them here
lets the TUI and tests reason about the default layout without loading blivet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MiB = 1024**2
GiB = 1024**3

SCHEMES = ("lvm", "plain", "btrfs", "thinp")


def recommended_swap_mib(memory_bytes: int) -> int:
    """Swap size like Anaconda: <2 GiB RAM: 2x; 2-8 GiB: = RAM; 8-64 GiB: RAM/2; above: 32 GiB."""
    ram_mib = max(memory_bytes // MiB, 0)
    if memory_bytes < 2 * GiB:
        return 2 * ram_mib
    if memory_bytes < 8 * GiB:
        return ram_mib
    if memory_bytes < 64 * GiB:
        return ram_mib // 2
    return 32 * 1024


@dataclass(frozen=True)
class LayoutRequest:
    """One device of the automatic layout.

    role: platform (ESP / biosboot), boot, root, home or swap.
    where: "partition" always for platform and boot; root/home/swap follow the scheme
    ("lv" for lvm, "thin" for thinp (a thin volume in the VG's pool), "partition" for plain,
    "subvolume" for btrfs; swap is never a subvolume nor thin).
    """

    role: str
    mountpoint: str | None
    fstype: str
    size_mib: int
    where: str = "partition"
    grow: bool = False
    maxsize_mib: int | None = None
    weight: int = 0  # blivet partition weight: higher sorts first on the disk


def platform_requests(firmware: str, storage: dict[str, Any], disklabel: str = "gpt") -> list[LayoutRequest]:
    """What the firmware needs to boot (`reqpart`): an ESP on UEFI, biosboot on BIOS with GPT."""
    if firmware == "uefi":
        return [LayoutRequest("platform", storage.get("esp_mountpoint", "/boot/efi"),
                              storage.get("esp_fstype", "efi"), int(storage.get("esp_size_mib", 600)),
                              weight=5000)]
    if disklabel == "gpt":
        return [LayoutRequest("platform", None, "biosboot", int(storage.get("biosboot_size_mib", 1)), weight=5000)]
    return []


def boot_request(storage: dict[str, Any], fstype: str | None = None) -> LayoutRequest:
    return LayoutRequest("boot", "/boot", fstype or storage.get("boot_fstype", "xfs"),
                         int(storage.get("boot_size_mib", 1024)), weight=2000)


def autopart_requests(
    storage: dict[str, Any],
    *,
    firmware: str,
    memory: int,
    scheme: str | None = None,
    fstype: str | None = None,
    nohome: bool = True,
    noswap: bool = True,
    noboot: bool = False,
    disklabel: str = "gpt",
) -> list[LayoutRequest]:
    """The product default layout for `autopart` (and the TUI's guided choice)."""
    scheme = scheme or storage.get("scheme", "lvm")
    if scheme not in SCHEMES:
        raise ValueError(f"unknown partitioning scheme {scheme!r}")
    fs = "btrfs" if scheme == "btrfs" else (fstype or storage.get("fstype", "xfs"))
    where = {"lvm": "lv", "thinp": "thin", "plain": "partition", "btrfs": "subvolume"}[scheme]
    root_min = int(storage.get("root_min_mib", 2048))
    root_max = int(storage.get("root_max_mib", 15360))

    requests = platform_requests(firmware, storage, disklabel)
    if not noboot:
        boot_fs = None if scheme == "btrfs" else fstype
        requests.append(boot_request(storage, boot_fs))
    requests.append(LayoutRequest("root", "/", fs, root_min, where=where, grow=True, maxsize_mib=root_max))
    if not nohome:
        requests.append(LayoutRequest("home", "/home", fs, 500, where=where, grow=True))
    if not noswap:
        requests.append(LayoutRequest("swap", None, "swap", recommended_swap_mib(memory),
                                      where="lv" if scheme in ("lvm", "thinp") else "partition"))
    return requests


def minimum_mib(requests: list[LayoutRequest]) -> int:
    """The least space the requests take, before growing (btrfs subvolumes share their volume)."""
    return sum(r.size_mib for r in requests if r.where != "subvolume") + (
        max((r.size_mib for r in requests if r.where == "subvolume"), default=0))
