"""validate on part --onpart/--noformat: the reused partition as the probe saw it."""

from validate_support import GIB, at, base_plan, disk, errors, uefi_machine

from installer.model.machine import Partition
from installer.model.plan import PartitionRequest

MIB = 1024**2


def lab_disk():
    d = disk("vda", 20, transport="virtio", ptable="gpt", serial="VD1")
    d.partitions = [
        Partition(name="vda1", path="/dev/vda1", number=1, size=600 * MIB, fstype="vfat"),
        Partition(name="vda2", path="/dev/vda2", number=2, size=8 * GIB, fstype="xfs"),
        Partition(name="vda3", path="/dev/vda3", number=3, size=11 * GIB, fstype="ext4", label="HOME"),
    ]
    return d


def reuse_plan(*parts, clear="none"):
    plan = base_plan()
    plan.storage.autopart = None
    plan.storage.clearpart.set("mode", clear, at(2))
    plan.storage.partitions.extend(parts)
    return plan


def part(mp, line, **kw):
    return PartitionRequest(mountpoint=mp, origin=at(line), **kw)


def keep_home(**home):
    return reuse_plan(part("/boot/efi", 10, onpart="vda1"), part("/", 11, onpart="vda2"),
                      part("/home", 12, onpart="vda3", noformat=True, **home))


def test_a_lab_reinstall_keeping_home_validates_on_a_full_disk():
    # the disk has no free space left: reused partitions need none (their sizes are ignored)
    assert errors(keep_home(), uefi_machine(lab_disk())) == []


def test_a_missing_partition_is_named_with_what_exists():
    plan = reuse_plan(part("/", 11, onpart="vda2"), part("/home", 12, onpart="vda4", noformat=True))
    assert errors(plan, uefi_machine(lab_disk())) == [
        "ks.cfg:12: --onpart=vda4: no such partition on this machine (did you mean 'vda3'?); "
        "partitions: vda1, vda2, vda3"]


def test_clearpart_all_removes_the_partition_to_keep():
    plan = keep_home()
    plan.storage.clearpart.set("mode", "all", at(2))
    errs = errors(plan, uefi_machine(lab_disk()))
    assert "ks.cfg:2: --onpart=vda3: clearpart --all removes vda3, so it cannot be reused" in " ".join(errs)


def test_clearpart_linux_removes_linux_partitions_but_not_a_vfat_one():
    plan = keep_home()
    plan.storage.clearpart.set("mode", "linux", at(2))
    errs = errors(plan, uefi_machine(lab_disk()))
    assert any("--onpart=vda3: clearpart --linux removes vda3" in e for e in errs), errs
    assert not any("vda1" in e for e in errs), errs


def test_noformat_reads_the_filesystem_from_the_probe():
    assert errors(keep_home(fstype="xfs"), uefi_machine(lab_disk())) == [
        "ks.cfg:12: --onpart=vda3 --noformat: vda3 holds ext4, not xfs"]
    plan = reuse_plan(part("/", 11, onpart="vda1", noformat=True))
    assert "ks.cfg:11: --onpart=vda1 --noformat: / needs a Linux filesystem, vda1 holds vfat" in errors(
        plan, uefi_machine(lab_disk()))


def test_noformat_on_a_partition_without_a_filesystem():
    d = lab_disk()
    d.partitions[2].fstype = None
    errs = errors(keep_home(), uefi_machine(d))
    assert errs == ["ks.cfg:12: --onpart=vda3 --noformat: vda3 holds no filesystem, which cannot be mounted at "
                    "/home; drop --noformat to format it"]


def test_a_partition_on_a_disk_left_out_is_refused():
    other = disk("vdb", 20, transport="virtio", serial="VD2")
    plan = keep_home()
    plan.storage.set("selected_disks", ["vdb"], at(3))
    errs = errors(plan, uefi_machine(lab_disk(), other))
    assert any("--onpart=vda3: vda3 is on vda, which is not selected for the installation (vdb)" in e
               for e in errs), errs


def test_one_partition_twice():
    plan = reuse_plan(part("/", 11, onpart="vda2"), part("/srv", 12, onpart="/dev/vda2"))
    errs = errors(plan, uefi_machine(lab_disk()))
    assert any(e.startswith("ks.cfg:12: --onpart=/dev/vda2: vda2 is already used") for e in errs), errs
