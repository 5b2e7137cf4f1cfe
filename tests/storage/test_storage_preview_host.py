"""A preview plans for another machine on image files: the host's udev, lsblk and disks stay out of it.

The shims in installer/storage/backend.py that keep them out must be undone after every preview, failed or not,
since apply, in the same process, needs blivet as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from installer.storage.preview import _make_sparse_disks, preview_storage
from installer.model.defaults import new_plan
from installer.model.diagnostics import PlanError
from installer.model.machine import Disk, Machine, Partition
from installer.model.plan import AutoPart, Origin

from paths import PROFILES

GiB = 1024**3
TiB = 1024**4


def autopart_plan(clear: str = "all"):
    plan = new_plan()
    plan.storage.autopart = AutoPart()
    plan.storage.autopart.origins["scheme"] = Origin.kickstart("test.ks", 5)
    plan.storage.clearpart.set("mode", clear, Origin.kickstart("test.ks", 4))
    return plan


@pytest.fixture
def started(monkeypatch):
    """The programs every process started from here runs (each still runs: this only records)."""
    names: list[str] = []
    real_init = subprocess.Popen.__init__

    def recording_init(self, args, *a, **kw):
        argv0 = args if isinstance(args, (str, bytes)) else args[0]
        names.append(os.path.basename(str(argv0)))
        real_init(self, args, *a, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording_init)
    return names


def test_preview_starts_sfdisk_once_per_partition_table_and_nothing_else(started):
    machine = Machine.load(PROFILES / "server-8disk-4nic.json")
    with_tables = [d.name for d in machine.target_disks if d.ptable]
    assert with_tables, "the profile should have disks with partition tables"
    preview = preview_storage(autopart_plan(), machine)
    assert preview.actions
    assert started == ["sfdisk"] * len(with_tables)  # no udevadm settle, no lsblk


def test_preview_of_blank_disks_starts_no_process(started):
    machine = Machine(firmware="uefi", memory=4 * GiB,
                      disks=[Disk(name=n, path=f"/dev/{n}", size=20 * GiB, transport="virtio") for n in ("vda", "vdb")])
    preview = preview_storage(autopart_plan(), machine)
    assert "create format lvmpv on vda3" in preview.actions
    assert started == []


def test_shims_are_undone_after_previews_that_succeed_and_fail():
    import blivet.blivet
    import blivet.udev
    from blivet.deviceaction import DeviceAction
    from blivet.static_data import lvs_info

    def state():
        return (blivet.udev.settle, blivet.blivet.capture_output,
                DeviceAction.__dict__.get("_check_device_dependencies"), lvs_info._lvs_cache)

    before = state()
    small = Machine(firmware="uefi", memory=4 * GiB, disks=[Disk(name="vda", path="/dev/vda", size=3 * GiB)])
    with pytest.raises(PlanError):
        preview_storage(autopart_plan(), small)
    assert state() == before
    preview_storage(autopart_plan(), Machine.load(PROFILES / "nvme-uefi.json"))
    assert state() == before


def test_a_huge_disk_left_alone_needs_no_image():
    """Images are sized by the disks the plan uses: an ignored 100 TiB array needs no filesystem that holds it."""
    machine = Machine(firmware="uefi", memory=4 * GiB, disks=[
        Disk(name="vda", path="/dev/vda", size=20 * GiB, transport="virtio"),
        Disk(name="sdz", path="/dev/sdz", size=100 * TiB, transport="sas")])
    plan = autopart_plan()
    plan.storage.set("selected_disks", ["vda"], Origin.kickstart("test.ks", 3))
    preview = preview_storage(plan, machine)
    assert preview.changed_disks == ["vda"]


def test_sparse_images_get_their_partition_tables_and_a_failure_names_the_disk(tmp_path):
    def disk(name: str, size_gib: int, part_gib: int | None) -> Disk:
        parts = [] if part_gib is None else [Partition(name=f"{name}1", path=f"/dev/{name}1", number=1,
                                                       start=1024**2, size=part_gib * GiB)]
        return Disk(name=name, path=f"/dev/{name}", size=size_gib * GiB, ptable="gpt", partitions=parts)

    paths = _make_sparse_disks(str(tmp_path), [disk("vda", 10, 2), disk("vdb", 10, None)])
    assert sorted(paths) == ["vda", "vdb"]
    dumps = {n: subprocess.run(["sfdisk", "-d", p], capture_output=True, text=True, check=True).stdout
             for n, p in paths.items()}
    assert "start=        2048, size=     4194304" in dumps["vda"]
    assert "label: gpt" in dumps["vdb"] and "start=" not in dumps["vdb"]
    assert os.path.getsize(paths["vda"]) == 10 * GiB

    (tmp_path / "again").mkdir()
    with pytest.raises(RuntimeError, match=r"sfdisk could not recreate the partitions of vdc: .*"):
        _make_sparse_disks(str(tmp_path / "again"), [disk("vda", 10, 2), disk("vdc", 10, 50)])


@pytest.fixture(autouse=True)
def _needs_sfdisk():
    if shutil.which("sfdisk") is None:
        pytest.skip("sfdisk (util-linux) is needed to write the images' partition tables")


def test_previews_from_several_threads_match_one_at_a_time():
    """The TUI previews from thread workers, two of which may overlap."""
    import threading

    import blivet.udev

    machine = Machine.load(PROFILES / "bios-2sata.json")
    alone = preview_storage(autopart_plan(), machine).to_dict()
    settle = blivet.udev.settle
    results: list[dict] = []
    errors: list[BaseException] = []

    def preview() -> None:
        try:
            results.append(preview_storage(autopart_plan(), machine).to_dict())
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=preview) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert results == [alone] * 3
    assert blivet.udev.settle is settle
