"""Which block devices are disks, and what they are: pure functions over what
udev and sysfs say about a device.

A BlockRecord is everything the probe read for one device: its udev
properties (ID_BUS, ID_PATH, ID_FS_*, ID_PART_*), a few sysfs attributes, the
subsystems of its parent devices and its /dev links. Turning records into
Disks is done here without touching the system, so recorded records from any
machine can be classified in a unit test.

Policy:
- loop, ram, zram, md, dm, nbd, eMMC boot/RPMB areas and hidden (NVMe
  multipath path) devices are not disks and are left out; so are devices of
  size 0 (empty card readers).
- optical drives are left out unless they hold the live medium; then they are
  listed, flagged, so a front end can show them as unselectable.
- read-only disks (sysfs ro=1) are listed with readonly=True instead of being
  dropped, so an admin can see why a disk is not offered; Machine.target_disks
  and validation never treat them as targets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from installer.model.machine import Disk, Partition

SECTOR = 512  # sysfs size and start are always in 512-byte units

NOT_DISK_PREFIXES = ("loop", "ram", "zram", "md", "dm-", "nbd")

# Order of preference for the one stable /dev/disk/by-id link a Disk records.
BY_ID_PREFERENCE = ("wwn-", "nvme-eui.", "nvme-", "ata-", "scsi-3", "virtio-", "usb-", "mmc-", "scsi-")


@dataclass
class BlockRecord:
    """What the probe read for one block device (disk or partition)."""
    name: str
    devtype: str = "disk"  # disk | partition
    devnode: str | None = None
    sys_path: str = ""
    props: dict[str, str] = field(default_factory=dict)
    attrs: dict[str, str] = field(default_factory=dict)
    parent_subsystems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    partitions: list["BlockRecord"] = field(default_factory=list)


def udev_decode(value: str | None) -> str | None:
    r"""Undo udev's \xNN escaping (used by *_ENC properties and partition names)."""
    if value is None:
        return None
    if "\\x" not in value:
        return value
    out = bytearray()
    i = 0
    while i < len(value):
        if value.startswith("\\x", i) and re.fullmatch(r"[0-9a-fA-F]{2}", value[i + 2:i + 4]):
            out.append(int(value[i + 2:i + 4], 16))
            i += 4
        else:
            out += value[i].encode()
            i += 1
    return out.decode("utf-8", errors="replace")


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _int(value: str | None, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _count(value: str | None, default: int = 0) -> int:
    """A non-negative number from sysfs or udev; anything else gives the default."""
    n = _int(value, -1)
    return n if n >= 0 else default


def _flag(value: str | None) -> bool:
    return str(value).strip() == "1"


def is_optical(rec: BlockRecord) -> bool:
    return (rec.name.startswith("sr") or _flag(rec.props.get("ID_CDROM"))
            or rec.props.get("ID_TYPE") == "cd" or rec.props.get("MAJOR") == "11")


def exclusion_reason(rec: BlockRecord) -> str | None:
    """Why a block device is not listed as a disk at all, or None if it is one.
    Optical drives are reported here too; the caller lets a live one through."""
    if rec.devtype != "disk":
        return "not a whole disk"
    name = rec.name
    for prefix in NOT_DISK_PREFIXES:
        if name.startswith(prefix):
            return f"{prefix.rstrip('-')} device"
    if re.fullmatch(r"mmcblk\d+(boot\d+|rpmb)", name):
        return "eMMC boot or RPMB area"
    if rec.props.get("DM_NAME") or rec.props.get("MD_LEVEL"):
        return "device-mapper or md device"
    if _flag(rec.attrs.get("hidden")):
        return "hidden device (multipath path)"
    if is_optical(rec):
        return "optical drive"
    if _count(rec.attrs.get("size")) == 0:
        return "no medium (size 0)"
    return None


def transport_of(rec: BlockRecord) -> str:
    """nvme, usb, mmc, virtio, sata, scsi or unknown, from udev's ID_BUS and
    ID_PATH and the parent device chain. USB is checked first: a USB-SATA
    bridge may report ID_BUS=ata. A virtio-scsi disk is scsi, not virtio."""
    props, parents, name = rec.props, set(rec.parent_subsystems), rec.name
    bus = (props.get("ID_BUS") or "").lower()
    path = props.get("ID_PATH") or ""
    if bus == "nvme" or "nvme" in parents or name.startswith("nvme") or "-nvme-" in path:
        return "nvme"
    if bus == "usb" or "usb" in parents or "-usb-" in path or "/usb" in rec.sys_path:
        return "usb"
    if name.startswith("mmcblk") or "mmc" in parents or bus == "mmc" or "-mmc-" in path:
        return "mmc"
    if bus == "ata" or _flag(props.get("ID_ATA")) or "-ata-" in path or re.search(r"/ata\d+/", rec.sys_path):
        return "sata"
    if bus == "scsi" or "scsi" in parents or "-scsi-" in path or "-sas-" in path:
        return "scsi"
    if "virtio" in parents or name.startswith("vd") or path.startswith("virtio") or "-virtio-" in path:
        return "virtio"
    return "unknown"


def _link_rank(link: str) -> tuple[int, int, str]:
    base = link.rsplit("/", 1)[-1]
    for i, prefix in enumerate(BY_ID_PREFERENCE):
        if base.startswith(prefix):
            return (i, len(base), base)
    return (len(BY_ID_PREFERENCE), len(base), base)


def preferred_by_id(links: list[str]) -> str | None:
    candidates = [l for l in links if l.startswith("/dev/disk/by-id/") and not re.search(r"-part\d+$", l)]
    return min(candidates, key=_link_rank) if candidates else None


def preferred_by_path(links: list[str], id_path: str | None = None) -> str | None:
    candidates = [l for l in links if l.startswith("/dev/disk/by-path/") and not re.search(r"-part\d+$", l)]
    # udev's own ID_PATH names the primary link; "-ata-N" and "virtio-pci-" twins are compatibility aliases.
    if id_path and f"/dev/disk/by-path/{id_path}" in candidates:
        return f"/dev/disk/by-path/{id_path}"
    return min(candidates, key=lambda l: (len(l), l)) if candidates else None


def _enc(props: dict[str, str], key: str) -> str | None:
    return _clean(udev_decode(props.get(f"{key}_ENC")) or props.get(key))


def model_of(rec: BlockRecord) -> str | None:
    enc = _clean(udev_decode(rec.props.get("ID_MODEL_ENC")))
    if enc:
        return enc
    model = _clean(rec.attrs.get("device/model"))
    if model and not re.fullmatch(r"0x[0-9a-fA-F]+", model):
        return model
    plain = _clean(rec.props.get("ID_MODEL"))
    return plain.replace("_", " ") if plain else None


def vendor_of(rec: BlockRecord) -> str | None:
    vendor = (_clean(udev_decode(rec.props.get("ID_VENDOR_ENC")))
              or _clean(rec.attrs.get("device/vendor"))
              or _clean((rec.props.get("ID_VENDOR") or "").replace("_", " ")))
    # libata's SCSI translation puts the placeholder "ATA" in the vendor field;
    # a virtio device's sysfs vendor is a PCI id, not a name.
    if vendor is None or vendor == "ATA" or re.fullmatch(r"0x[0-9a-fA-F]+", vendor):
        return None
    return vendor


def serial_of(rec: BlockRecord) -> str | None:
    p = rec.props
    return (_clean(p.get("ID_SERIAL_SHORT")) or _clean(p.get("ID_SCSI_SERIAL"))
            or _clean(rec.attrs.get("serial")) or _clean(rec.attrs.get("device/serial"))
            or _clean(p.get("ID_SERIAL")))


def wwn_of(rec: BlockRecord) -> str | None:
    p = rec.props
    wwn = _clean(p.get("ID_WWN_WITH_EXTENSION")) or _clean(p.get("ID_WWN"))
    if wwn:
        return wwn
    # sysfs wwid is also set for disks without a world wide name ("t10.ATA  model serial");
    # only NAA and EUI-64 identifiers are WWNs. NAA is written the way udev writes ID_WWN.
    for key in ("wwid", "device/wwid"):
        wwid = _clean(rec.attrs.get(key))
        if wwid and wwid.startswith("naa."):
            return "0x" + wwid[4:].lower()
        if wwid and wwid.startswith("eui."):
            return wwid.lower()
    return None


def partition_from_record(rec: BlockRecord, disk_name: str) -> Partition:
    p, a = rec.props, rec.attrs
    number = _count(a.get("partition")) or _count(p.get("ID_PART_ENTRY_NUMBER")) or _count(p.get("PARTN"))
    if not number:
        m = re.search(r"(\d+)$", rec.name)
        number = int(m.group(1)) if m else 0
    start = _count(a.get("start"), -1)
    if start < 0:
        start = _count(p.get("ID_PART_ENTRY_OFFSET"))
    size = _count(a.get("size"), -1)
    if size < 0:
        size = _count(p.get("ID_PART_ENTRY_SIZE"))
    return Partition(
        name=rec.name,
        path=rec.devnode or f"/dev/{rec.name}",
        number=number,
        start=start * SECTOR,
        size=size * SECTOR,
        fstype=_clean(p.get("ID_FS_TYPE")),
        label=_enc(p, "ID_FS_LABEL"),
        uuid=_clean(p.get("ID_FS_UUID")),
        parttype=_clean(p.get("ID_PART_ENTRY_TYPE")),
        partlabel=_clean(udev_decode(p.get("ID_PART_ENTRY_NAME"))),
    )


def disk_from_record(rec: BlockRecord) -> Disk:
    p, a = rec.props, rec.attrs
    parts = sorted((partition_from_record(r, rec.name) for r in rec.partitions), key=lambda x: x.number)
    return Disk(
        name=rec.name,
        path=rec.devnode or f"/dev/{rec.name}",
        size=_count(a.get("size")) * SECTOR,
        by_id=preferred_by_id(rec.links),
        by_path=preferred_by_path(rec.links, p.get("ID_PATH")),
        model=model_of(rec),
        vendor=vendor_of(rec),
        serial=serial_of(rec),
        wwn=wwn_of(rec),
        logical_sector_size=_count(a.get("queue/logical_block_size")) or 512,
        physical_sector_size=_count(a.get("queue/physical_block_size")) or 512,
        transport=transport_of(rec),
        rotational=_flag(a.get("queue/rotational")),
        removable=_flag(a.get("removable")),
        readonly=_flag(a.get("ro")),
        ptable=_clean(p.get("ID_PART_TABLE_TYPE")),
        ptable_uuid=_clean(p.get("ID_PART_TABLE_UUID")),
        fstype=_clean(p.get("ID_FS_TYPE")),
        label=_enc(p, "ID_FS_LABEL"),
        partitions=parts,
    )


def has_live_label(rec: BlockRecord, live_label: str | None) -> bool:
    """The disk itself (an ISO or a filesystem written to the whole device) or
    one of its partitions carries the product's live-medium volume label."""
    if not live_label:
        return False
    want = live_label.casefold()
    for r in (rec, *rec.partitions):
        label = _enc(r.props, "ID_FS_LABEL")
        if label and label.casefold() == want:
            return True
    return False


def classify(records: list[BlockRecord], *, live_label: str | None,
             backing: set[str] = frozenset()) -> list[Disk]:
    """The disks among the records, in kernel-name order, live medium flagged.
    `backing` names the disks under the running root or the mounted medium."""
    disks = []
    for rec in records:
        reason = exclusion_reason(rec)
        live = rec.name in backing or has_live_label(rec, live_label)
        if reason and not (live and reason == "optical drive"):
            continue
        disk = disk_from_record(rec)
        disk.is_live_medium = live
        disks.append(disk)
    return sorted(disks, key=lambda d: _natural_key(d.name))


def _natural_key(name: str) -> tuple:
    """sda < sdb < sdz < sdaa, nvme0n2 < nvme0n10: kernel names in the order people expect."""
    m = re.match(r"(nvme|mmcblk|xvd|sd|vd|hd|sr)(.*)$", name)
    family, rest = (m.group(1), m.group(2)) if m else ("", name)
    return (family,) + tuple((0, int(t), "") if t.isdigit() else (1, len(t), t)
                             for t in re.split(r"(\d+)", rest) if t)


# GPT partition type GUIDs (and MBR type bytes) worth naming to a human.
PARTITION_TYPES = {
    "c12a7328-f81f-11d2-ba4b-00a0c93ec93b": "EFI System",
    "21686148-6449-6e6f-744e-656564454649": "BIOS boot",
    "e3c9e316-0b5c-4db8-817d-f92df00215ae": "Microsoft reserved",
    "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7": "Microsoft basic data",
    "de94bba4-06d1-4d40-a16a-bfd50179d6ac": "Windows recovery",
    "0fc63daf-8483-4772-8e79-3d69d8477de4": "Linux filesystem",
    "4f68bce3-e8cd-4db1-96e7-fbcaf984b709": "Linux root (x86-64)",
    "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f": "Linux swap",
    "e6d6d379-f507-44c2-a23c-238f2a3df928": "Linux LVM",
    "a19d880f-05fc-4d3b-a006-743f0f84911e": "Linux RAID",
    "bc13c2ff-59e6-4262-a352-b275fd6f7172": "Linux extended boot",
    "933ac7e1-2eb4-4f13-b844-0e14e2aef915": "Linux home",
    "ca7d7ccb-63ed-4c53-861c-1742536059cc": "Linux LUKS",
    "0x0": "Empty", "0x00": "Empty", "0x83": "Linux", "0x82": "Linux swap", "0x8e": "Linux LVM", "0xfd": "Linux RAID",
    "0x7": "NTFS/exFAT", "0x07": "NTFS/exFAT", "0xef": "EFI System", "0xb": "FAT32", "0xc": "FAT32 (LBA)",
    "0x27": "Windows recovery", "0x5": "Extended", "0xf": "Extended (LBA)", "0xee": "GPT protective",
}


def partition_type_name(parttype: str | None) -> str | None:
    if not parttype:
        return None
    return PARTITION_TYPES.get(parttype.lower())
