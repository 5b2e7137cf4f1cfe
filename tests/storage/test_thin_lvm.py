"""Thin LVM from a kickstart: `logvol --thinpool` and `logvol --thin --poolname` (blivet on sparse files)."""

from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.model.machine import Disk, Machine
from installer.storage.preview import preview_storage
from installer.validate.validator import validate

GiB = 1024**3

KS = """\
rootpw --plaintext Thin-Lab-2026
zerombr
clearpart --all --initlabel
part /boot/efi --fstype=efi --size=600
part /boot --fstype=xfs --size=1024
part pv.01 --size=1 --grow
volgroup vg0 pv.01
logvol none --vgname=vg0 --name=pool --size=12000 --thinpool --metadatasize=128 --chunksize=128
logvol / --vgname=vg0 --name=root --size=4000 --thin --poolname=pool --fstype=xfs
logvol /srv --vgname=vg0 --name=srv --size=6000 --thin --poolname=pool --fstype=xfs
"""


def machine(size_gib=20) -> Machine:
    return Machine(firmware="uefi", memory=2 * GiB,
                   disks=[Disk(name="vda", path="/dev/vda", size=size_gib * GiB, transport="virtio")])


def test_thin_pool_and_volumes_reach_the_plan():
    result = parse_kickstart(KS, "thin.ks")
    assert result.ok, [str(d) for d in result.diagnostics]
    pool, root, srv = result.plan.storage.logvols
    assert pool.thin_pool and pool.mountpoint == "none" and pool.pool_chunk_kib == 128
    assert pool.pool_metadata_mib == 128
    assert (root.pool_name, srv.pool_name) == ("pool", "pool")


def test_thin_volumes_validate_cleanly():
    plan = parse_kickstart(KS, "thin.ks").plan
    errors = [str(d) for d in validate(plan, machine()) if d.is_error]
    assert errors == []


def test_preview_creates_a_thin_pool_and_thin_volumes():
    plan = parse_kickstart(KS, "thin.ks").plan
    preview = preview_storage(plan, machine())
    acts = preview.actions
    assert any(a.startswith("create thin pool vg0-pool") for a in acts), acts
    assert any(a.startswith("create thin logical volume vg0-root") for a in acts), acts
    assert any(a.startswith("create thin logical volume vg0-srv") for a in acts), acts
    assert "/dev/mapper/vg0-root / xfs" in preview.fstab or "vg0-root" in preview.fstab


def test_thin_layout_survives_the_saved_kickstart():
    plan = parse_kickstart(KS, "thin.ks").plan
    saved = dump_kickstart(plan)
    again = parse_kickstart(saved, "saved.ks")
    assert again.ok, saved
    assert [(lv.name, lv.thin_pool, lv.pool_name) for lv in again.plan.storage.logvols] == [
        ("pool", True, None), ("root", False, "pool"), ("srv", False, "pool")]


def test_a_thin_volume_needs_a_pool_of_its_volume_group():
    plan = parse_kickstart(KS.replace("--poolname=pool --fstype=xfs\nlogvol /srv", "--poolname=tank --fstype=xfs\n"
                                      "logvol /srv"), "thin.ks").plan
    messages = [str(d) for d in validate(plan, None)]
    assert "thin.ks:9: thin volume root: no thin pool 'tank' in volume group vg0" in messages
    bad = parse_kickstart(KS.replace("--thin --poolname=pool --fstype=xfs\nlogvol /srv",
                                     "--thin --fstype=xfs\nlogvol /srv"), "thin.ks")
    assert "thin.ks:9: --thin requires --poolname to specify pool name" in [str(d) for d in bad.errors]


def test_over_committing_a_fixed_size_pool_is_refused_before_blivet_would_fail():
    plan = parse_kickstart(KS.replace("--size=6000 --thin", "--size=9000 --thin"), "thin.ks").plan
    messages = [str(d) for d in validate(plan, None) if d.is_error]
    assert messages == ["thin.ks:8: the thin volumes of pool vg0/pool ask for 12.7 GiB, more than its 11.7 GiB: "
                        "azl-install does not over-commit thin pools (give --grow or a larger --size)"]


def test_the_installed_system_gets_the_thin_pool_tools():
    plan = parse_kickstart(KS, "thin.ks").plan
    assert "device-mapper-persistent-data" in plan.payload.packages.packages
    assert "device-mapper-persistent-data" not in parse_kickstart(
        KS.replace(" --thinpool --metadatasize=128 --chunksize=128", "").replace(" --thin --poolname=pool", ""),
        "plain.ks").plan.payload.packages.packages


AUTO = """\
rootpw --plaintext Thin-Lab-2026
zerombr
clearpart --all --initlabel
autopart --type=thinp
"""


def test_autopart_thinp_puts_root_in_a_thin_pool_and_swap_beside_it():
    result = parse_kickstart(AUTO, "auto.ks")
    assert result.ok, [str(d) for d in result.diagnostics]
    assert result.plan.storage.autopart.scheme == "thinp"
    assert [str(d) for d in validate(result.plan, machine(40)) if d.is_error] == []
    preview = preview_storage(result.plan, machine(40))
    acts = preview.actions
    assert any(a.startswith("create thin pool azl-pool") for a in acts), acts
    assert any(a.startswith("create thin logical volume azl-root") for a in acts), acts
    assert any(a.startswith("create logical volume azl-swap") for a in acts), acts
    assert "device-mapper-persistent-data" in result.plan.payload.packages.packages
    assert "autopart --type=thinp" in dump_kickstart(result.plan)
