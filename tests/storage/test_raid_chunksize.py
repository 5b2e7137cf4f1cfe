"""`raid --chunksize`: the array is created with that chunk size (blivet on sparse files; no disk touched)."""

from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.model.machine import Disk, Machine
from installer.storage.preview import preview_storage

GiB = 1024**3

KS = """\
zerombr
clearpart --all --initlabel
part /boot/efi --fstype=efi --size=600 --ondisk=vda
part / --fstype=xfs --size=6000 --ondisk=vda
part raid.01 --size=2048 --ondisk=vdb
part raid.02 --size=2048 --ondisk=vdc
raid /srv/scratch --device=scratch --level=0 --chunksize=256 --fstype=xfs raid.01 raid.02
"""


def machine() -> Machine:
    return Machine(firmware="uefi", memory=2 * GiB,
                   disks=[Disk(name=n, path=f"/dev/{n}", size=10 * GiB, transport="virtio") for n in ("vda", "vdb", "vdc")])


def test_chunksize_reaches_the_raid_array():
    result = parse_kickstart(KS, "raid.ks")
    assert result.ok, [str(d) for d in result.diagnostics]
    (raid,) = result.plan.storage.raids
    assert raid.chunk_size_kib == 256
    preview = preview_storage(result.plan, machine())
    (created,) = [a for a in preview.actions if a.startswith("create RAID array scratch")]
    assert "raid0" in created and "chunk 256 KiB" in created, created


def test_chunksize_survives_the_saved_kickstart():
    plan = parse_kickstart(KS, "raid.ks").plan
    saved = dump_kickstart(plan)
    assert "--chunksize=256" in saved
    assert parse_kickstart(saved, "saved.ks").plan.storage.raids[0].chunk_size_kib == 256


def test_chunksize_must_be_a_power_of_two_and_means_nothing_for_raid1():
    bad = parse_kickstart(KS.replace("--chunksize=256", "--chunksize=300"), "raid.ks")
    assert [str(d) for d in bad.errors] == [
        "raid.ks:7: raid --chunksize=300 must be a power of two of at least 4 (KiB)"]
    mirror = parse_kickstart(KS.replace("--level=0", "--level=1"), "raid.ks")
    assert mirror.ok
    assert [str(d) for d in mirror.warnings] == ["raid.ks:7: warning: raid --chunksize has no effect on RAID1 "
                                                 "(mirrors have no chunks)"]
