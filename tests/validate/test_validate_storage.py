"""Storage validation against machines built in code."""

import pytest
from validate_support import GIB, at, base_plan, bios_machine, disk, errors, messages, uefi_machine, windows_disk

from installer.model.plan import (
    BtrfsRequest,
    Encryption,
    LogVolRequest,
    PartitionRequest,
    RaidRequest,
    Secret,
    VolGroupRequest,
)
from installer.validate.storage import swap_size_mib


def custom(plan, *parts, vgs=(), lvs=(), raids=()):
    plan.storage.autopart = None
    plan.storage.partitions.extend(parts)
    plan.storage.volgroups.extend(vgs)
    plan.storage.logvols.extend(lvs)
    plan.storage.raids.extend(raids)
    return plan


def part(mp, line, **kw):
    return PartitionRequest(mountpoint=mp, origin=at(line), **kw)


def good_uefi_layout(plan, ondisk=None):
    return custom(
        plan,
        part("/boot/efi", 10, size_mib=600, fstype="efi", ondisk=ondisk),
        part("/boot", 11, size_mib=1024, fstype="xfs", ondisk=ondisk),
        part("pv.01", 12, size_mib=8000, grow=True, ondisk=ondisk),
        vgs=[VolGroupRequest(name="azl", physvols=["pv.01"], origin=at(13))],
        lvs=[LogVolRequest(mountpoint="/", vgname="azl", name="root", size_mib=4000, fstype="xfs", origin=at(14))],
    )


def test_base_plan_is_valid_on_a_roomy_machine():
    assert messages(base_plan(), uefi_machine()) == []


def test_autopart_too_small_names_needed_and_available_sizes():
    m = uefi_machine(disk("vda", 3))
    assert errors(base_plan(), m) == ["ks.cfg:1: disk vda is too small: the layout needs 3.6 GiB, the disk has 3.0 GiB"]


def test_autopart_with_swap_counts_recommended_swap():
    plan = base_plan()
    plan.storage.autopart.noswap = False
    m = uefi_machine(disk("vda", 5), memory_gib=4)
    # ESP 600 MiB + /boot 1 GiB + / 2 GiB + swap = RAM 4 GiB
    assert errors(plan, m) == ["ks.cfg:1: disk vda is too small: the layout needs 7.6 GiB, the disk has 5.0 GiB"]


@pytest.mark.parametrize("ram_gib,swap_gib", [(1, 2), (4, 4), (16, 8), (128, 32)])
def test_swap_size_follows_anaconda(ram_gib, swap_gib):
    assert swap_size_mib(ram_gib * GIB) == swap_gib * 1024


def test_autopart_on_several_small_disks_lists_each():
    m = uefi_machine(disk("sda", 1), disk("sdb", 1))
    (msg,) = errors(base_plan(), m)
    assert msg.startswith("ks.cfg:1: the selected disks are too small: the layout needs 3.6 GiB, they have 2.0 GiB")
    assert "sda 1022 MiB" in msg and "sdb 1022 MiB" in msg


def test_clearpart_none_only_counts_free_space():
    plan = base_plan()
    plan.storage.clearpart.set("mode", "none", at(2))
    (msg,) = errors(plan, uefi_machine(windows_disk()))
    assert msg == "ks.cfg:1: disk sda is too small: the layout needs 3.6 GiB, the disk has 1.9 GiB free"


def test_clearpart_linux_frees_linux_partitions_only():
    plan = base_plan()
    plan.storage.clearpart.set("mode", "linux", at(2))
    assert errors(plan, uefi_machine(windows_disk())) == []


def test_named_disks_must_exist():
    plan = good_uefi_layout(base_plan(), ondisk="sdz")
    plan.storage.clearpart.set("drives", ["sdq"], at(2))
    plan.bootloader.set("boot_drive", "nvme9n1", at(20))
    errs = errors(plan, uefi_machine())
    assert "ks.cfg:2: clearpart --drives: no disk 'sdq' on this machine; disks: vda" in errs
    assert "ks.cfg:10: --ondisk: no disk 'sdz' on this machine; disks: vda" in errs
    assert "ks.cfg:20: bootloader --boot-drive: no disk 'nvme9n1' on this machine; disks: vda" in errs


def test_disks_found_by_path_serial_and_by_id():
    d = disk("sda", 50, serial="S3Z1NB0K", by_id="/dev/disk/by-id/ata-Samsung_S3Z1NB0K")
    for spec in ("/dev/sda", "S3Z1NB0K", "disk/by-id/ata-Samsung_S3Z1NB0K", "/dev/disk/by-id/ata-Samsung_S3Z1NB0K"):
        plan = good_uefi_layout(base_plan(), ondisk=spec)
        assert errors(plan, uefi_machine(d)) == [], spec


def test_live_medium_is_never_a_target():
    live = disk("sdb", 16, transport="usb", is_live_medium=True)
    plan = good_uefi_layout(base_plan(), ondisk="sdb")
    errs = errors(plan, uefi_machine(disk("vda", 20), live))
    assert "ks.cfg:10: --ondisk: sdb is the live installation medium and is never an install target" in errs


def test_only_use_live_medium():
    live = disk("sdb", 16, transport="usb", is_live_medium=True)
    plan = base_plan()
    plan.storage.set("selected_disks", ["sdb"], at(5))
    errs = errors(plan, uefi_machine(disk("vda", 20), live))
    assert errs == ["ks.cfg:5: ignoredisk --only-use: sdb is the live installation medium and is never an install "
                    "target"]


def test_clearpart_all_when_the_only_disk_is_the_live_medium():
    live = disk("sda", 16, transport="usb", is_live_medium=True)
    errs = errors(base_plan(), uefi_machine(live))
    assert errs == ["ks.cfg:2: no disk to install to: the only disk is the live installation medium sda, "
                    "which is never a target"]


def test_ignored_disk_cannot_be_used_by_ondisk():
    plan = good_uefi_layout(base_plan(), ondisk="vdb")
    plan.storage.set("ignored_disks", ["vdb"], at(6))
    errs = errors(plan, uefi_machine(disk("vda", 20), disk("vdb", 20)))
    assert "ks.cfg:10: --ondisk=vdb: vdb is excluded by ignoredisk" in errs


def test_custom_layout_is_valid():
    assert messages(good_uefi_layout(base_plan()), uefi_machine()) == []


def test_custom_request_overflowing_a_disk_is_blamed():
    plan = good_uefi_layout(base_plan(), ondisk="vda")
    plan.storage.partitions.append(part("/srv", 15, size_mib=30000, ondisk="vda"))
    errs = errors(plan, uefi_machine(disk("vda", 20)))
    assert errs == ["ks.cfg:15: disk vda is too small: the layout needs 38.7 GiB, the disk has 20.0 GiB"]


def test_volume_group_too_small_for_its_volumes():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions[2].grow = False
    plan.storage.partitions[2].size_mib = 2000
    errs = errors(plan, uefi_machine())
    assert errs == ["ks.cfg:14: volume group azl is too small: its logical volumes need 3.9 GiB, "
                    "its physical volumes hold 1.9 GiB"]


def test_uefi_custom_layout_needs_esp():
    plan = good_uefi_layout(base_plan())
    del plan.storage.partitions[0]
    errs = errors(plan, uefi_machine())
    assert errs == ["ks.cfg:11: this UEFI machine needs an EFI system partition: add "
                    "'part /boot/efi --fstype=efi --size=600' or 'reqpart'"]
    plan.storage.set("reqpart", True, at(9))
    assert errors(plan, uefi_machine()) == []


def test_bios_gpt_needs_biosboot_but_msdos_does_not():
    plan = good_uefi_layout(base_plan())
    del plan.storage.partitions[0]
    assert errors(plan, bios_machine()) == [
        "ks.cfg:11: this BIOS machine boots from a GPT disk and needs a biosboot partition: add "
        "'part biosboot --fstype=biosboot --size=1' or 'reqpart'"]
    plan.storage.clearpart.set("disklabel", "msdos", at(2))
    assert errors(plan, bios_machine()) == []


def test_mountpoints_absolute_normalized_unique_and_one_root():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions += [
        part("home", 20, size_mib=100),
        part("/var//log", 21, size_mib=100),
        part("/boot", 22, size_mib=100),
        part("/etc", 23, size_mib=100),
        part("/srv/", 24, size_mib=100),
    ]
    errs = errors(plan)
    assert errs == [
        "ks.cfg:20: mountpoint 'home' is not an absolute path (it must start with /)",
        "ks.cfg:21: mountpoint '/var//log' is not normalized (write '/var/log')",
        "ks.cfg:22: mountpoint /boot is already used at line 11",
        "ks.cfg:23: /etc cannot be a separate filesystem: it must be on the / filesystem",
        "ks.cfg:24: mountpoint '/srv/' is not normalized (write '/srv')",
    ]


def test_missing_and_duplicate_root():
    plan = custom(base_plan(), part("/boot", 10, size_mib=500), part("swap", 11, size_mib=500))
    assert errors(plan) == ["ks.cfg:10: the layout has no root filesystem: add a / mountpoint"]
    plan.storage.partitions += [part("/", 12, size_mib=5000), part("/", 13, size_mib=5000)]
    assert errors(plan) == ["ks.cfg:13: mountpoint / is already used at line 12"]


def test_filesystem_types():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions += [
        part("/data", 20, size_mib=100, fstype="xfz"),
        part("swap", 21, size_mib=100, fstype="ext4"),
        part("/srv", 22, size_mib=100, fstype="swap"),
        part("/scratch", 23, size_mib=100, fstype="ntfs"),
    ]
    plan.storage.partitions[0].fstype = "ext4"
    errs = errors(plan)
    assert errs == [
        "ks.cfg:10: /boot/efi must be an EFI system partition (--fstype=efi), not ext4",
        "ks.cfg:20: unknown filesystem type 'xfz' (did you mean 'xfs'?); known types: "
        "xfs, ext4, ext3, ext2, btrfs, vfat, efi, swap, biosboot",
        "ks.cfg:21: swap cannot have filesystem type ext4",
        "ks.cfg:22: filesystem type swap needs the mountpoint 'swap', not '/srv'",
        "ks.cfg:23: unknown filesystem type 'ntfs'; known types: xfs, ext4, ext3, ext2, btrfs, vfat, efi, swap, biosboot",
    ]


def test_root_on_vfat_refused():
    plan = good_uefi_layout(base_plan())
    plan.storage.logvols[0].fstype = "vfat"
    assert errors(plan) == ["ks.cfg:14: / needs a Linux filesystem (xfs, ext4, ext3, ext2, btrfs), not vfat"]


def test_sizes_positive_and_maxsize_not_below_size():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions += [part("/a", 20, size_mib=0), part("/b", 21, size_mib=500, maxsize_mib=100, grow=True)]
    assert errors(plan) == ["ks.cfg:20: --size=0 must be a positive size in MiB",
                            "ks.cfg:21: --maxsize=100 is smaller than --size=500"]


def test_encryption_needs_a_passphrase_unless_interactive():
    plan = base_plan()
    plan.storage.autopart.set("encrypted", True, at(1))
    assert errors(plan) == ["ks.cfg:1: encryption requested without a passphrase: add --passphrase=..."]
    plan.interactive = True
    assert messages(plan) == ["ks.cfg:1: warning: encryption requested without a passphrase: the installer will ask for it"]
    plan.interactive = False
    plan.storage.autopart.encryption = Encryption(passphrase=Secret("correct horse battery"))
    assert errors(plan) == []


def test_one_passphrase_serves_every_encrypted_device():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions[2].encrypted = True
    plan.storage.partitions[2].encryption = Encryption(passphrase=Secret("long enough passphrase"))
    plan.storage.partitions.append(part("/data", 20, size_mib=100, encrypted=True))
    assert errors(plan) == []


def test_short_passphrase_warns_and_luks1_pbkdf_errors():
    plan = base_plan()
    plan.storage.autopart.set("encrypted", True, at(1))
    plan.storage.autopart.encryption = Encryption(passphrase=Secret("short"), luks_version="luks1", pbkdf="argon2id")
    assert messages(plan) == [
        "ks.cfg:1: warning: the encryption passphrase is shorter than 8 characters",
        "ks.cfg:1: --pbkdf=argon2id needs LUKS2; LUKS1 supports only pbkdf2",
    ]


def test_encrypted_boot_refused():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions[1].encrypted = True
    plan.storage.partitions[1].encryption = Encryption(passphrase=Secret("long enough passphrase"))
    assert errors(plan) == ["ks.cfg:11: /boot cannot be encrypted: the boot loader must read it"]


def test_volgroup_and_logvol_references():
    plan = good_uefi_layout(base_plan())
    plan.storage.volgroups.append(VolGroupRequest(name="data", physvols=["pv.02"], origin=at(30)))
    plan.storage.logvols.append(LogVolRequest(mountpoint="/srv", vgname="dta", name="srv", size_mib=10, origin=at(31)))
    plan.storage.logvols.append(LogVolRequest(mountpoint="/opt", vgname="azl", name="root", size_mib=10,
                                              origin=at(32)))
    assert errors(plan) == [
        "ks.cfg:30: volume group data: physical volume pv.02 is not defined (add 'part pv.02 ...') "
        "(did you mean 'pv.01'?)",
        "ks.cfg:31: logical volume srv: volume group 'dta' is not defined (did you mean 'data'?)",
        "ks.cfg:32: logical volume azl/root is already defined at line 14",
    ]


def test_physical_volume_in_two_groups():
    plan = good_uefi_layout(base_plan())
    plan.storage.volgroups.append(VolGroupRequest(name="other", physvols=["pv.01"], origin=at(30)))
    assert errors(plan) == ["ks.cfg:30: physical volume pv.01 is already in a volume group at line 13"]


def test_raid_members_and_levels():
    def raid_plan(level, members, defined):
        plan = good_uefi_layout(base_plan())
        for i, m in enumerate(defined):
            plan.storage.partitions.append(part(m, 40 + i, size_mib=1000, ondisk="vda" if i % 2 else "vdb"))
        plan.storage.raids.append(RaidRequest(mountpoint="/srv", device="md0", level=level, members=members,
                                              fstype="xfs", origin=at(50)))
        return plan

    m = uefi_machine(disk("vda", 20), disk("vdb", 20))
    assert errors(raid_plan("1", ["raid.01", "raid.02"], ["raid.01", "raid.02"]), m) == []
    assert errors(raid_plan("raid1", ["raid.01"], ["raid.01"]), m) == [
        "ks.cfg:50: raid1 needs at least 2 members, md0 has 1"]
    assert errors(raid_plan("raid5", ["raid.01", "raid.02"], ["raid.01", "raid.02"]), m) == [
        "ks.cfg:50: raid5 needs at least 3 members, md0 has 2"]
    assert errors(raid_plan("raid7", ["raid.01", "raid.02"], ["raid.01", "raid.02"]), m) == [
        "ks.cfg:50: RAID level 'raid7' is not supported (raid0, raid1, raid4, raid5, raid6, raid10)"]
    assert errors(raid_plan("raid1", ["raid.01", "raid.03"], ["raid.01", "raid.02"]), m) == [
        "ks.cfg:50: RAID member raid.03 is not defined (add 'part raid.03 ...') (did you mean 'raid.02'?)"]


def test_raid_members_on_one_disk_warn():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions += [part("raid.01", 40, size_mib=100, ondisk="vda"),
                                part("raid.02", 41, size_mib=100, ondisk="vda")]
    plan.storage.raids.append(RaidRequest(mountpoint="/srv", device="md0", level="raid1",
                                          members=["raid.01", "raid.02"], origin=at(50)))
    assert messages(plan, uefi_machine(), "warning") == [
        "ks.cfg:50: warning: RAID members raid.01 and raid.02 are both on vda: md0 has no redundancy against a "
        "disk failure"]


def test_btrfs_volumes_and_subvolumes():
    plan = custom(base_plan(), part("/boot/efi", 10, size_mib=600, fstype="efi"), part("btrfs.01", 11, size_mib=9000))
    plan.storage.btrfs += [
        BtrfsRequest(mountpoint=None, name="azl", label="azl", members=["btrfs.01"], origin=at(12)),
        BtrfsRequest(mountpoint="/", name="root", subvol=True, parent="azl", origin=at(13)),
        BtrfsRequest(mountpoint="/home", name="home", subvol=True, parent="nope", origin=at(14)),
    ]
    assert errors(plan, uefi_machine()) == ["ks.cfg:14: btrfs subvolume home: parent volume 'nope' is not defined"]


def test_no_layout_is_an_error_unless_interactive():
    plan = base_plan()
    plan.storage.autopart = None
    assert errors(plan) == ["ks.cfg:100: no disk layout: add autopart, or part/volgroup/logvol/raid commands"]
    plan.interactive = True
    assert messages(plan) == ["ks.cfg:100: warning: no disk layout given: the installer will ask for one"]


def test_autopart_fstype_and_scheme():
    plan = base_plan()
    plan.storage.autopart.fstype = "vfat"
    assert errors(plan) == ["ks.cfg:1: autopart --fstype=vfat is not usable for / (xfs, ext4, ext3, ext2, btrfs)"]
    plan.storage.autopart.fstype = "ext4"
    plan.storage.autopart.scheme = "btrfs"
    assert errors(plan) == ["ks.cfg:1: autopart --type=btrfs cannot use --fstype=ext4"]


def test_storage_checks_need_no_machine():
    plan = good_uefi_layout(base_plan(), ondisk="sdz")
    assert errors(plan) == []


def test_a_partition_larger_than_every_disk():
    plan = good_uefi_layout(base_plan())
    plan.storage.partitions.append(part("/data", 20, size_mib=30 * 1024))
    errs = errors(plan, uefi_machine(disk("vda", 20), disk("vdb", 20)))
    assert errs == ["ks.cfg:20: no disk can hold this partition: it needs 30.0 GiB, the largest disk (vda) has "
                    "20.0 GiB"]


# ---------------------------------------------------------------- clearpart --all on several disks

def test_clearpart_all_without_drives_warns_naming_the_disk_with_another_os():
    from validate_support import windows_disk as win

    plan = base_plan()
    other = disk("sdb", 200, transport="sata", serial="BLANK-2")
    os_disk = win()
    os_disk.serial, os_disk.model = "WIN-1", "Samsung SSD"
    warnings = messages(plan, uefi_machine(os_disk, other), "warning")
    [warning] = [w for w in warnings if "clearpart --all" in w]
    assert warning.startswith("ks.cfg:2: ")
    assert "erases every disk in use (sda, sdb)" in warning
    assert "sda (Samsung SSD, 100.0 GiB, serial WIN-1: 3 partitions: vfat, ntfs, ext4)" in warning
    assert "sdb (" not in warning and "--drives=" in warning


def test_clearpart_all_with_drives_or_one_disk_or_blank_disks_does_not_warn():
    plan = base_plan()
    plan.storage.clearpart.drives = ["sda"]
    assert not [w for w in messages(plan, uefi_machine(windows_disk(), disk("sdb", 200)), "warning")
                if "clearpart --all" in w]
    assert not [w for w in messages(base_plan(), uefi_machine(windows_disk()), "warning") if "clearpart --all" in w]
    assert not [w for w in messages(base_plan(), uefi_machine(disk("sda", 50), disk("sdb", 50)), "warning")
                if "clearpart --all" in w]
