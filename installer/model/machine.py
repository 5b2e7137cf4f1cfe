"""The machine being installed: disks, NICs, firmware, memory, the live medium.

A Machine comes from the pyudev probe (installer/probe/udev.py) or from a recorded
profile (JSON), and converts back to JSON, so tests and dry runs can replay a
machine they are not running on.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TRANSPORTS = ("nvme", "sata", "scsi", "usb", "virtio", "mmc", "ata", "unknown")


@dataclass(kw_only=True)
class Partition:
    name: str
    path: str
    number: int
    start: int = 0  # bytes
    size: int = 0  # bytes
    fstype: str | None = None  # ext4, xfs, vfat, ntfs, crypto_LUKS, LVM2_member, linux_raid_member, swap, btrfs
    label: str | None = None
    uuid: str | None = None
    parttype: str | None = None  # GPT type GUID or MBR type byte ("0x83")
    partlabel: str | None = None


@dataclass(kw_only=True)
class Disk:
    name: str  # kernel name: sda, nvme0n1, vda
    path: str  # /dev/sda
    size: int  # bytes
    by_id: str | None = None
    by_path: str | None = None
    model: str | None = None
    vendor: str | None = None
    serial: str | None = None
    wwn: str | None = None
    logical_sector_size: int = 512
    physical_sector_size: int = 512
    transport: str = "unknown"
    rotational: bool = False
    removable: bool = False
    readonly: bool = False
    ptable: str | None = None  # gpt | dos | None
    ptable_uuid: str | None = None
    fstype: str | None = None  # filesystem directly on the disk (no partition table)
    label: str | None = None
    partitions: list[Partition] = field(default_factory=list)
    is_live_medium: bool = False

    @property
    def used_bytes(self) -> int:
        return sum(p.size for p in self.partitions)

    def describe(self) -> str:
        model = " ".join(x for x in (self.vendor, self.model) if x) or "disk"
        return f"{self.name} ({model}, {human_size(self.size)}, {self.transport}, serial {self.serial or '?'})"


@dataclass(kw_only=True)
class Nic:
    name: str
    mac: str | None = None
    driver: str | None = None
    carrier: bool | None = None
    speed_mbps: int | None = None
    virtual: bool = False


@dataclass(kw_only=True)
class Machine:
    firmware: str = "uefi"  # uefi | bios
    arch: str = "x86_64"
    memory: int = 4 * 1024**3  # bytes
    disks: list[Disk] = field(default_factory=list)
    nics: list[Nic] = field(default_factory=list)
    hostname: str | None = None
    secure_boot: bool | None = None
    description: str | None = None

    def disk(self, spec: str) -> Disk | None:
        """Find a disk by kernel name, /dev path, by-id/by-path link, serial or WWN, or by a
        'match:KEY=VALUE;...' spec (an image configuration's x-azl-install.disk.match; ';' because a
        kickstart splits disk lists at ',')."""
        spec = spec.strip()
        if spec.startswith(MATCH_PREFIX):
            return self.match_disk(spec)
        bare = spec[5:] if spec.startswith("/dev/") else spec
        for d in self.disks:
            candidates = {d.name, d.path, d.by_id, d.by_path, d.serial, d.wwn}
            if d.by_id:
                candidates.add(d.by_id.rsplit("/", 1)[-1])
            if d.by_path:
                candidates.add(d.by_path.rsplit("/", 1)[-1])
            if spec in candidates or bare in candidates:
                return d
        if bare.startswith("disk/by-") and not spec.startswith("/dev/"):  # once: /dev/disk/by-... was tried
            return self.disk("/dev/" + bare)
        return None

    def match_disk(self, spec: str) -> Disk | None:
        """The one install target that a match spec selects, or None when none or several fit.

        model and serial compare exactly, path is any name disk() knows; size=largest|smallest
        then picks among what fits (a tie between equal sizes is no choice: None)."""
        found = self.match_candidates(spec)
        return found[0] if len(found) == 1 else None

    def match_candidates(self, spec: str) -> list[Disk]:
        """Every install target that a match spec fits (one for a usable spec)."""
        wanted = parse_match(spec)
        if wanted is None:
            return []
        found = list(self.target_disks)
        for key, value in wanted.items():
            if key == "model":
                found = [d for d in found if value in (d.model, " ".join(x for x in (d.vendor, d.model) if x))]
            elif key == "serial":
                found = [d for d in found if value in (d.serial, d.wwn)]
            elif key == "path":
                named = self.disk(value)
                found = [d for d in found if d is named]
        order = wanted.get("size")
        if order in ("largest", "smallest") and found:
            best = max(d.size for d in found) if order == "largest" else min(d.size for d in found)
            found = [d for d in found if d.size == best]
        return found

    def partitions_matching(self, spec: str) -> list[tuple[Disk, Partition]]:
        """The partitions `spec` names: kernel name, /dev path, UUID=, LABEL= or PARTLABEL= (more than
        one when a label is not unique: the caller must refuse to guess)."""
        spec = spec.strip()
        bare = spec[5:] if spec.startswith("/dev/") else spec
        key, _, value = spec.partition("=")
        found = []
        for d in self.disks:
            for p in d.partitions:
                if value and key.upper() in ("UUID", "LABEL", "PARTLABEL"):
                    attr = {"UUID": p.uuid, "LABEL": p.label, "PARTLABEL": p.partlabel}[key.upper()]
                    hit = attr is not None and (attr.lower() == value.lower() if key.upper() == "UUID" else attr == value)
                else:
                    hit = bare in (p.name, p.path.removeprefix("/dev/")) or spec == p.path
                if hit:
                    found.append((d, p))
        return found

    @property
    def live_medium(self) -> Disk | None:
        return next((d for d in self.disks if d.is_live_medium), None)

    @property
    def target_disks(self) -> list[Disk]:
        return [d for d in self.disks if not d.is_live_medium and not d.readonly]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Machine":
        data = dict(data)
        disks = []
        for d in data.pop("disks", []):
            d = dict(d)
            parts = [Partition(**_known(Partition, p)) for p in d.pop("partitions", [])]
            disks.append(Disk(partitions=parts, **_known(Disk, d)))
        nics = [Nic(**_known(Nic, n)) for n in data.pop("nics", [])]
        return cls(disks=disks, nics=nics, **_known(cls, data))

    @classmethod
    def from_json(cls, text: str) -> "Machine":
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, path: str | Path) -> "Machine":
        return cls.from_json(Path(path).read_text())


MATCH_PREFIX = "match:"
MATCH_KEYS = ("size", "model", "serial", "path")


def parse_match(spec: str) -> dict[str, str] | None:
    """{'size': 'largest', ...} of 'match:size=largest;...', or None when it is not one."""
    if not spec.startswith(MATCH_PREFIX):
        return None
    out: dict[str, str] = {}
    for part in spec[len(MATCH_PREFIX):].split(";"):
        key, sep, value = part.partition("=")
        if not sep or key not in MATCH_KEYS or not value or key in out:
            return None
        if key == "size" and value not in ("largest", "smallest"):
            return None
        out[key] = value
    return out or None


def _known(kind: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(kind)}
    return {k: v for k, v in data.items() if k in names}


def human_size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
