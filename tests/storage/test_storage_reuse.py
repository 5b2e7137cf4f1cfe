"""part --onpart/--usepart: an existing partition mounted as it is (--noformat) or reformatted in place.
Data safety: the preview's erase list holds exactly the reformatted partitions, never a kept one."""

from __future__ import annotations

import pytest

from installer.model.defaults import new_plan
from installer.model.diagnostics import PlanError
from installer.model.machine import Disk, Machine, Partition
from installer.model.plan import Origin, PartitionRequest
from installer.storage.preview import preview_storage

GiB = 1024**3
MiB = 1024**2
ESP = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
HOME_UUID = "6f1b2c3d-0000-4000-8000-00000000a003"


def lab_machine() -> Machine:
    """A lab machine after a previous install: ESP, old / (xfs), /home (ext4) with data, free space."""
    parts = [
        Partition(name="vda1", path="/dev/vda1", number=1, start=MiB, size=600 * MiB, fstype="vfat",
                  uuid="AB12-CD34", parttype=ESP),
        Partition(name="vda2", path="/dev/vda2", number=2, start=601 * MiB, size=8 * GiB, fstype="xfs",
                  uuid="6f1b2c3d-0000-4000-8000-00000000a002"),
        Partition(name="vda3", path="/dev/vda3", number=3, start=601 * MiB + 8 * GiB, size=4 * GiB,
                  fstype="ext4", label="HOME", uuid=HOME_UUID),
    ]
    return Machine(firmware="uefi", memory=2 * GiB, disks=[
        Disk(name="vda", path="/dev/vda", size=20 * GiB, transport="virtio", ptable="gpt", partitions=parts),
        Disk(name="vdb", path="/dev/vdb", size=10 * GiB, transport="virtio")])


def reuse_plan(*parts: PartitionRequest, clear: str = "none", **clear_kw):
    plan = new_plan()
    plan.storage.clearpart.set("mode", clear, Origin.kickstart("ks.cfg", 1))
    for key, value in clear_kw.items():
        plan.storage.clearpart.set(key, value, Origin.kickstart("ks.cfg", 1))
    plan.storage.partitions.extend(parts)
    return plan


def part(mp: str, line: int, **kw) -> PartitionRequest:
    return PartitionRequest(mountpoint=mp, origin=Origin.kickstart("ks.cfg", line), **kw)


def keep_home_plan(**clear):
    return reuse_plan(part("/boot/efi", 2, onpart="vda1"), part("/", 3, onpart="/dev/vda2", fstype="xfs"),
                      part("/home", 4, onpart="LABEL=HOME", noformat=True), **clear)


def test_the_erase_list_holds_exactly_the_reformatted_partitions_and_not_the_kept_one():
    preview = preview_storage(keep_home_plan(), lab_machine())
    [erased] = preview.erasures
    assert erased.disk == "vda"
    assert sorted(erased.destroyed) == ["destroy format efi on vda1", "destroy format xfs on vda2"]
    assert sorted(preview.destroyed_keys) == ["format efi on vda1", "format xfs on vda2"]
    assert not [a for a in preview.actions if "vda3" in a]  # not a single action touches the kept /home
    assert not [a for a in preview.actions if a.startswith(("create partition", "destroy partition"))]
    # the blank second disk only gets the partition table every blank selected disk gets
    assert sorted(a for a in preview.actions if "vdb" in a) == [
        "create format gpt partition table on vdb",
        "wipe leftover signatures on blank disk vdb (no partition table or data found)"]


def test_the_tree_and_the_summary_say_kept_or_reformatted():
    preview = preview_storage(keep_home_plan(), lab_machine())
    tree = preview.tree_text()
    assert "vda3 (partition, 4 GiB) ext4 /home [reused: kept as it is, data kept (--noformat)]" in tree
    assert "vda2 (partition, 8 GiB) xfs / [new] [reused: REFORMATTED, its data is erased]" in tree
    assert preview.reused == ["vda1: reformatted as efi for /boot/efi (what is on it now is erased)",
                              "vda2: reformatted as xfs for / (what is on it now is erased)",
                              "vda3: kept as it is (ext4, data kept) for /home"]
    assert preview.to_dict()["reused"] == preview.reused


def test_the_kept_filesystem_is_mounted_by_its_existing_uuid():
    preview = preview_storage(keep_home_plan(), lab_machine())
    lines = [line for line in preview.fstab.splitlines() if line and not line.startswith("#")]
    assert f"UUID=<{HOME_UUID}> /home ext4 defaults 0 2" in lines
    assert "UUID=<new:vda2> / xfs defaults 0 0" in lines


def test_a_new_root_on_another_disk_beside_a_kept_partition():
    plan = reuse_plan(part("/boot/efi", 2, size_mib=600, ondisk="vdb"), part("/", 3, grow=True, ondisk="vdb"),
                      part("/srv", 4, onpart="vda3", noformat=True, fsoptions="noatime"))
    preview = preview_storage(plan, lab_machine())
    assert preview.erasures == []  # clearpart --none, nothing reformatted: nothing that exists is lost
    assert f"UUID=<{HOME_UUID}> /srv ext4 noatime 0 2" in preview.fstab
    assert preview.changed_disks == ["vdb"]


def test_clearpart_that_removes_the_reused_partition_stops_the_plan():
    with pytest.raises(PlanError) as err:
        preview_storage(keep_home_plan(clear="all"), lab_machine())
    assert "ks.cfg:2: part --onpart=vda1: clearpart removes vda1" in str(err.value)


def test_clearpart_list_of_the_other_partitions_keeps_the_reused_one():
    plan = reuse_plan(part("/boot/efi", 2, onpart="vda1"), part("/", 3, grow=True),
                      part("/home", 4, onpart="vda3", noformat=True), clear="list", partitions=["vda2"])
    preview = preview_storage(plan, lab_machine())
    [erased] = preview.erasures
    assert "destroy partition vda2" in erased.destroyed and "destroy format efi on vda1" in erased.destroyed
    assert not [d for d in erased.destroyed if "vda3" in d]


@pytest.mark.parametrize("request_kw, message", [
    (dict(onpart="vda9"), "part --onpart=vda9: no such partition on this machine"),
    (dict(onpart="vda3", noformat=True, fstype="xfs"), "vda3 holds ext4, not xfs"),
    (dict(onpart="LABEL=NOPE"), "no such partition"),
])
def test_fail_closed_when_the_partition_is_missing_or_not_what_was_said(request_kw, message):
    plan = reuse_plan(part("/", 3, onpart="vda2"), part("/data", 4, **request_kw))
    with pytest.raises(PlanError) as err:
        preview_storage(plan, lab_machine())
    assert message in str(err.value)


def test_an_ambiguous_label_is_refused_rather_than_guessed():
    machine = lab_machine()
    machine.disks[0].partitions[1].label = "HOME"
    with pytest.raises(PlanError) as err:
        preview_storage(keep_home_plan(), machine)
    assert "part --onpart=LABEL=HOME: names 2 partitions (vda2, vda3)" in str(err.value)


def test_noformat_on_a_partition_without_a_filesystem_is_refused():
    machine = lab_machine()
    machine.disks[0].partitions[2].fstype = None
    with pytest.raises(PlanError) as err:
        preview_storage(reuse_plan(part("/", 3, onpart="vda2"), part("/home", 4, onpart="vda3", noformat=True)),
                        machine)
    assert "vda3 holds no filesystem, which cannot be mounted; drop --noformat" in str(err.value)


def test_one_partition_reused_twice_is_refused():
    plan = reuse_plan(part("/", 3, onpart="vda2"), part("/home", 4, onpart="/dev/vda2"))
    with pytest.raises(PlanError) as err:
        preview_storage(plan, lab_machine())
    assert "vda2 is already used by another part line" in str(err.value)


def test_azl_install_plan_lists_the_reused_partitions(tmp_path, capsys):
    from installer.cli import main

    machine = tmp_path / "lab.json"
    machine.write_text(lab_machine().to_json())
    ks = tmp_path / "lab.ks"
    ks.write_text("lang en_US.UTF-8\nrootpw --plaintext Lab-Keep-Home-1\nclearpart --none\n"
                  "part /boot/efi --onpart=vda1\npart / --fstype=xfs --onpart=vda2\n"
                  "part /home --onpart=LABEL=HOME --noformat\n")
    assert main(["plan", str(ks), "--machine", str(machine)]) == 0
    out = capsys.readouterr().out
    section = out.split("Existing partitions reused (part --onpart)\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == ["  vda1: reformatted as efi for /boot/efi (what is on it now is erased)",
                                    "  vda2: reformatted as xfs for / (what is on it now is erased)",
                                    "  vda3: kept as it is (ext4, data kept) for /home"]


def test_a_partition_whose_filesystem_changed_since_the_probe_is_refused(monkeypatch):
    """The layout is checked against the storage layer's own view: a different filesystem UUID there
    (a %pre script or another system recreated it) stops the plan before anything is written."""
    from installer.storage import preview as preview_module

    original = preview_module._existing_format

    def recreated(p, machine_part, path):
        fmt = original(p, machine_part, path)
        if machine_part.name == "vda3":
            fmt.uuid = "0e0e0e0e-0000-4000-8000-000000000000"
        return fmt

    monkeypatch.setattr(preview_module, "_existing_format", recreated)
    with pytest.raises(PlanError) as err:
        preview_storage(keep_home_plan(), lab_machine())
    assert (f"vda3 now holds filesystem 0e0e0e0e-0000-4000-8000-000000000000, the plan was made for {HOME_UUID}"
            in str(err.value))
