"""The storage planner, run by blivet on sparse files shaped like recorded machines (no root, no disk touched)."""

from __future__ import annotations

import re

import pytest

from installer.storage.preview import preview_storage
from installer.model.defaults import new_plan
from installer.model.diagnostics import PlanError
from installer.model.machine import Disk, Machine, Partition
from installer.model.plan import (AutoPart, BtrfsRequest, Encryption, LogVolRequest, Origin, PartitionRequest, RaidRequest,
                            Secret, VolGroupRequest)

from paths import PROFILES

GiB = 1024**3
KS = "test.ks"


def profile(name: str) -> Machine:
    return Machine.load(PROFILES / f"{name}.json")


def vm(*disks: tuple[str, int], firmware: str = "uefi", memory: int = 2 * GiB) -> Machine:
    return Machine(firmware=firmware, memory=memory,
                   disks=[Disk(name=n, path=f"/dev/{n}", size=s * GiB, transport="virtio") for n, s in disks])


def autopart_plan(clear: str = "all", line: int = 5, **kw):
    plan = new_plan()
    plan.storage.autopart = AutoPart(**kw)
    plan.storage.autopart.origins["scheme"] = Origin.kickstart(KS, line)
    plan.storage.clearpart.set("mode", clear, Origin.kickstart(KS, line - 1))
    return plan


def body(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_nvme_uefi_default_layout_replaces_the_old_install():
    preview = preview_storage(autopart_plan(), profile("nvme-uefi"))
    acts = preview.actions
    # the old ESP, /boot and PV go first, then the new GPT and the product layout
    assert acts[:3] == ["destroy format lvmpv on nvme0n1p3", "destroy partition nvme0n1p3",
                        "destroy format xfs on nvme0n1p2"]
    assert "create format gpt partition table on nvme0n1" in acts
    assert "create partition nvme0n1p1 (600 MiB)" in acts
    assert "create format efi on nvme0n1p1 (/boot/efi)" in acts
    assert "create partition nvme0n1p2 (1024 MiB)" in acts
    assert "create format xfs on nvme0n1p2 (/boot)" in acts
    assert "create format lvmpv on nvme0n1p3" in acts
    assert "create logical volume azl-root (15 GiB)" in acts
    assert acts.index("create volume group azl (475.35 GiB)") < acts.index("create logical volume azl-root (15 GiB)")
    assert body(preview.fstab) == [
        "UUID=<new:azl-root> / xfs defaults 0 0",
        "UUID=<new:nvme0n1p2> /boot xfs defaults 0 0",
        "UUID=<new:nvme0n1p1> /boot/efi vfat umask=0077,shortname=winnt 0 2",
    ]
    assert preview.crypttab == ""
    assert preview.changed_disks == ["nvme0n1"]


def test_tree_shows_disk_partition_pv_vg_lv_filesystem_mountpoint():
    preview = preview_storage(autopart_plan(encrypted=True, encryption=Encryption(passphrase=Secret("pw"))),
                                      vm(("vda", 20)))
    lines = preview.tree_text().splitlines()
    assert lines[0].startswith("vda (disk, 20 GiB) gpt")
    assert [len(line) - len(line.lstrip()) for line in lines] == [0, 2, 2, 2, 4, 6, 8]
    assert "luks2" in lines[3] and lines[4].lstrip().startswith("luks-vda3 (LUKS")
    assert lines[5].lstrip().startswith("azl (LVM VG") and lines[6].strip().endswith("xfs / [new]")
    assert body(preview.crypttab) == ["luks-<new:vda3> UUID=<new:vda3> none"]
    assert "create format luks2 on vda3" in preview.actions


def test_small_disk_root_takes_what_the_vg_has():
    preview = preview_storage(autopart_plan(), vm(("vda", 6)))
    lv = [a for a in preview.actions if a.startswith("create logical volume")]
    size = float(re.search(r"\(([\d.]+) GiB\)", lv[0]).group(1))
    assert 2 <= size < 4.5  # 6 GiB - ESP - /boot - metadata, never the 15 GiB maximum


def test_live_medium_is_never_touched_and_cannot_be_selected():
    machine = profile("vm-virtio-usb-live")
    preview = preview_storage(autopart_plan(), machine)
    assert preview.changed_disks == ["vda"]
    assert not [a for a in preview.actions if "sdb" in a]
    plan = autopart_plan()
    plan.storage.set("selected_disks", ["sdb"], Origin.kickstart(KS, 2))
    with pytest.raises(PlanError) as err:
        preview_storage(plan, machine)
    assert str(err.value) == "test.ks:2: ignoredisk --only-use: sdb is the installation medium and cannot be used"


def test_clearpart_none_uses_free_space_next_to_windows():
    machine = profile("dualboot-windows-linux")
    preview = preview_storage(autopart_plan("none"), machine)
    assert not [a for a in preview.actions if a.startswith("destroy")]
    created = [a for a in preview.actions if a.startswith("create partition")]
    assert [a.split()[2] for a in created] == ["nvme0n1p7", "nvme0n1p8", "nvme0n1p9"]
    tree = preview.tree_text()
    for kept in ("nvme0n1p1", "nvme0n1p3", "nvme0n1p4", "nvme0n1p5", "nvme0n1p6"):
        assert re.search(rf"^  {kept} \(partition.*\[kept\]$", tree, re.M), kept


def test_clearpart_linux_removes_only_linux_partitions():
    preview = preview_storage(autopart_plan("linux"), profile("dualboot-windows-linux"))
    destroyed = sorted({a.split()[-1] for a in preview.actions if a.startswith("destroy")})
    assert destroyed == ["nvme0n1p5", "nvme0n1p6"]
    assert "destroy format swap on nvme0n1p6" in preview.actions
    assert "destroy format ext4 on nvme0n1p5" in preview.actions


def test_bios_two_disks_all_cleared_gets_biosboot_and_spans_both():
    preview = preview_storage(autopart_plan(), profile("bios-2sata"))
    acts = preview.actions
    assert "create format gpt partition table on sda" in acts
    assert "create format gpt partition table on sdb" in acts
    assert "create partition sda1 (1024 KiB)" in acts and "create format biosboot on sda1" in acts
    assert "create format lvmpv on sda3" in acts and "create format lvmpv on sdb1" in acts
    assert preview.changed_disks == ["sda", "sdb"]


def test_bios_clearpart_none_installs_on_the_blank_disk_only():
    preview = preview_storage(autopart_plan("none"), profile("bios-2sata"))
    assert preview.changed_disks == ["sdb"]
    assert "create format biosboot on sdb1" in preview.actions


def test_full_disk_and_clearpart_none_is_an_error_with_sizes():
    with pytest.raises(PlanError) as err:
        preview_storage(autopart_plan("none"), profile("nvme-uefi"))
    assert str(err.value) == ("test.ks:5: not enough disk space: the layout needs at least 3.6 GiB, "
                              "the selected disks have 2.3 MiB (nvme0n1: 2.3 MiB free)")


def test_too_small_disk_names_required_and_available():
    with pytest.raises(PlanError) as err:
        preview_storage(autopart_plan(), vm(("vda", 3)))
    assert str(err.value) == ("test.ks:5: not enough disk space: the layout needs at least 3.6 GiB, "
                              "the selected disks have 3.0 GiB (vda: 3.0 GiB free)")


def test_too_small_4g_profile_with_swap_fails_on_size():
    machine = profile("too-small-4g")
    with pytest.raises(PlanError) as err:
        preview_storage(autopart_plan(noswap=False), machine)
    # 1.9 GiB of RAM: twice that as swap, and the disk no longer holds the layout
    assert str(err.value) == ("test.ks:5: not enough disk space: the layout needs at least 7.4 GiB, "
                              "the selected disks have 4.0 GiB (vda: 4.0 GiB free)")
    assert preview_storage(autopart_plan(), machine).changed_disks == ["vda"]


def test_plain_ext4_on_bios():
    preview = preview_storage(autopart_plan(scheme="plain", fstype="ext4"), vm(("sda", 20), firmware="bios"))
    assert body(preview.fstab) == ["UUID=<new:sda3> / ext4 defaults 0 1", "UUID=<new:sda2> /boot ext4 defaults 0 2"]
    assert not [a for a in preview.actions if "volume" in a]
    assert "create partition sda3 (15 GiB)" in preview.actions


def test_btrfs_autopart_subvolumes():
    preview = preview_storage(autopart_plan(scheme="btrfs", nohome=False), vm(("vda", 20)))
    assert body(preview.fstab) == [
        "UUID=<new:azl> / btrfs subvol=root 0 0",
        "UUID=<new:vda2> /boot xfs defaults 0 0",
        "UUID=<new:azl> /home btrfs subvol=home 0 0",
        "UUID=<new:vda1> /boot/efi vfat umask=0077,shortname=winnt 0 2",
    ]
    assert preview.actions[-7:] == [
        "create format btrfs on vda3", "create btrfs volume azl (18.41 GiB)", "create format btrfs on azl",
        "create btrfs subvolume home (18.41 GiB)", "create btrfs subvolume root (18.41 GiB)",
        "create format xfs on vda2 (/boot)", "create format efi on vda1 (/boot/efi)"]


def test_ignoredisk_only_use_keeps_other_disks_out():
    plan = autopart_plan()
    plan.storage.set("selected_disks", ["sdb"], Origin.kickstart(KS, 1))
    preview = preview_storage(plan, profile("server-8disk-4nic"))
    assert preview.changed_disks == ["sdb"]
    assert not [a for a in preview.actions if re.search(r"\bsd[ac-h]\d*\b", a)]


def test_existing_lvm_and_raid_members_on_cleared_disks_are_removed():
    plan = autopart_plan()
    plan.storage.set("selected_disks", ["sda", "sdc"], Origin.kickstart(KS, 1))
    acts = preview_storage(plan, profile("server-8disk-4nic")).actions
    assert "destroy format mdmember on sda3" in acts
    assert "destroy format lvmpv on sdc" in acts


def test_clearpart_drives_must_be_in_use():
    plan = autopart_plan()
    plan.storage.set("selected_disks", ["sdb"], Origin.kickstart(KS, 1))
    plan.storage.clearpart.set("drives", ["sdc"], Origin.kickstart(KS, 3))
    with pytest.raises(PlanError) as err:
        preview_storage(plan, profile("server-8disk-4nic"))
    assert str(err.value) == "test.ks:3: clearpart --drives: sdc is not among the disks in use (sdb)"


def custom_plan():
    plan = new_plan()
    plan.storage.clearpart.set("mode", "all", Origin.kickstart(KS, 1))
    plan.storage.reqpart = True
    plan.storage.origins["reqpart"] = Origin.kickstart(KS, 2)
    return plan


def test_raid1_boot_and_root_over_two_disks():
    plan = custom_plan()
    st = plan.storage
    for n, disk in ((1, "vda"), (2, "vdb")):
        st.partitions.append(PartitionRequest(mountpoint=f"raid.1{n}", size_mib=1024, ondisk=disk))
        st.partitions.append(PartitionRequest(mountpoint=f"raid.2{n}", size_mib=4096, grow=True, ondisk=disk))
    st.raids.append(RaidRequest(mountpoint="/boot", device="boot", level="1", members=["raid.11", "raid.12"]))
    st.raids.append(RaidRequest(mountpoint="/", device="root", level="raid1", members=["raid.21", "raid.22"],
                                fstype="ext4"))
    preview = preview_storage(plan, vm(("vda", 10), ("vdb", 10)))
    raids = [a for a in preview.actions if a.startswith("create RAID array")]
    assert sorted(r.split(" (")[0] for r in raids) == ["create RAID array boot", "create RAID array root"]
    assert all("raid1" in r for r in raids)
    assert body(preview.fstab) == ["UUID=<new:root> / ext4 defaults 0 1", "UUID=<new:boot> /boot xfs defaults 0 0",
                                   "UUID=<new:vda1> /boot/efi vfat umask=0077,shortname=winnt,nofail,"
                                   "x-systemd.before=local-fs.target 0 2"]
    assert preview.changed_disks == ["vda", "vdb"]


def test_volgroup_logvol_percent_pesize_and_swap():
    plan = custom_plan()
    st = plan.storage
    st.partitions.append(PartitionRequest(mountpoint="/boot", size_mib=1024, fstype="ext4", label="BOOT"))
    st.partitions.append(PartitionRequest(mountpoint="pv.01", size_mib=1, grow=True))
    st.volgroups.append(VolGroupRequest(name="sys", physvols=["pv.01"], pesize_kib=32768))
    st.logvols.append(LogVolRequest(mountpoint="/", vgname="sys", name="root", size_mib=4096, fstype="xfs"))
    st.logvols.append(LogVolRequest(mountpoint="/var", vgname="sys", name="var", percent=50, fsoptions="noatime"))
    st.logvols.append(LogVolRequest(mountpoint="swap", vgname="sys", name="swap", recommended=True))
    preview = preview_storage(plan, vm(("vda", 30), memory=3 * GiB))
    acts = preview.actions
    assert "create logical volume sys-root (4 GiB)" in acts
    assert "create logical volume sys-swap (3 GiB)" in acts
    var = [a for a in acts if a.startswith("create logical volume sys-var")][0]
    # --percent is of the VG space left after the fixed-size LVs (as in Anaconda): (28.4 - 4 - 3) / 2
    assert 10.5 < float(re.search(r"\(([\d.]+) GiB\)", var).group(1)) < 11
    assert "UUID=<new:sys-var> /var xfs noatime 0 0" in body(preview.fstab)
    assert "UUID=<new:vda2> /boot ext4 defaults 0 2" in body(preview.fstab)


def test_custom_btrfs_volume_with_subvolumes():
    plan = custom_plan()
    st = plan.storage
    st.partitions.append(PartitionRequest(mountpoint="/boot", size_mib=1024))
    st.partitions.append(PartitionRequest(mountpoint="btrfs.01", size_mib=4096, grow=True))
    st.btrfs.append(BtrfsRequest(mountpoint=None, name="azlfs", members=["btrfs.01"], data_level="single"))
    st.btrfs.append(BtrfsRequest(mountpoint="/", name="root", subvol=True, parent="azlfs"))
    st.btrfs.append(BtrfsRequest(mountpoint="/var/log", name="log", subvol=True, parent="azlfs"))
    preview = preview_storage(plan, vm(("vda", 12)))
    assert "create btrfs volume azlfs" in " ".join(preview.actions)
    fstab = body(preview.fstab)
    assert "UUID=<new:azlfs> / btrfs subvol=root 0 0" in fstab
    assert "UUID=<new:azlfs> /var/log btrfs subvol=log 0 0" in fstab


def test_encrypted_part_gets_crypttab_and_no_secret_leaks():
    plan = custom_plan()
    enc = Encryption(passphrase=Secret("hunter2-secret"), pbkdf="pbkdf2", pbkdf_iterations=1000)
    plan.storage.partitions.append(PartitionRequest(mountpoint="/boot", size_mib=1024))
    plan.storage.partitions.append(PartitionRequest(mountpoint="/", size_mib=3000, grow=True, encrypted=True,
                                                    encryption=enc))
    preview = preview_storage(plan, vm(("vda", 8)))
    assert "create format luks2 on vda3" in preview.actions
    assert preview.actions[5:8] == ["create format luks2 on vda3", "create LUKS device luks-vda3 (6.41 GiB)",
                                    "create format xfs on luks-vda3 (/)"]
    assert body(preview.crypttab) == ["luks-<new:vda3> UUID=<new:vda3> none"]
    assert "hunter2" not in repr(preview.to_dict()) + preview.tree_text()


def test_member_defined_but_unused_is_an_error():
    plan = custom_plan()
    plan.storage.partitions.append(PartitionRequest(mountpoint="/", size_mib=3000))
    plan.storage.partitions.append(PartitionRequest(mountpoint="pv.09", size_mib=100,
                                                    origin=Origin.kickstart(KS, 7)))
    with pytest.raises(PlanError) as err:
        preview_storage(plan, vm(("vda", 8)))
    assert "pv.09 defined but not used" in str(err.value)


def test_msdos_disklabel_when_asked():
    plan = autopart_plan()
    plan.storage.clearpart.set("disklabel", "msdos", Origin.kickstart(KS, 4))
    preview = preview_storage(plan, vm(("sda", 20), firmware="bios"))
    assert "create format msdos partition table on sda" in preview.actions
    assert not [a for a in preview.actions if "biosboot" in a]


def test_preview_is_what_blivet_computes_not_a_copy_of_the_request():
    # the PV partition grows to the end of each disk: its size depends on the disk, as computed by blivet
    small = preview_storage(autopart_plan(), vm(("vda", 10))).actions
    large = preview_storage(autopart_plan(), vm(("vda", 40))).actions
    pv_small = [a for a in small if a.startswith("create partition vda3")]
    pv_large = [a for a in large if a.startswith("create partition vda3")]
    assert pv_small == ["create partition vda3 (8.41 GiB)"] and pv_large == ["create partition vda3 (38.41 GiB)"]


VM_STORAGE_KS = sorted((PROFILES.parent / "vm" / "scenarios" / "storage").glob("s*.ks"))


def vm_storage_machine(firmware: str) -> Machine:
    """The disks tests/vm/test_storage_scenarios.py gives its guest, as the probe reports them."""
    spec = [("vda", 8, "s1-os"), ("sda", 8, "s2-os"), ("nvme0n1", 8, "s3-os"), ("vdb", 4, "s4-a"),
            ("vdc", 4, "s4-b"), ("vdd", 8, "s5-os"), ("vde", 8, "s6-os"), ("vdf", 3, "s7-small"),
            ("vdg", 4, "s8-os"), ("nvme1n1", 2, "keep")]
    disks = [Disk(name=n, path=f"/dev/{n}", size=s * GiB, serial=serial) for n, s, serial in spec]
    disks[6].ptable = "gpt"
    disks[6].partitions = [Partition(name="vde1", path="/dev/vde1", number=1, start=1 << 20, size=1 << 30,
                                     fstype="ext4", label="keepme")]
    disks[8].ptable = "gpt"
    disks[8].partitions = [Partition(name="vdg1", path="/dev/vdg1", number=1, start=1 << 20, size=1 << 30,
                                     fstype="ext4", label="srvdata"),
                           Partition(name="vdg2", path="/dev/vdg2", number=2, start=(1 << 20) + (1 << 30),
                                     size=1536 << 20, fstype="ext4", label="oldroot")]
    return Machine(firmware=firmware, memory=2 * GiB - 64 * 1024**2, disks=disks)


@pytest.mark.parametrize("path", VM_STORAGE_KS, ids=lambda p: p.stem)
def test_vm_storage_kickstarts_plan_on_the_host(path):
    from installer.kickstart.files import load_kickstart

    loaded = load_kickstart(path)
    assert loaded.ok, loaded.errors
    machine = vm_storage_machine("bios" if "bios" in path.stem else "uefi")
    if "too-small" in path.stem:
        with pytest.raises(PlanError) as err:
            preview_storage(loaded.plan, machine)
        assert "the selected disks have 3.0 GiB (vdf: 3.0 GiB free)" in str(err.value)
        assert str(err.value).startswith(f"{path}:5: not enough disk space")
        return
    preview = preview_storage(loaded.plan, machine)
    selected = {machine.disk(s).name for s in loaded.plan.storage.selected_disks}
    assert set(preview.changed_disks) == selected
    assert [line.split()[1] for line in body(preview.fstab)][0] == "/"
    if "clearpart-none" in path.stem:
        assert not [a for a in preview.actions if a.startswith("destroy")]
    if "onpart" in path.stem:  # s8: /srv kept as it is, the old root reformatted, nothing else erased
        assert [e.destroyed for e in preview.erasures] == [["destroy format ext4 on vdg2"]]
        assert not [a for a in preview.actions if "vdg1" in a]


def test_zerombr_without_clearpart_leaves_whole_disk_pvs_alone():
    plan = autopart_plan("none")
    plan.storage.set("zerombr", True, Origin.kickstart(KS, 1))
    preview = preview_storage(plan, profile("server-8disk-4nic"))
    # sda is full, sdc-sde are whole-disk LVM PVs: only the blank disks get partitions
    assert preview.changed_disks == ["sdb", "sdf", "sdg", "sdh"]
    assert not [a for a in preview.actions if a.startswith("destroy") and "signatures" not in a]


def test_luks1_when_asked():
    plan = autopart_plan(encrypted=True, encryption=Encryption(passphrase=Secret("pw"), luks_version="luks1"))
    preview = preview_storage(plan, vm(("vda", 20)))
    assert "create format luks1 on vda3" in preview.actions


def test_preview_needs_no_root():
    """blivet on sparse files, as an unprivileged user: no device-mapper, no LVM lock, no udev writes."""
    import os
    import shutil
    import subprocess
    import sys

    from paths import ROOT

    script = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from installer.storage.preview import preview_storage\n"
        "from installer.model.defaults import new_plan\n"
        "from installer.model.machine import Machine\n"
        "from installer.model.plan import AutoPart, Encryption, Secret\n"
        "plan = new_plan()\n"
        "plan.storage.autopart = AutoPart(encrypted=True, encryption=Encryption(passphrase=Secret('x')))\n"
        "plan.storage.clearpart.mode = 'linux'\n"
        f"m = Machine.load({str(PROFILES / 'dualboot-windows-linux.json')!r})\n"
        "p = preview_storage(plan, m)\n"
        "print(os.getuid(), p.changed_disks, p.actions[-1])\n")
    argv = [sys.executable, "-c", script]
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("runuser is needed to drop root")
        argv = ["runuser", "-u", "nobody", "--"] + argv
    out = subprocess.run(argv, capture_output=True, text=True, timeout=120, env={"PATH": os.environ["PATH"]})
    assert out.returncode == 0, out.stderr[-2000:]
    uid, rest = out.stdout.strip().split(" ", 1)
    assert uid != "0"
    assert rest == "['nvme0n1'] create format efi on nvme0n1p5 (/boot/efi)"
