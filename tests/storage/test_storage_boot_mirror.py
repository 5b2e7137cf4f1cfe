"""RAID1 /boot (or /): the planner puts a firmware partition on every member disk, so either disk boots alone.

Kickstarts planned by blivet on sparse files shaped like recorded or made-up machines (no root)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from installer.storage.preview import preview_storage
from installer.model.diagnostics import PlanError
from installer.kickstart.files import load_kickstart, parse_kickstart
from installer.model.machine import Disk, Machine

from paths import KICKSTARTS, PROFILES, ROOT

GiB = 1024**3

RAID_BOOT_AND_ROOT = """\
zerombr
clearpart --all --initlabel
{platform}
part raid.11 --size=1024 --ondisk={a}
part raid.12 --size=1024 --ondisk={b}
part raid.21 --size=4096 --grow --ondisk={a}
part raid.22 --size=4096 --grow --ondisk={b}
raid /boot --level=1 --device=boot --fstype=xfs raid.11 raid.12
raid / --level=1 --device=root --fstype=xfs raid.21 raid.22
"""


def plan_of(text: str):
    loaded = parse_kickstart("rootpw --plaintext Xyzzy-Plugh-2026\n" + text, "raid.ks")
    assert loaded.ok, [str(d) for d in loaded.errors]
    return loaded.plan


def vm(*disks: tuple[str, int], firmware: str = "uefi") -> Machine:
    return Machine(firmware=firmware, memory=2 * GiB,
                   disks=[Disk(name=n, path=f"/dev/{n}", size=s * GiB, transport="virtio") for n, s in disks])


def profile(name: str) -> Machine:
    return Machine.load(PROFILES / f"{name}.json")


def body(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def formats(preview, fmt: str) -> list[str]:
    """Devices given a new `fmt`, with the mountpoint when there is one: ['sda1 (/boot/efi)', 'sdb1']."""
    found = [re.match(rf"create format {fmt} on (\S+)( \(.*\))?$", a) for a in preview.actions]
    return sorted(m.group(1) + (m.group(2) or "") for m in found if m)


def partition_size(preview, name: str) -> str:
    return next(a.split(" (", 1)[1].rstrip(")") for a in preview.actions if a.startswith(f"create partition {name} "))


def test_bios_gpt_reqpart_gets_a_biosboot_on_each_disk():
    preview = preview_storage(plan_of(RAID_BOOT_AND_ROOT.format(platform="reqpart", a="sda", b="sdb")),
                                      profile("bios-2sata"))
    assert formats(preview, "biosboot") == ["sda1", "sdb1"]
    assert partition_size(preview, "sda1") == partition_size(preview, "sdb1") == "1024 KiB"
    assert preview.boot_disks == ["/dev/sda", "/dev/sdb"]
    assert preview.spare_esps == []
    assert body(preview.fstab) == ["UUID=<new:root> / xfs defaults 0 0", "UUID=<new:boot> /boot xfs defaults 0 0"]
    # the RAID members still line up: the same partitions in the same order on both disks
    assert partition_size(preview, "sda3") == partition_size(preview, "sdb3")


def test_uefi_reqpart_gets_an_esp_on_each_disk_and_mounts_only_the_first():
    text = "ignoredisk --only-use=sda,sdb\n" + RAID_BOOT_AND_ROOT.format(platform="reqpart", a="sda", b="sdb")
    preview = preview_storage(plan_of(text), profile("server-8disk-4nic"))
    assert formats(preview, "efi") == ["sda1 (/boot/efi)", "sdb1"]
    assert partition_size(preview, "sda1") == partition_size(preview, "sdb1") == "600 MiB"
    assert preview.spare_esps == ["/dev/sdb1"]
    assert preview.boot_disks == ["/dev/sda", "/dev/sdb"]
    fstab = body(preview.fstab)
    assert fstab == ["UUID=<new:root> / xfs defaults 0 0", "UUID=<new:boot> /boot xfs defaults 0 0",
                     "UUID=<new:sda1> /boot/efi vfat umask=0077,shortname=winnt,nofail,"
                     "x-systemd.before=local-fs.target 0 2"]   # sda may be the disk that failed
    assert "sdb1" not in preview.fstab
    assert re.search(r"^  sdb1 \(partition, 600 MiB\) efi \[new\]$", preview.tree_text(), re.M)
    assert preview.changed_disks == ["sda", "sdb"]


def test_the_mirror_decides_the_boot_disk_not_the_first_disk():
    # sda is selected but holds no part of the mirror: the ESPs go on vdb and vdc only
    text = RAID_BOOT_AND_ROOT.format(platform="reqpart", a="vdb", b="vdc") + "part /srv --size=1024 --ondisk=vda\n"
    preview = preview_storage(plan_of(text), vm(("vda", 10), ("vdb", 10), ("vdc", 10)))
    assert formats(preview, "efi") == ["vdb1 (/boot/efi)", "vdc1"]
    assert preview.boot_disks == ["/dev/vdb", "/dev/vdc"]


def test_boot_drive_keeps_the_mounted_esp_and_the_other_disk_gets_the_spare():
    text = "bootloader --boot-drive=vdb\n" + RAID_BOOT_AND_ROOT.format(platform="reqpart", a="vda", b="vdb")
    preview = preview_storage(plan_of(text), vm(("vda", 10), ("vdb", 10)))
    assert formats(preview, "efi") == ["vda1", "vdb1 (/boot/efi)"]
    assert preview.spare_esps == ["/dev/vda1"]


@pytest.mark.parametrize("ondisk", [" --ondisk=vda", ""])
def test_explicit_esp_without_reqpart_is_copied_at_its_own_size(ondisk):
    text = RAID_BOOT_AND_ROOT.format(platform=f"part /boot/efi --fstype=efi --size=300{ondisk}", a="vda", b="vdb")
    preview = preview_storage(plan_of(text), vm(("vda", 10), ("vdb", 10)))
    assert formats(preview, "efi") == ["vda1 (/boot/efi)", "vdb1"]
    assert partition_size(preview, "vda1") == partition_size(preview, "vdb1") == "300 MiB"
    assert [line.split()[1] for line in body(preview.fstab)] == ["/", "/boot", "/boot/efi"]


def test_biosboot_per_disk_in_the_kickstart_is_not_duplicated():
    platform = "\n".join(f"part biosboot --fstype=biosboot --size=1 --ondisk={d}" for d in ("vda", "vdb"))
    preview = preview_storage(plan_of(RAID_BOOT_AND_ROOT.format(platform=platform, a="vda", b="vdb")),
                                      vm(("vda", 10), ("vdb", 10), firmware="bios"))
    assert formats(preview, "biosboot") == ["vda1", "vdb1"]
    assert len([a for a in preview.actions if a.startswith("create partition")]) == 6


def test_one_explicit_biosboot_gets_its_twin():
    platform = "part biosboot --fstype=biosboot --size=2"
    preview = preview_storage(plan_of(RAID_BOOT_AND_ROOT.format(platform=platform, a="vda", b="vdb")),
                                      vm(("vda", 10), ("vdb", 10), firmware="bios"))
    assert formats(preview, "biosboot") == ["vda1", "vdb1"]
    assert partition_size(preview, "vdb1") == "2 MiB"


def test_root_on_lvm_on_raid1_without_boot_partition():
    text = """\
clearpart --all --initlabel
reqpart
part raid.01 --size=3000 --grow --ondisk=vda
part raid.02 --size=3000 --grow --ondisk=vdb
raid pv.01 --level=1 --device=pv00 raid.01 raid.02
volgroup sys pv.01
logvol / --vgname=sys --name=root --size=2048 --grow
"""
    preview = preview_storage(plan_of(text), vm(("vda", 8), ("vdb", 8)))
    assert formats(preview, "efi") == ["vda1 (/boot/efi)", "vdb1"]
    assert preview.boot_disks == ["/dev/vda", "/dev/vdb"]
    assert preview.spare_esps == ["/dev/vdb1"]


def test_msdos_bios_mirror_needs_no_biosboot_and_gets_grub_on_both_disks():
    text = RAID_BOOT_AND_ROOT.format(platform="reqpart", a="vda", b="vdb").replace(
        "clearpart --all --initlabel", "clearpart --all --initlabel --disklabel=msdos")
    preview = preview_storage(plan_of(text), vm(("vda", 10), ("vdb", 10), firmware="bios"))
    assert "biosboot" not in " ".join(preview.actions)
    assert preview.boot_disks == ["/dev/vda", "/dev/vdb"]


@pytest.mark.parametrize("firmware,what", [("uefi", "EFI system partition"), ("bios", "biosboot partition")])
def test_a_member_left_to_blivet_on_another_disk_is_an_error_with_the_line(firmware, what):
    # vda is too small for both /boot members: the one without --ondisk lands on vdb, which has no
    # firmware partition, and nothing can be added once blivet has laid the disks out
    text = """\
clearpart --all --initlabel
reqpart
part raid.11 --size=1024 --ondisk=vda
part raid.12 --size=1024
part / --size=3000 --ondisk=vdb
raid /boot --level=1 --device=boot raid.11 raid.12
"""
    with pytest.raises(PlanError) as err:
        preview_storage(plan_of(text), vm(("vda", 2), ("vdb", 10), firmware=firmware))
    assert str(err.value) == (f"raid.ks:7: vdb holds a member of the RAID1 array under /boot but has no {what}, "
                              f"so it could not boot alone: place raid.12 with --ondisk (one member per disk) "
                              f"so that each disk gets its own {what}")


def test_linear_lvm_over_two_disks_gets_grub_only_where_the_biosboot_is():
    # autopart --noboot: / is an LV whose VG spans sda and sdb, no mirror; sdb has no biosboot partition
    preview = preview_storage(plan_of("clearpart --all --initlabel\nautopart --noboot\n"),
                                      profile("bios-2sata"))
    assert formats(preview, "lvmpv") == ["sda2", "sdb1"]
    assert formats(preview, "biosboot") == ["sda1"]
    assert preview.boot_disks == ["/dev/sda"]


def _repository_kickstarts() -> list[Path]:
    found = sorted(KICKSTARTS.glob("*.ks")) + sorted((ROOT / "tests" / "vm" / "scenarios").rglob("*.ks"))
    # part --onpart needs the partitions it names: test_storage_preview plans those on their machine
    return [p for p in found if not re.search(r"^raid |--onpart=", p.read_text(), re.M)]


def machine_for(text: str, firmware: str) -> Machine:
    """100 GiB disks answering every disk the kickstart names (by kernel name or serial), and at least two."""
    specs = [s for group in re.findall(r"--(?:only-use|ondisk|boot-drive|drives)=(\S+)", text)
             for s in group.split(",")]
    disks: list[Disk] = []
    for spec in dict.fromkeys(specs):
        name = spec if re.fullmatch(r"(sd|vd)[a-z]+|nvme\d+n\d+", spec) else f"vd{'ghijklmn'[len(disks)]}"
        disks.append(Disk(name=name, path=f"/dev/{name}", size=100 * GiB, serial=spec))
    while len(disks) < 2:
        name = f"vd{'yz'[len(disks)]}"
        disks.append(Disk(name=name, path=f"/dev/{name}", size=100 * GiB))
    return Machine(firmware=firmware, memory=2 * GiB, disks=disks)


@pytest.mark.parametrize("path", _repository_kickstarts(), ids=lambda p: p.stem)
@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_kickstarts_without_raid_keep_one_firmware_partition(path, firmware):
    loaded = load_kickstart(path)
    assert loaded.ok, [str(d) for d in loaded.errors]
    preview = preview_storage(loaded.plan, machine_for(path.read_text(), firmware))
    assert preview.spare_esps == []
    assert len(formats(preview, "efi") + formats(preview, "biosboot")) <= 1
    assert len(preview.boot_disks) == 1
