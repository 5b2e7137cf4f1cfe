"""The machine probe: classification over recorded udev/sysfs readings (unit),
the mount walk over a made-up sysfs tree (unit), and the real probe on this
host (root; udev is not mocked there)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.model.machine import Machine
from installer.probe.udev import firmware_type, memory_bytes, secure_boot_enabled
from installer.probe.disks import (BlockRecord, classify, disk_from_record, exclusion_reason, has_live_label,
                                   partition_type_name, preferred_by_id, preferred_by_path, transport_of,
                                   udev_decode)
from installer.probe.mounts import BackingResolver, live_backing_disks, parse_mountinfo
from installer.probe.nics import NicRecord, classify_nics, nic_from_record

ROOT = Path(__file__).resolve().parents[2]
LIVE = "AZL-LIVE"
GiB = 1 << 30


# --- udev readings as udev 252 records them on real hardware -----------------

def sata_disk():
    """A WD SATA disk on AHCI with a GPT holding an ESP and an ext4 partition."""
    props = {
        "DEVNAME": "/dev/sda", "DEVTYPE": "disk", "SUBSYSTEM": "block", "MAJOR": "8", "MINOR": "0",
        "ID_ATA": "1", "ID_TYPE": "disk", "ID_BUS": "ata", "ID_MODEL": "WDC_WD10EZEX-08WN4A0",
        "ID_MODEL_ENC": "WDC\\x20WD10EZEX-08WN4A0\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20",
        "ID_REVISION": "01.01A01", "ID_SERIAL": "WDC_WD10EZEX-08WN4A0_WD-WCC6Y3KJ7P2T",
        "ID_SERIAL_SHORT": "WD-WCC6Y3KJ7P2T", "ID_ATA_SATA": "1", "ID_ATA_ROTATION_RATE_RPM": "7200",
        "ID_WWN": "0x50014ee2b7c4a3f1", "ID_WWN_WITH_EXTENSION": "0x50014ee2b7c4a3f1",
        "ID_PATH": "pci-0000:00:1f.2-ata-1.0", "ID_PATH_TAG": "pci-0000_00_1f_2-ata-1_0",
        "ID_PART_TABLE_UUID": "6f0a3c1e-2b4d-4e5f-8a9b-0c1d2e3f4a5b", "ID_PART_TABLE_TYPE": "gpt",
    }
    attrs = {"size": "1953525168", "ro": "0", "removable": "0", "queue/rotational": "1",
             "queue/logical_block_size": "512", "queue/physical_block_size": "4096",
             "device/model": "WDC WD10EZEX-08W", "device/vendor": "ATA"}
    links = ["/dev/disk/by-id/ata-WDC_WD10EZEX-08WN4A0_WD-WCC6Y3KJ7P2T",
             "/dev/disk/by-id/wwn-0x50014ee2b7c4a3f1",
             "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", "/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0"]
    p1 = BlockRecord(name="sda1", devtype="partition", devnode="/dev/sda1", props={
        "ID_FS_TYPE": "vfat", "ID_FS_UUID": "7A3B-1C2D", "ID_FS_LABEL": "EFI_SYS",
        "ID_FS_LABEL_ENC": "EFI\\x20SYS",
        "ID_PART_ENTRY_TYPE": "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
        "ID_PART_ENTRY_NAME": "EFI\\x20System\\x20Partition", "ID_PART_ENTRY_NUMBER": "1",
        "ID_PART_ENTRY_OFFSET": "2048", "ID_PART_ENTRY_SIZE": "1228800"},
        attrs={"partition": "1", "start": "2048", "size": "1228800"})
    p2 = BlockRecord(name="sda2", devtype="partition", devnode="/dev/sda2", props={
        "ID_FS_TYPE": "ext4", "ID_FS_UUID": "0b3c5d6e-7f80-4912-a3b4-c5d6e7f80912",
        "ID_PART_ENTRY_TYPE": "0fc63daf-8483-4772-8e79-3d69d8477de4", "ID_PART_ENTRY_NUMBER": "2"},
        attrs={"partition": "2", "start": "1230848", "size": "1952292864"})
    return BlockRecord(name="sda", devnode="/dev/sda",
                       sys_path="/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda",
                       props=props, attrs=attrs, parent_subsystems=["scsi", "scsi", "scsi", "pci"],
                       links=links, partitions=[p2, p1])


def nvme_disk():
    return BlockRecord(
        name="nvme0n1", devnode="/dev/nvme0n1",
        sys_path="/sys/devices/pci0000:00/0000:00:1d.0/0000:02:00.0/nvme/nvme0/nvme0n1",
        props={"ID_MODEL": "SAMSUNG MZVL2512HCJQ-00B00", "ID_SERIAL_SHORT": "S675NX0T412307",
               "ID_SERIAL": "SAMSUNG MZVL2512HCJQ-00B00_S675NX0T412307", "ID_WWN": "eui.002538b911b2c4d1",
               "ID_PATH": "pci-0000:02:00.0-nvme-1", "ID_PART_TABLE_TYPE": "gpt"},
        attrs={"size": "1000215216", "ro": "0", "removable": "0", "queue/rotational": "0",
               "queue/logical_block_size": "512", "queue/physical_block_size": "512",
               "device/model": "SAMSUNG MZVL2512HCJQ-00B00", "device/serial": "S675NX0T412307"},
        parent_subsystems=["nvme", "pci"],
        links=["/dev/disk/by-id/nvme-SAMSUNG_MZVL2512HCJQ-00B00_S675NX0T412307",
               "/dev/disk/by-id/nvme-SAMSUNG_MZVL2512HCJQ-00B00_S675NX0T412307_1",
               "/dev/disk/by-id/nvme-eui.002538b911b2c4d1", "/dev/disk/by-path/pci-0000:02:00.0-nvme-1"])


def virtio_disk(name="vda", serial=None):
    """virtio-blk: udev sets no ID_BUS; the parent chain says virtio."""
    props = {"ID_PATH": "pci-0000:04:00.0", "ID_PATH_TAG": "pci-0000_04_00_0"}
    links = ["/dev/disk/by-path/pci-0000:04:00.0", "/dev/disk/by-path/virtio-pci-0000:04:00.0"]
    attrs = {"size": str(20 * GiB // 512), "ro": "0", "removable": "0", "queue/rotational": "1",
             "queue/logical_block_size": "512", "queue/physical_block_size": "512", "device/vendor": "0x1af4"}
    if serial:
        props.update(ID_SERIAL=serial)
        attrs["serial"] = serial
        links.append(f"/dev/disk/by-id/virtio-{serial}")
    return BlockRecord(name=name, devnode=f"/dev/{name}",
                       sys_path=f"/sys/devices/pci0000:00/0000:00:1c.3/0000:04:00.0/virtio3/block/{name}",
                       props=props, attrs=attrs, parent_subsystems=["virtio", "pci", "pci"], links=links)


def usb_disk(name="sdb", *, ata_bridge=False, fs_label=None, part_label=None):
    props = {"ID_BUS": "ata" if ata_bridge else "usb", "ID_VENDOR": "SanDisk", "ID_VENDOR_ENC": "SanDisk\\x20",
             "ID_MODEL": "Ultra", "ID_MODEL_ENC": "Ultra\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20\\x20",
             "ID_SERIAL_SHORT": "4C530001230817118342", "ID_USB_DRIVER": "usb-storage",
             "ID_PATH": "pci-0000:00:14.0-usb-0:2:1.0-scsi-0:0:0:0"}
    if fs_label:
        props.update(ID_FS_TYPE="iso9660", ID_FS_LABEL=fs_label, ID_FS_LABEL_ENC=fs_label,
                     ID_PART_TABLE_TYPE="dos")
    parts = []
    if part_label:
        parts.append(BlockRecord(name=f"{name}1", devtype="partition",
                                 props={"ID_FS_TYPE": "vfat", "ID_FS_LABEL": part_label},
                                 attrs={"partition": "1", "start": "2048", "size": "2000000"}))
    return BlockRecord(
        name=name, devnode=f"/dev/{name}",
        sys_path=f"/sys/devices/pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host6/target6:0:0/6:0:0:0/block/{name}",
        props=props, attrs={"size": "60063744", "ro": "0", "removable": "1", "queue/rotational": "1",
                            "device/vendor": "SanDisk ", "device/model": "Ultra           "},
        parent_subsystems=["scsi", "scsi", "scsi", "usb", "usb", "usb", "pci"],
        links=[f"/dev/disk/by-id/usb-SanDisk_Ultra_4C530001230817118342-0:0"], partitions=parts)


def bare(name, **attrs):
    a = {"size": "2048"}
    a.update(attrs)
    return BlockRecord(name=name, devnode=f"/dev/{name}", attrs=a)


# --- udev encoding and link choice --------------------------------------------

def test_udev_decode():
    assert udev_decode("EFI\\x20System\\x20Partition") == "EFI System Partition"
    assert udev_decode("caf\\xc3\\xa9") == "café"
    assert udev_decode("plain") == "plain"
    assert udev_decode("bad\\xZZ") == "bad\\xZZ"
    assert udev_decode(None) is None


def test_preferred_by_id_order():
    links = ["/dev/disk/by-id/scsi-SATA_WDC_WD10EZEX-08W_WD-X", "/dev/disk/by-id/ata-WDC_WD10EZEX_WD-X",
             "/dev/disk/by-id/wwn-0x50014ee2b7c4a3f1", "/dev/disk/by-id/wwn-0x50014ee2b7c4a3f1-part1"]
    assert preferred_by_id(links) == "/dev/disk/by-id/wwn-0x50014ee2b7c4a3f1"
    assert preferred_by_id(links[:2]) == "/dev/disk/by-id/ata-WDC_WD10EZEX_WD-X"
    assert preferred_by_id(nvme_disk().links) == "/dev/disk/by-id/nvme-eui.002538b911b2c4d1"
    assert preferred_by_id(["/dev/disk/by-id/virtio-abc-part2"]) is None
    assert preferred_by_id(["/dev/disk/by-path/pci-0000:04:00.0"]) is None
    assert preferred_by_path(sata_disk().links) == "/dev/disk/by-path/pci-0000:00:1f.2-ata-1"
    assert preferred_by_path(sata_disk().links, "pci-0000:00:1f.2-ata-1.0") == \
        "/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0"
    assert disk_from_record(sata_disk()).by_path == "/dev/disk/by-path/pci-0000:00:1f.2-ata-1.0"


# --- transports -----------------------------------------------------------------

@pytest.mark.parametrize("record,expected", [
    (sata_disk(), "sata"),
    (nvme_disk(), "nvme"),
    (virtio_disk(), "virtio"),
    (usb_disk(), "usb"),
    (usb_disk(ata_bridge=True), "usb"),  # USB-SATA bridge: ata_id answers, the bus is still USB
])
def test_transport_of_recorded_devices(record, expected):
    assert transport_of(record) == expected


def test_transport_usb_bridge_by_parent_chain_alone():
    rec = BlockRecord(name="sdc", props={"ID_BUS": "ata", "ID_ATA": "1"},
                      parent_subsystems=["scsi", "scsi", "scsi", "usb", "usb", "pci"])
    assert transport_of(rec) == "usb"


def test_transport_virtio_scsi_is_scsi():
    rec = BlockRecord(name="sdc", props={"ID_BUS": "scsi", "ID_VENDOR": "QEMU", "ID_MODEL": "QEMU_HARDDISK",
                                         "ID_PATH": "pci-0000:00:05.0-scsi-0:0:0:0"},
                      sys_path="/sys/devices/pci0000:00/0000:00:05.0/virtio2/host2/target2:0:0/2:0:0:0/block/sdc",
                      parent_subsystems=["scsi", "scsi", "scsi", "virtio", "pci"])
    assert transport_of(rec) == "scsi"


def test_transport_sas():
    rec = BlockRecord(name="sdd", props={"ID_BUS": "scsi", "ID_PATH": "pci-0000:3b:00.0-sas-phy2-lun-0"},
                      parent_subsystems=["scsi", "scsi", "sas_port", "scsi", "pci"])
    assert transport_of(rec) == "scsi"


def test_transport_mmc():
    rec = BlockRecord(name="mmcblk0", props={"ID_PATH": "platform-fe340000.mmc", "ID_NAME": "SD32G"},
                      parent_subsystems=["mmc", "mmc_host", "platform"])
    assert transport_of(rec) == "mmc"


def test_transport_without_udev_data_falls_back_to_sysfs():
    """No udev database entry (udevd started late): the sysfs path still tells."""
    ahci = BlockRecord(name="sda", sys_path="/sys/devices/pci0000:00/0000:00:1f.2/ata3/host2/target2:0:0/"
                                            "2:0:0:0/block/sda", parent_subsystems=["scsi", "scsi", "scsi", "pci"])
    assert transport_of(ahci) == "sata"
    vd = BlockRecord(name="vda", parent_subsystems=["virtio", "pci"])
    assert transport_of(vd) == "virtio"
    assert transport_of(BlockRecord(name="xvda")) == "unknown"


# --- what is not a disk ---------------------------------------------------------

@pytest.mark.parametrize("name", ["loop0", "loop12", "ram0", "zram0", "md127", "dm-0", "nbd3",
                                  "mmcblk0boot0", "mmcblk0rpmb"])
def test_virtual_block_devices_are_not_disks(name):
    assert exclusion_reason(bare(name)) is not None
    assert classify([bare(name, ro="0")], live_label=LIVE) == []


def test_exclusions_by_properties():
    assert exclusion_reason(BlockRecord(name="sr0", attrs={"size": "2097152"},
                                        props={"ID_CDROM": "1"})) == "optical drive"
    assert exclusion_reason(BlockRecord(name="sdz", attrs={"size": "100"}, props={"ID_CDROM": "1"})) == "optical drive"
    assert exclusion_reason(bare("sdc", size="0")) == "no medium (size 0)"
    assert exclusion_reason(bare("nvme0c0n1", hidden="1")) is not None
    assert exclusion_reason(BlockRecord(name="sda1", devtype="partition", attrs={"size": "9"})) is not None
    assert exclusion_reason(sata_disk()) is None


def test_readonly_disk_is_listed_flagged_and_not_a_target():
    rec = virtio_disk("vdb")
    rec.attrs["ro"] = "1"
    machine = Machine(disks=classify([virtio_disk("vda"), rec], live_label=LIVE))
    assert [d.name for d in machine.disks] == ["vda", "vdb"]
    assert machine.disk("vdb").readonly
    assert [d.name for d in machine.target_disks] == ["vda"]


# --- live medium ----------------------------------------------------------------

def test_live_label_on_whole_disk_iso():
    disks = classify([usb_disk(fs_label=LIVE), virtio_disk()], live_label=LIVE)
    assert {d.name: d.is_live_medium for d in disks} == {"sdb": True, "vda": False}


def test_live_label_on_a_partition_and_case():
    assert has_live_label(usb_disk(part_label="azl-live"), LIVE)
    assert not has_live_label(usb_disk(part_label="DATA"), LIVE)
    assert not has_live_label(usb_disk(fs_label="AZL-LIVE-OLD"), LIVE)
    assert not has_live_label(usb_disk(fs_label=LIVE), None)


def test_optical_live_medium_is_listed_flagged_other_optical_dropped():
    sr0 = BlockRecord(name="sr0", devnode="/dev/sr0", attrs={"size": "2914304", "ro": "0", "removable": "1"},
                      props={"ID_CDROM": "1", "ID_BUS": "ata", "ID_FS_TYPE": "iso9660", "ID_FS_LABEL": LIVE,
                             "ID_FS_LABEL_ENC": LIVE}, parent_subsystems=["scsi", "scsi", "scsi", "pci"])
    sr1 = BlockRecord(name="sr1", attrs={"size": "2914304"}, props={"ID_CDROM": "1", "ID_FS_LABEL": "OTHER"})
    disks = classify([sr0, sr1, virtio_disk()], live_label=LIVE)
    assert [(d.name, d.is_live_medium) for d in disks] == [("sr0", True), ("vda", False)]
    assert disks[0].fstype == "iso9660" and disks[0].label == LIVE


def test_backing_disk_is_flagged_even_without_label():
    disks = classify([sata_disk(), virtio_disk()], live_label=LIVE, backing={"vda"})
    machine = Machine(disks=disks)
    assert machine.live_medium.name == "vda"
    assert [d.name for d in machine.target_disks] == ["sda"]


# --- a whole record to a Disk -----------------------------------------------------

def test_sata_record_to_disk():
    d = disk_from_record(sata_disk())
    assert (d.name, d.path, d.size) == ("sda", "/dev/sda", 1953525168 * 512)
    assert d.by_id == "/dev/disk/by-id/wwn-0x50014ee2b7c4a3f1"
    assert d.model == "WDC WD10EZEX-08WN4A0"  # the full udev model, not sysfs' truncated one
    assert d.vendor is None  # libata's "ATA" placeholder is not a vendor
    assert d.serial == "WD-WCC6Y3KJ7P2T" and d.wwn == "0x50014ee2b7c4a3f1"
    assert (d.logical_sector_size, d.physical_sector_size) == (512, 4096)
    assert (d.transport, d.rotational, d.removable, d.readonly) == ("sata", True, False, False)
    assert (d.ptable, d.ptable_uuid) == ("gpt", "6f0a3c1e-2b4d-4e5f-8a9b-0c1d2e3f4a5b")
    assert [p.number for p in d.partitions] == [1, 2]
    esp, root = d.partitions
    assert (esp.start, esp.size) == (2048 * 512, 1228800 * 512)
    assert (esp.fstype, esp.label, esp.uuid) == ("vfat", "EFI SYS", "7A3B-1C2D")
    assert esp.partlabel == "EFI System Partition"
    assert partition_type_name(esp.parttype) == "EFI System"
    assert (root.fstype, root.start, root.path) == ("ext4", 1230848 * 512, "/dev/sda2")
    assert d.used_bytes == (1228800 + 1952292864) * 512


def test_virtio_and_usb_records_to_disk():
    v = disk_from_record(virtio_disk(serial="azlvirtio0"))
    assert (v.vendor, v.model, v.serial) == (None, None, "azlvirtio0")
    assert v.by_id == "/dev/disk/by-id/virtio-azlvirtio0"
    assert v.by_path == "/dev/disk/by-path/pci-0000:04:00.0"
    u = disk_from_record(usb_disk())
    assert (u.vendor, u.model, u.removable) == ("SanDisk", "Ultra", True)
    n = disk_from_record(nvme_disk())
    assert (n.model, n.serial, n.wwn) == ("SAMSUNG MZVL2512HCJQ-00B00", "S675NX0T412307", "eui.002538b911b2c4d1")


def test_wwn_from_sysfs_only_when_it_is_one():
    t10 = BlockRecord(name="sda", attrs={"device/wwid": "t10.ATA     QEMU HARDDISK         azlsata2"})
    assert disk_from_record(t10).wwn is None
    naa = BlockRecord(name="sdc", attrs={"device/wwid": "naa.5000C500D4A1B20F"})
    assert disk_from_record(naa).wwn == "0x5000c500d4a1b20f"
    assert disk_from_record(nvme_disk()).wwn == "eui.002538b911b2c4d1"


def test_missing_attributes_are_tolerated():
    d = disk_from_record(BlockRecord(name="sdq"))
    assert (d.size, d.logical_sector_size, d.transport, d.model, d.serial) == (0, 512, "unknown", None, None)
    odd = disk_from_record(BlockRecord(name="sdq", attrs={"size": "-1", "queue/logical_block_size": "x",
                                                          "queue/physical_block_size": "-4096"}))
    assert (odd.size, odd.logical_sector_size, odd.physical_sector_size) == (0, 512, 512)
    part = BlockRecord(name="sdq3", devtype="partition",
                       props={"ID_PART_ENTRY_OFFSET": "4096", "ID_PART_ENTRY_SIZE": "8192"})
    d = disk_from_record(BlockRecord(name="sdq", partitions=[part]))
    assert (d.partitions[0].number, d.partitions[0].start, d.partitions[0].size) == (3, 4096 * 512, 8192 * 512)


def test_disks_in_kernel_name_order():
    names = ["sdaa", "sdb", "nvme0n10", "sdz", "nvme0n2", "vda", "sda"]
    disks = classify([bare(n) for n in names], live_label=LIVE)
    assert [d.name for d in disks] == ["nvme0n2", "nvme0n10", "sda", "sdb", "sdz", "sdaa", "vda"]


# --- NICs -------------------------------------------------------------------------

def test_nics():
    recs = [
        NicRecord(name="lo", sys_path="/sys/devices/virtual/net/lo", type="772", address="00:00:00:00:00:00"),
        NicRecord(name="eth0", sys_path="/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0", has_device=True,
                  driver="virtio_net", address="52:54:00:12:34:56", type="1", carrier="1", speed="-1"),
        NicRecord(name="eno2", sys_path="/sys/devices/pci0000:00/0000:00:1f.6/net/eno2", has_device=True,
                  driver="e1000e", address="8C:8C:AA:3F:12:D6", type="1", carrier=None, speed=None),  # down: EINVAL
        NicRecord(name="eno1", sys_path="/sys/devices/pci0000:00/0000:00:1f.5/net/eno1", has_device=True,
                  driver="e1000e", address="8c:8c:aa:3f:12:d5", type="1", carrier="0", speed="4294967295"),
        NicRecord(name="br0", sys_path="/sys/devices/virtual/net/br0", address="02:11:22:33:44:55", type="1",
                  carrier="1", speed="10000"),
    ]
    nics = classify_nics(recs)
    assert [n.name for n in nics] == ["eno1", "eno2", "eth0", "br0"]
    by = {n.name: n for n in nics}
    assert (by["eth0"].carrier, by["eth0"].speed_mbps, by["eth0"].virtual) == (True, None, False)
    assert (by["eno2"].carrier, by["eno2"].speed_mbps, by["eno2"].mac) == (None, None, "8c:8c:aa:3f:12:d6")
    assert (by["eno1"].carrier, by["eno1"].speed_mbps) == (False, None)
    assert (by["br0"].virtual, by["br0"].speed_mbps, by["br0"].driver) == (True, 10000, None)
    assert nic_from_record(NicRecord(name="lo0", type="772")) is None
    assert nic_from_record(NicRecord(name="dummy0", address="00:00:00:00:00:00")).mac is None


# --- firmware and memory ----------------------------------------------------------

def test_memory_and_firmware(tmp_path):
    assert memory_bytes("MemTotal:       16182664 kB\nMemFree: 1 kB\n") == 16182664 * 1024
    assert memory_bytes("garbage\n") == 0
    assert firmware_type(str(tmp_path)) == "bios"
    assert secure_boot_enabled(str(tmp_path)) is None
    efivars = tmp_path / "firmware" / "efi" / "efivars"
    efivars.mkdir(parents=True)
    assert firmware_type(str(tmp_path)) == "uefi"
    assert secure_boot_enabled(str(tmp_path)) is None  # variable missing: unknown
    var = efivars / "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
    var.write_bytes(b"\x06\x00\x00\x00\x01")
    assert secure_boot_enabled(str(tmp_path)) is True
    var.write_bytes(b"\x06\x00\x00\x00\x00")
    assert secure_boot_enabled(str(tmp_path)) is False


# --- mounts down to disks over a made-up sysfs --------------------------------------

class FakeSys:
    """Just enough of sysfs for the mount walk: /sys/dev/block and /sys/class/block."""

    def __init__(self, root: Path):
        self.root = root
        (root / "dev" / "block").mkdir(parents=True)
        (root / "class" / "block").mkdir(parents=True)
        (root / "devices").mkdir()

    def disk(self, name, devno, parent=None, slaves=(), backing=None):
        base = (self.root / "devices" / parent / name) if parent else (self.root / "devices" / name)
        base.mkdir(parents=True)
        if parent:
            (base / "partition").write_text("1\n")
        (base / "slaves").mkdir()
        for s in slaves:
            (base / "slaves" / s).symlink_to(self.root / "class" / "block" / s)
        if backing:
            (base / "loop").mkdir()
            (base / "loop" / "backing_file").write_text(backing + "\n")
        (self.root / "class" / "block" / name).symlink_to(base)
        (self.root / "dev" / "block" / devno).symlink_to(base)


def test_mount_walk_partition_dm_loop_overlay(tmp_path):
    sys_ = FakeSys(tmp_path)
    sys_.disk("sdb", "8:16")
    sys_.disk("sdb1", "8:17", parent="sdb")
    sys_.disk("vda", "252:0")
    sys_.disk("vda2", "252:2", parent="vda")
    sys_.disk("nvme0n1", "259:0")
    sys_.disk("loop0", "7:0", backing="/run/initramfs/live/LiveOS/squashfs.img")
    sys_.disk("loop1", "7:1", backing="/run/overlay/overlay.img (deleted)")
    sys_.disk("dm-0", "253:0", slaves=("loop0", "loop1"))
    mountinfo = "\n".join([
        "22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/mapper/live-rw rw",
        "30 22 0:25 / /run rw shared:5 - tmpfs tmpfs rw",
        "31 30 8:17 / /run/initramfs/live ro shared:6 - iso9660 /dev/sdb1 ro",
        "32 22 252:2 / /mnt/with\\040space rw - xfs /dev/vda2 rw",
        "33 22 0:40 / /srv rw - overlay overlay rw,lowerdir=/mnt/with\\040space/l,upperdir=/run/u,workdir=/run/w",
        "34 22 0:41 / /data rw - btrfs /dev/nvme0n1 rw",
    ])
    mounts = parse_mountinfo(mountinfo)
    assert mounts[3].mountpoint == "/mnt/with space"
    resolver = BackingResolver(mounts, tmp_path)
    # / is a dm snapshot over a loop device whose file is on the ISO partition sdb1
    assert resolver.disks_under(("/",)) == {"sdb"}
    assert live_backing_disks(mountinfo, tmp_path) == {"sdb"}
    assert resolver.disks_under(("/srv",)) == {"vda"}
    assert resolver.disks_under(("/data",)) == {"nvme0n1"}  # anonymous device number, named by source
    assert resolver.disks_under(("/nowhere",)) == set()
    # a loop over a file on tmpfs leads nowhere
    assert resolver.disks_of_block("loop1") == set()


def test_mount_walk_survives_loops_and_garbage(tmp_path):
    sys_ = FakeSys(tmp_path)
    sys_.disk("loop0", "7:0", backing="/x/img")
    mountinfo = "garbage line\n40 1 7:0 / /x rw - ext4 /dev/loop0 rw\n41 1 0:9 / / rw - overlay o lowerdir=/x\n"
    assert live_backing_disks(mountinfo, tmp_path) == set()


# --- the real probe on this host (root; real udev) -----------------------------------

def _sysfs(path):
    return Path(path).read_text().strip()


def _root_disk():
    """The whole disk under / , found independently of the probe's walk (simple cases only)."""
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        f = line.split()
        if f[4] == "/":
            root_line = f
    devno = root_line[2]
    link = Path(f"/sys/dev/block/{devno}")
    if not link.exists():
        return None
    node = link.resolve()
    if (node / "partition").exists():
        node = node.parent
    if any((node / "slaves").iterdir()):
        return None
    return node.name


@pytest.fixture(scope="module")
def real_machine():
    from installer.probe.udev import probe_machine
    return probe_machine()


@pytest.mark.root
def test_real_probe_disks_match_sysfs(real_machine):
    names = [d.name for d in real_machine.disks]
    assert len(names) == len(set(names))
    for d in real_machine.disks:
        sysblock = Path("/sys/block") / d.name
        assert sysblock.exists(), d.name
        assert d.size == int(_sysfs(sysblock / "size")) * 512
        assert d.logical_sector_size == int(_sysfs(sysblock / "queue/logical_block_size"))
        assert d.physical_sector_size == int(_sysfs(sysblock / "queue/physical_block_size"))
        assert d.readonly == (_sysfs(sysblock / "ro") == "1")
        assert d.path == f"/dev/{d.name}"
        assert not d.name.startswith(("loop", "ram", "zram", "dm-", "md"))
        for p in d.partitions:
            assert (sysblock / p.name).exists()
            assert p.size == int(_sysfs(sysblock / p.name / "size")) * 512
        if d.name.startswith("vd"):
            assert d.transport == "virtio"
        if d.name.startswith("nvme"):
            assert d.transport == "nvme"
    # every whole disk sysfs knows about that is not virtual, optical or empty is listed
    for entry in Path("/sys/block").iterdir():
        name = entry.name
        if name.startswith(("loop", "ram", "zram", "dm-", "md", "nbd", "sr")):
            continue
        if _sysfs(entry / "size") == "0":
            continue
        assert name in names, f"{name} is in /sys/block but not probed"


@pytest.mark.root
def test_real_probe_flags_the_disk_under_root(real_machine):
    root = _root_disk()
    if root is None or real_machine.disk(root) is None:
        pytest.skip("root is not on a plain disk or partition here")
    assert real_machine.disk(root).is_live_medium
    assert root not in [d.name for d in real_machine.target_disks]


@pytest.mark.root
def test_real_probe_firmware_memory_nics(real_machine):
    assert real_machine.firmware == ("uefi" if Path("/sys/firmware/efi").exists() else "bios")
    assert real_machine.arch == os.uname().machine
    meminfo = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    assert real_machine.memory == int(meminfo["MemTotal"].split()[0]) * 1024
    expected = {p.name for p in Path("/sys/class/net").iterdir()} - {"lo"}
    assert {n.name for n in real_machine.nics} == expected
    for n in real_machine.nics:
        assert n.virtual == (not (Path("/sys/class/net") / n.name / "device").exists())
        assert n.mac == _sysfs(f"/sys/class/net/{n.name}/address").lower() or n.mac is None


@pytest.mark.root
def test_probe_cli_json_loads_as_machine(real_machine):
    out = subprocess.run([sys.executable, "-m", "installer", "probe", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    machine = Machine.from_json(out.stdout)
    assert [d.name for d in machine.disks] == [d.name for d in real_machine.disks]
    assert json.loads(out.stdout)["firmware"] == real_machine.firmware


@pytest.mark.root
def test_probe_cli_table_fits_80_columns(tmp_path):
    out = subprocess.run([sys.executable, "-m", "installer", "probe", "--output", str(tmp_path / "m.json")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "wrote" in out.stderr and out.stdout == ""
    machine = Machine.load(tmp_path / "m.json")
    out = subprocess.run([sys.executable, "-m", "installer", "probe"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80
    for d in machine.disks:
        assert any(line.startswith(d.name + " ") for line in lines)


# --- garbage in, no exception out ----------------------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

_PROP_KEYS = ["ID_BUS", "ID_PATH", "ID_MODEL", "ID_MODEL_ENC", "ID_VENDOR_ENC", "ID_SERIAL_SHORT", "ID_WWN",
              "ID_FS_TYPE", "ID_FS_LABEL", "ID_FS_LABEL_ENC", "ID_PART_TABLE_TYPE", "ID_CDROM", "ID_ATA",
              "ID_PART_ENTRY_NAME", "ID_PART_ENTRY_OFFSET", "ID_PART_ENTRY_SIZE", "ID_PART_ENTRY_NUMBER", "MAJOR"]
_ATTR_KEYS = ["size", "ro", "removable", "hidden", "queue/rotational", "queue/logical_block_size",
              "queue/physical_block_size", "device/model", "device/vendor", "device/wwid", "partition", "start"]
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12) | \
    st.sampled_from(["", "0", "1", "-1", "ata", "usb", "AZL-LIVE", "\\x2", "\\x41", "99999999999999999999"])
_record = st.builds(
    BlockRecord,
    name=st.sampled_from(["sda", "vda", "nvme0n1", "sr0", "loop0", "mmcblk0", "x"]),
    props=st.dictionaries(st.sampled_from(_PROP_KEYS), _text),
    attrs=st.dictionaries(st.sampled_from(_ATTR_KEYS), _text),
    parent_subsystems=st.lists(st.sampled_from(["scsi", "usb", "pci", "virtio", "nvme", "mmc"]), max_size=4),
    links=st.lists(st.sampled_from(["/dev/disk/by-id/wwn-0x1", "/dev/disk/by-id/ata-X", "/dev/disk/by-path/p",
                                    "/dev/disk/by-id/x-part1"]), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_record, max_size=4))
def test_classify_never_raises_on_odd_readings(records):
    disks = classify(records, live_label=LIVE)
    for d in disks:
        assert d.size >= 0 and d.logical_sector_size > 0
        assert Machine.from_json(Machine(disks=[d]).to_json()).disks == [d]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_mountinfo_parser_never_raises(text):
    parse_mountinfo(text)
    assert live_backing_disks(text, "/nonexistent-sys") == set()
