"""Data safety in the storage layer: what the preview says is erased (per disk, from the destroy
actions), the free-space invariant, and the disk re-identification before apply writes."""

from __future__ import annotations

import copy

import pytest

from installer.model.diagnostics import PlanError
from installer.model.machine import Disk, Machine
from installer.storage import plan as storage_plan
from installer.storage.apply import create_storage
from installer.storage.identity import check_touched, identity_problems
from installer.storage.preview import preview_storage
from tests.storage.test_storage_preview import autopart_plan, profile

GiB = 1024**3


def test_use_all_lists_every_destroyed_partition_under_its_disk():
    preview = preview_storage(autopart_plan("all"), profile("dualboot-windows-linux"))
    [erased] = preview.erasures
    assert erased.disk == "nvme0n1"
    assert "serial 22453R800712" in erased.identity and "931.5 GiB" in erased.identity
    assert erased.now.startswith("gpt: vfat")
    for n in range(1, 7):
        assert f"destroy partition nvme0n1p{n}" in erased.destroyed
    assert "destroy format ntfs on nvme0n1p3" in erased.destroyed
    assert preview.destroys and "device nvme0n1p3" in preview.destroyed_keys


def test_free_space_next_to_windows_erases_nothing():
    preview = preview_storage(autopart_plan("none"), profile("dualboot-windows-linux"))
    assert preview.erasures == [] and not preview.destroys


def test_a_blank_disk_loses_nothing_and_says_what_is_done():
    preview = preview_storage(autopart_plan("none"), profile("bios-2sata"))
    assert preview.erasures == []
    assert "wipe leftover signatures on blank disk sdb (no partition table or data found)" in preview.actions
    assert not [a for a in preview.actions if a.startswith("destroy")]


def test_linux_clearing_lists_only_the_linux_partitions():
    preview = preview_storage(autopart_plan("linux"), profile("dualboot-windows-linux"))
    [erased] = preview.erasures
    assert sorted(a.split()[-1] for a in erased.destroyed) == ["nvme0n1p5", "nvme0n1p5", "nvme0n1p6", "nvme0n1p6"]


def test_free_space_only_refuses_a_layout_that_would_destroy_a_partition(monkeypatch):
    """The invariant holds whatever clear() does: a wipe under clearpart --none is refused."""
    original = storage_plan._Layout.clear

    def wipes_anyway(self):  # what the TUI's "confirmed clear" flag used to turn free space into
        self.st.clearpart.mode = "all"
        try:
            original(self)
        finally:
            self.st.clearpart.mode = "none"

    monkeypatch.setattr(storage_plan._Layout, "clear", wipes_anyway)
    with pytest.raises(PlanError) as err:
        preview_storage(autopart_plan("none"), profile("dualboot-windows-linux"))
    assert "free space only" in str(err.value) and "refusing to destroy" in str(err.value)


# ---------------------------------------------------------------- re-identification at apply

def machine_with(**changes) -> tuple[Machine, Machine]:
    planned = profile("dualboot-windows-linux")
    current = copy.deepcopy(planned)
    for key, value in changes.items():
        setattr(current.disks[0], key, value)
    return planned, current


def test_the_same_disk_passes():
    planned, current = machine_with()
    assert identity_problems(planned.disks, current) == []


@pytest.mark.parametrize("change, expected", [
    ({"serial": "OTHER0001"}, "nvme0n1: serial OTHER0001 now, the plan saw 22453R800712"),
    ({"size": 500 * GiB}, "nvme0n1: 500.0 GiB (536870912000 bytes) now, the plan saw 931.5 GiB"),
    ({"is_live_medium": True}, "nvme0n1 is now the installation medium"),
    ({"name": "nvme1n1", "path": "/dev/nvme1n1"}, "is no longer on this machine"),
])
def test_a_changed_disk_is_refused(change, expected):
    planned, current = machine_with(**change)
    problems = identity_problems(planned.disks, current)
    assert len(problems) == 1 and expected in problems[0], problems


def test_a_wwn_appearing_is_a_different_disk():
    planned, current = machine_with(wwn="eui.0025388b91b1a2c3")
    planned.disks[0].wwn = None
    assert "has wwn eui.0025388b91b1a2c3 now, the plan saw none" in identity_problems(planned.disks, current)[0]


def test_apply_refuses_a_swapped_disk_before_touching_anything():
    """`install --machine PROFILE` on a machine whose disk is not the profile's: stopped before
    blivet is even reset (no root needed to reach the refusal)."""
    planned, current = machine_with(serial="SWAPPED-1")
    with pytest.raises(PlanError) as err:
        create_storage(autopart_plan("all"), planned, current=current)
    assert "the disks changed since the plan was made; nothing was changed" in str(err.value)
    assert "serial SWAPPED-1 now, the plan saw 22453R800712" in str(err.value)


def test_actions_outside_the_selected_disks_are_refused():
    m = Machine(disks=[Disk(name="sda", path="/dev/sda", size=GiB),
                       Disk(name="sdb", path="/dev/sdb", size=GiB),
                       Disk(name="sdc", path="/dev/sdc", size=GiB, is_live_medium=True)])
    check_touched({"sda"}, m.disks[:1], m)
    with pytest.raises(PlanError, match="disks the plan did not select: sdb"):
        check_touched({"sda", "sdb"}, m.disks[:1], m)
    with pytest.raises(PlanError, match="the installation medium sdc"):
        check_touched({"sdc"}, m.disks[2:], m)


def test_apply_probes_this_machine_when_not_told(monkeypatch):
    from installer.storage import apply

    planned, current = machine_with(size=2 * 1000**4)
    probed = []
    monkeypatch.setattr(apply, "_probe_now", lambda product: probed.append(product.name) or current)
    with pytest.raises(PlanError, match="the plan saw 931.5 GiB"):
        create_storage(autopart_plan("all"), planned)
    assert probed


def zfs_machine() -> Machine:
    """A whole-disk filesystem blivet has no format for (ZFS), next to a blank disk."""
    return Machine(disks=[Disk(name="vda", path="/dev/vda", size=40 * GiB, serial="ZFS-1", fstype="zfs_member",
                               label="tank"),
                          Disk(name="vdb", path="/dev/vdb", size=40 * GiB, serial="BLANK-1")])


def test_free_space_leaves_a_disk_with_unknown_data_alone():
    preview = preview_storage(autopart_plan("none"), zfs_machine())
    assert preview.erasures == [] and preview.changed_disks == ["vdb"]


def test_clearing_a_disk_with_unknown_data_is_an_erasure_naming_it():
    preview = preview_storage(autopart_plan("all"), zfs_machine())
    [erased] = preview.erasures
    assert erased.disk == "vda" and "serial ZFS-1" in erased.identity and "zfs_member 'tank'" in erased.now
    assert erased.destroyed == ["destroy zfs_member on vda (no format the installer knows)"]


# ---------------------------------------------------------------- apply destroys no more than was shown

def _action(kind: str, device, fmt_type=None):
    from types import SimpleNamespace as NS

    return NS(is_destroy=True, is_device=kind == "device", is_format=kind == "format", device=device,
              format=NS(type=fmt_type))


def _disk(name):
    from types import SimpleNamespace as NS

    d = NS(name=name, type="nvme" if name.startswith("nvme") else "disk", is_disk=True)
    d.disks = [d]
    return d


def _part(name, disk):
    from types import SimpleNamespace as NS

    return NS(name=name, type="partition", disks=[disk], is_disk=False)


def test_apply_may_not_destroy_what_the_preview_did_not_show():
    from installer.storage.erasure import unconfirmed_losses

    machine = profile("dualboot-windows-linux")
    shown = preview_storage(autopart_plan("linux"), machine)  # p5 and p6 go, Windows stays
    nvme = _disk("nvme0n1")
    same = [_action("format", _part("nvme0n1p5", nvme), "ext4"), _action("device", _part("nvme0n1p5", nvme)),
            _action("device", _part("nvme0n1p6", nvme))]
    args = ({e.disk for e in shown.erasures}, set(shown.destroyed_keys))
    assert unconfirmed_losses(*args, same, machine, lambda d: d.name) == []
    more = same + [_action("device", _part("nvme0n1p3", nvme))]
    assert unconfirmed_losses(*args, more, machine, lambda d: d.name) == [
        "device nvme0n1p3 (not in the plan's list of what is erased)"]


def test_apply_may_not_erase_a_disk_that_was_blank_at_the_probe():
    """%pre (or anything else) partitioned a disk the probe saw blank: the plan showed nothing erased there."""
    from installer.storage.erasure import unconfirmed_losses

    machine = profile("bios-2sata")
    shown = preview_storage(autopart_plan("all", ), machine)
    assert {e.disk for e in shown.erasures} == {"sda"}  # sdb was blank
    sdb = _disk("sdb")
    actions = [_action("device", _part("sdb1", sdb)), _action("format", sdb, "disklabel"),
               _action("format", _disk("sdb"), None)]
    problems = unconfirmed_losses({"sda"}, set(shown.destroyed_keys), actions, machine, lambda d: d.name)
    assert problems == ["sdb: device sdb1 (the plan showed nothing erased there)",
                        "sdb: format disklabel on sdb (the plan showed nothing erased there)"]
