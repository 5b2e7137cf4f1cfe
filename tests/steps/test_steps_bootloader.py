"""Bootloader step: command line, config files and the commands it runs per family and firmware."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from installer.storage.preview import preview_storage
from installer.context import StepError
from installer.model.defaults import new_plan
from installer.kickstart.files import parse_kickstart
from installer.model.machine import Machine
from installer.steps import bootloader, esp_sync
from paths import PROFILES
from steps_support import Recorder, make_env

ROOT_UUID = "11111111-2222-3333-4444-555555555555"
BOOT_UUID = "66666666-7777-8888-9999-000000000000"


def tree(path, type_, uuid=None, fstype=None, children=()):
    return {"name": path.rsplit("/", 1)[-1], "path": path, "type": type_, "uuid": uuid, "fstype": fstype,
            "children": list(children)}


LVM_ROOT = tree("/dev/mapper/azl-root", "lvm", ROOT_UUID, "xfs",
                [tree("/dev/vda3", "part", "pv-uuid", "LVM2_member", [tree("/dev/vda", "disk")])])
RAID_BOOT = tree("/dev/md127", "raid1", BOOT_UUID, "xfs",
                 [tree("/dev/vda2", "part", "md", "linux_raid_member", [tree("/dev/vda", "disk")]),
                  tree("/dev/vdb2", "part", "md", "linux_raid_member", [tree("/dev/vdb", "disk")])])
ESP = tree("/dev/vda1", "part", "ABCD-1234", "vfat", [tree("/dev/vda", "disk")])


def runner_for(target, sources, devices):
    def findmnt(cmd):
        where = cmd[cmd.index("--mountpoint") + 1]
        inside = where[len(str(target)):] or "/"
        return sources.get(inside, "") + "\n" if inside in sources else ""

    def lsblk(cmd):
        return json.dumps({"blockdevices": [devices[cmd[-1]]] if cmd[-1] in devices else []})

    def mount(cmd):
        if "--bind" in cmd:  # what a bind of / or /boot shows: the empty directory the ESP is mounted on
            inside = cmd[-2][len(str(target)):] or "/"
            Path(cmd[-1], os.path.relpath("/boot/efi", inside)).mkdir(parents=True, exist_ok=True)
        return ""

    def umount(cmd):
        if Path(cmd[-1]).name.startswith("azl-esp-under-"):
            for child in Path(cmd[-1]).iterdir():
                shutil.rmtree(child)
        return ""

    return Recorder(responses={"findmnt": findmnt, "lsblk": lsblk, "lvs": "  azl root\n", "mount": mount,
                               "umount": umount, "mdadm": "ARRAY /dev/md127 metadata=1.2 UUID=aa:bb:cc:dd\n"})


def fedora_uefi(tmp_path, plan=None, cmdline="BOOT_IMAGE=/vmlinuz console=ttyS0,115200 inst.ks=hd:x"):
    env = make_env(tmp_path, plan=plan, family="fedora", firmware="uefi", cmdline=cmdline,
                   tools=("kernel-install", "grub2-mkconfig", "grub2-install", "dracut"))
    t = env.target
    env.ctx.runner = env.runner = runner_for(t, {"/": "/dev/mapper/azl-root", "/boot/efi": "/dev/vda1"},
                                             {"/dev/mapper/azl-root": LVM_ROOT, "/dev/vda1": ESP})
    (t / "etc/fstab").write_text(f"UUID={ROOT_UUID} / xfs defaults 0 0\n")
    (t / "usr/lib/modules/6.6.1").mkdir(parents=True)
    (t / "usr/lib/modules/6.6.1/vmlinuz").write_text("kernel")
    (t / "lib").symlink_to("usr/lib")
    (t / "boot/efi/EFI/azurelinux").mkdir(parents=True)
    (t / "boot/efi/EFI/azurelinux/shimx64.efi").write_text("shim")
    (t / "boot/efi/EFI/BOOT").mkdir(parents=True)
    (t / "boot/efi/EFI/BOOT/BOOTX64.EFI").write_text("shim")
    env.ctx.kernel_args.append("rd.lvm.lv=azl/root")  # what the storage step hands over
    return env


def test_fedora_uefi_uses_shim_kernel_install_and_bls(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    plan = new_plan()
    plan.bootloader.append = "audit=1"
    plan.bootloader.timeout = 3
    env = fedora_uefi(tmp_path, plan)
    bootloader.apply(env.ctx)
    cmdline = (env.target / "etc/kernel/cmdline").read_text().split()
    assert cmdline[:2] == [f"root=UUID={ROOT_UUID}", "ro"]
    assert cmdline.count("rd.lvm.lv=azl/root") == 1  # from storage and from discovery, once
    assert "audit=1" in cmdline and "console=ttyS0,115200" in cmdline
    assert not any(a.startswith(("inst.", "BOOT_IMAGE")) for a in cmdline)
    grub = (env.target / "etc/default/grub").read_text()
    assert "GRUB_TIMEOUT=3" in grub and "GRUB_ENABLE_BLSCFG=true" in grub
    assert "GRUB_TERMINAL='serial console'" in grub and "--speed=115200" in grub
    assert "root=" not in grub.split("GRUB_CMDLINE_LINUX=")[1].splitlines()[0]
    cmds = env.runner.commands(chroot=True)
    assert ["kernel-install", "add", "6.6.1", "/lib/modules/6.6.1/vmlinuz"] in cmds
    assert ["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"] in cmds
    assert not env.runner.named("grub2-install")  # it would replace the signed shim/GRUB
    stub = (env.target / "boot/efi/EFI/azurelinux/grub.cfg").read_text()
    assert f"--fs-uuid --set=dev {ROOT_UUID}" in stub and "prefix=($dev)/boot/grub2" in stub


def test_selinux_disabled_reaches_the_fedora_command_line(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    plan = new_plan()
    plan.security.selinux = "disabled"
    env = fedora_uefi(tmp_path, plan)
    bootloader.apply(env.ctx)
    assert "selinux=0" in (env.target / "etc/kernel/cmdline").read_text().split()


def debian_target(tmp_path, firmware, plan=None):
    env = make_env(tmp_path, plan=plan, family="debian", firmware=firmware,
                   tools=("grub-install", "grub-mkconfig", "update-initramfs"))
    t = env.target
    (t / "lib/modules/6.1.0-9-amd64").mkdir(parents=True)
    (t / "boot").mkdir(exist_ok=True)
    (t / "boot/vmlinuz-6.1.0-9-amd64").write_text("kernel")
    (t / "etc/fstab").write_text(f"UUID={ROOT_UUID} / ext4 defaults 0 1\n")
    return env


def test_debian_bios_raid1_gets_grub_on_every_member(tmp_path):
    env = debian_target(tmp_path, "bios")
    env.ctx.runner = env.runner = runner_for(env.target, {"/": "/dev/vda3", "/boot": "/dev/md127"},
                                             {"/dev/vda3": tree("/dev/vda3", "part", ROOT_UUID, "ext4",
                                                                [tree("/dev/vda", "disk")]),
                                              "/dev/md127": RAID_BOOT})
    bootloader.apply(env.ctx)
    cmds = env.runner.commands(chroot=True)
    assert ["grub-install", "--target=i386-pc", "/dev/vda"] in cmds
    assert ["grub-install", "--target=i386-pc", "/dev/vdb"] in cmds
    assert ["update-initramfs", "-c", "-k", "6.1.0-9-amd64"] in cmds
    assert cmds[-1] == ["grub-mkconfig", "-o", "/boot/grub/grub.cfg"]
    assert cmds.index(["update-initramfs", "-c", "-k", "6.1.0-9-amd64"]) < cmds.index(cmds[-1])
    assert "ARRAY /dev/md127" in (env.target / "etc/mdadm/mdadm.conf").read_text()
    assert not (env.target / "etc/kernel/cmdline").exists()


def test_storage_boot_disks_take_precedence(tmp_path):
    env = debian_target(tmp_path, "bios")
    env.ctx.boot_disks = ["/dev/sdb"]
    bootloader.apply(env.ctx)
    assert env.runner.named("grub-install") == [["grub-install", "--target=i386-pc", "/dev/sdb"]]


def test_debian_uefi_installs_grub_and_the_removable_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env = debian_target(tmp_path, "uefi")
    (env.target / "boot/efi").mkdir(parents=True)
    bootloader.apply(env.ctx)
    installs = env.runner.named("grub-install")
    assert installs[0] == ["grub-install", "--target=x86_64-efi", "--efi-directory=/boot/efi", "--no-nvram",
                           "--bootloader-id=debian"]
    assert installs[1][-1] == "--removable"
    assert any("no boot entry" in e.message for e in env.events if e.kind == "log")


def test_location_none_configures_but_installs_nothing(tmp_path):
    plan = new_plan()
    plan.bootloader.location = "none"
    env = debian_target(tmp_path, "bios", plan)
    bootloader.apply(env.ctx)
    assert not env.runner.named("grub-install")
    assert env.runner.named("grub-mkconfig") and env.runner.named("update-initramfs")


def test_missing_grub_is_a_clear_error(tmp_path):
    env = make_env(tmp_path, family="debian", firmware="bios", tools=("update-initramfs",))
    (env.target / "lib/modules/6.1.0").mkdir(parents=True)
    (env.target / "boot").mkdir()
    (env.target / "boot/vmlinuz-6.1.0").write_text("k")
    env.ctx.boot_disks = ["/dev/vda"]
    with pytest.raises(StepError, match="grub2-install or grub-install"):
        bootloader.apply(env.ctx)


def test_uefi_without_esp_is_a_clear_error(tmp_path):
    env = debian_target(tmp_path, "uefi")
    with pytest.raises(StepError, match="EFI system partition"):
        bootloader.apply(env.ctx)


def test_efi_entry_for_shim_when_efivars_are_writable(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: True)
    monkeypatch.setattr(bootloader, "_partition_number", lambda name: 1)
    monkeypatch.setattr(bootloader, "_have_efibootmgr", lambda: True)
    env = fedora_uefi(tmp_path)
    bootloader.apply(env.ctx)
    entry = env.runner.named("efibootmgr")[0]
    assert entry[entry.index("--disk") + 1] == "/dev/vda" and entry[entry.index("--part") + 1] == "1"
    assert entry[entry.index("--loader") + 1] == "\\EFI\\azurelinux\\shimx64.efi"


def test_no_efi_entry_without_efibootmgr_is_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: True)
    monkeypatch.setattr(bootloader, "_partition_number", lambda name: 1)
    monkeypatch.setattr(bootloader, "_have_efibootmgr", lambda: False)
    env = fedora_uefi(tmp_path)
    bootloader.apply(env.ctx)
    assert not env.runner.named("efibootmgr")
    assert any("efibootmgr is not in the live environment" in w for w in env.ctx.warnings)


def test_grub_defaults_are_updated_in_place():
    text = bootloader.default_grub_text('GRUB_TIMEOUT=5\n# c\nGRUB_CMDLINE_LINUX="quiet"\nGRUB_DEFAULT=0\n',
                                        {"GRUB_TIMEOUT": "1", "GRUB_CMDLINE_LINUX": '"a b"', "GRUB_X": "y"})
    assert text == 'GRUB_TIMEOUT=1\n# c\nGRUB_CMDLINE_LINUX="a b"\nGRUB_DEFAULT=0\nGRUB_X=y\n'


def test_fedora_family_with_only_the_removable_path_packaged(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env = fedora_uefi(tmp_path)
    (env.target / "boot/efi/EFI/azurelinux/shimx64.efi").unlink()
    bootloader.apply(env.ctx)
    assert not env.runner.named("grub2-install")
    assert "configfile $prefix/grub.cfg" in (env.target / "boot/efi/EFI/BOOT/grub.cfg").read_text()
    assert not any("fallback" in w for w in env.ctx.warnings)


# ------------------------------------------------------------------ RAID1 /boot: every disk boots alone
RAID_ROOT = tree("/dev/md126", "raid1", ROOT_UUID, "xfs",
                 [tree("/dev/vda3", "part", "md", "linux_raid_member", [tree("/dev/vda", "disk")]),
                  tree("/dev/vdb3", "part", "md", "linux_raid_member", [tree("/dev/vdb", "disk")])])


SPARE_ESP = tree("/dev/vdb1", "part", "EFGH-5678", "vfat", [tree("/dev/vdb", "disk")])


class StorageResult:
    """What the storage step leaves in ctx.storage (installer.storage.MountedTarget's fields used here)."""

    def __init__(self, boot_disks, spare_esps):
        self.boot_disks = boot_disks
        self.spare_esps = spare_esps


def raid_uefi(tmp_path, family="fedora", spares=("/dev/vdb1",)):
    """/ and /boot on RAID1 over vda and vdb, the mounted ESP on vda1; what is in the ESP after GRUB."""
    if family == "fedora":
        env = fedora_uefi(tmp_path)
    else:
        env = debian_target(tmp_path, "uefi")
        (env.target / "boot/efi/EFI/debian").mkdir(parents=True)
        (env.target / "boot/efi/EFI/debian/grubx64.efi").write_text("grub")
        (env.target / "boot/efi/EFI/BOOT").mkdir(parents=True)
        (env.target / "boot/efi/EFI/BOOT/BOOTX64.EFI").write_text("grub")
    snapshots = {}

    def umount(cmd):
        where = Path(cmd[-1])  # what the spare ESP holds when it is unmounted
        snapshots[where] = sorted(str(p.relative_to(where)) for p in where.rglob("*") if p.is_file())
        return unbind(cmd)

    recorder = runner_for(env.target, {"/": "/dev/md126", "/boot": "/dev/md127", "/boot/efi": "/dev/vda1"},
                          {"/dev/md126": RAID_ROOT, "/dev/md127": RAID_BOOT, "/dev/vda1": ESP,
                           "/dev/vdb1": SPARE_ESP})
    unbind = recorder.responses["umount"]
    recorder.responses["umount"] = umount
    env.ctx.runner = env.runner = recorder
    env.ctx.storage = StorageResult(["/dev/vda", "/dev/vdb"], list(spares))
    env.ctx.boot_disks = ["/dev/vda", "/dev/vdb"]
    return env, snapshots


def test_fedora_uefi_raid1_copies_the_esp_tree_to_the_other_disk(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, snapshots = raid_uefi(tmp_path)
    bootloader.apply(env.ctx)
    cmds = env.runner.commands(chroot=False)
    mount = next(c for c in cmds if c[:2] == ["mount", "-t"])
    assert mount[:4] == ["mount", "-t", "vfat", "/dev/vdb1"]
    where = Path(mount[4])
    assert where.parent == env.target / "tmp" and where.name.startswith("azl-esp-")
    assert ["umount", str(where)] in cmds
    # the copy is the ESP as the boot loader step left it: shim fallback, the distribution's directory
    # and the grub.cfg stub that finds /boot by its (RAID) filesystem UUID
    assert snapshots[where] == ["EFI/BOOT/BOOTX64.EFI", "EFI/azurelinux/grub.cfg", "EFI/azurelinux/shimx64.efi"]
    assert (where / "EFI/azurelinux/grub.cfg").read_text() == \
        (env.target / "boot/efi/EFI/azurelinux/grub.cfg").read_text()
    assert f"--set=dev {BOOT_UUID}" in (where / "EFI/azurelinux/grub.cfg").read_text()
    # after everything that writes to the ESP, grub2-mkconfig included
    order = [c[:3] for c in env.runner.commands()]
    assert order.index(["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"]) < order.index(mount[:3]) \
        < order.index(["umount", str(where)])
    assert any("copied /boot/efi/EFI (3 files) to /dev/vdb1" in e.message for e in env.events if e.kind == "log")


def test_debian_uefi_raid1_copies_what_grub_install_made(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, snapshots = raid_uefi(tmp_path, family="debian", spares=("/dev/vdb1", "/dev/vdc1"))
    bootloader.apply(env.ctx)
    mounts = [c for c in env.runner.commands(chroot=False) if c[:2] == ["mount", "-t"]]
    assert [m[3] for m in mounts] == ["/dev/vdb1", "/dev/vdc1"]
    assert len({m[4] for m in mounts}) == 2
    for m in mounts:
        assert snapshots[Path(m[4])] == ["EFI/BOOT/BOOTX64.EFI", "EFI/debian/grubx64.efi"]
    installs = [i for i, c in enumerate(env.runner.commands()) if c[0] == "grub-install"]
    first_mount = next(i for i, c in enumerate(env.runner.commands()) if c[:2] == ["mount", "-t"])
    assert installs and max(installs) < first_mount


def test_a_failed_mount_of_a_spare_esp_stops_with_the_device_and_leaves_no_directory(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, _ = raid_uefi(tmp_path)
    env.runner.fail["mount"] = 32
    with pytest.raises(StepError, match="mount -t vfat /dev/vdb1"):
        bootloader.apply(env.ctx)
    assert not list((env.target / "tmp").glob("azl-esp-*"))
    assert not env.runner.named("umount")


def test_uefi_raid1_without_spare_esps_warns_that_one_disk_boots(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, _ = raid_uefi(tmp_path, spares=())
    bootloader.apply(env.ctx)
    assert not [c for c in env.runner.named("mount") if "--bind" not in c]
    assert not (env.target / esp_sync.CONF.lstrip("/")).exists()
    assert any("RAID1 over /dev/vda, /dev/vdb but only the disk holding /boot/efi" in w for w in env.ctx.warnings)


def test_efi_entries_for_each_disk_with_the_mounted_esp_first_in_boot_order(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: True)
    monkeypatch.setattr(bootloader, "_partition_number", lambda name: 1)
    monkeypatch.setattr(bootloader, "_have_efibootmgr", lambda: True)
    env, _ = raid_uefi(tmp_path)
    bootloader.apply(env.ctx)
    entries = env.runner.named("efibootmgr")
    # each --create goes to the front of BootOrder: the last one made (vda's) is tried first
    assert [(e[e.index("--disk") + 1], e[e.index("--label") + 1]) for e in entries] == [
        ("/dev/vdb", f"{env.ctx.product.name} (vdb)"), ("/dev/vda", env.ctx.product.name)]
    assert {e[e.index("--loader") + 1] for e in entries} == {"\\EFI\\azurelinux\\shimx64.efi"}


def test_uefi_without_raid_copies_nothing_and_warns_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env = fedora_uefi(tmp_path)
    bootloader.apply(env.ctx)
    assert not [c for c in env.runner.named("mount") if "--bind" not in c] and not env.ctx.warnings
    assert not (env.target / esp_sync.SYNC.lstrip("/")).exists()


def test_copy_efi_tree_copies_nested_files_by_content(tmp_path):
    src = tmp_path / "src"
    (src / "BOOT").mkdir(parents=True)
    (src / "azurelinux/fonts").mkdir(parents=True)
    (src / "BOOT/BOOTX64.EFI").write_bytes(b"\x4d\x5a shim")
    (src / "azurelinux/fonts/unicode.pf2").write_bytes(b"font")
    (src / "azurelinux/grub.cfg").write_text("configfile x\n")
    (src / "azurelinux/grub.cfg").chmod(0o700)
    dest = tmp_path / "esp" / "EFI"
    assert bootloader.copy_efi_tree(src, dest) == 3
    assert (dest / "BOOT/BOOTX64.EFI").read_bytes() == b"\x4d\x5a shim"
    assert (dest / "azurelinux/fonts/unicode.pf2").read_bytes() == b"font"
    assert (dest / "azurelinux/grub.cfg").read_text() == "configfile x\n"


# the planner's answer for a RAID1 kickstart, handed to the bootloader step as the storage step does
RAID_KS = """rootpw --plaintext Xyzzy-Plugh-2026
zerombr
clearpart --all --initlabel
reqpart
part raid.11 --size=1024 --ondisk=sda
part raid.12 --size=1024 --ondisk=sdb
part raid.21 --size=4096 --grow --ondisk=sda
part raid.22 --size=4096 --grow --ondisk=sdb
raid /boot --level=1 --device=boot --fstype=xfs raid.11 raid.12
raid / --level=1 --device=root --fstype=xfs raid.21 raid.22
"""


def planned(firmware):
    plan = parse_kickstart(RAID_KS.replace("zerombr", "zerombr\nignoredisk --only-use=sda,sdb"), "raid.ks").plan
    machine = Machine.load(PROFILES / ("bios-2sata.json" if firmware == "bios" else "server-8disk-4nic.json"))
    return plan, preview_storage(plan, machine)


def test_bios_raid1_grub_goes_on_every_disk_the_planner_gave_a_biosboot(tmp_path):
    plan, preview = planned("bios")
    assert preview.boot_disks == ["/dev/sda", "/dev/sdb"]
    env = debian_target(tmp_path, "bios", plan)
    env.ctx.storage = preview
    env.ctx.boot_disks = list(preview.boot_disks)
    bootloader.apply(env.ctx)
    assert env.runner.named("grub-install") == [["grub-install", "--target=i386-pc", "/dev/sda"],
                                                ["grub-install", "--target=i386-pc", "/dev/sdb"]]
    assert any(e.message == "GRUB installed on /dev/sda, /dev/sdb" for e in env.events if e.kind == "log")


def test_dry_run_describes_the_raid1_boot_disks(tmp_path):
    plan, preview = planned("bios")
    env = debian_target(tmp_path, "bios", plan)
    env.ctx.storage = preview
    assert "install GRUB for BIOS on /dev/sda, /dev/sdb (each disk of the RAID1 /boot)" in bootloader.describe(env.ctx)
    plan, preview = planned("uefi")
    env = debian_target(tmp_path / "uefi", "uefi", plan)
    env.ctx.storage = preview
    lines = bootloader.describe(env.ctx)
    assert ("copy /boot/efi/EFI (EFI/BOOT fallback and the distribution's directory) to the EFI system partition "
            "/dev/sdb1, so that each RAID1 disk boots alone (through its own EFI/BOOT/BOOTX64.EFI and boot "
            "entry); keep them current after kernel and bootloader updates (/usr/libexec/azl-esp-sync, run by "
            "package hooks)") in lines
    assert ("make the directory under the /boot/efi mount immutable, so that nothing is written there while "
            "the ESP is not mounted") in lines


def test_dry_run_without_raid_names_no_copy(tmp_path):
    env = debian_target(tmp_path, "uefi")
    lines = bootloader.describe(env.ctx)
    assert not [line for line in lines if "copy" in line or "azl-esp-sync" in line]
    assert [line for line in lines if "immutable" in line]


# ------------------------------------------------------------------ /boot/efi when the ESP is not mounted
def test_the_directory_under_a_separate_boot_esp_mount_is_made_immutable(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, _ = raid_uefi(tmp_path)
    bootloader.apply(env.ctx)
    cmds = env.runner.commands(chroot=False)
    bind = next(c for c in cmds if c[:2] == ["mount", "--bind"])
    assert bind[2] == str(env.target / "boot")   # /boot is its own filesystem: /boot/efi is its "efi"
    under = bind[3]
    assert ["chattr", "+i", os.path.join(under, "efi")] in cmds
    assert cmds.index(bind) < cmds.index(["chattr", "+i", os.path.join(under, "efi")]) < cmds.index(["umount", under])
    assert not os.path.exists(under)
    assert any("/boot/efi mount point made immutable on the /boot filesystem" in e.message
               for e in env.events if e.kind == "log")


def test_without_a_separate_boot_the_root_filesystem_directory_is_made_immutable(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env = fedora_uefi(tmp_path)
    bootloader.apply(env.ctx)
    bind = env.runner.named("mount")[0]
    assert bind[:3] == ["mount", "--bind", str(env.target)]
    assert env.runner.named("chattr") == [["chattr", "+i", os.path.join(bind[3], "boot/efi")]]


def test_a_mount_point_with_files_under_it_is_left_alone_with_a_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env = fedora_uefi(tmp_path)
    bind = env.runner.responses["mount"]

    def mount_with_a_file(cmd):
        bind(cmd)
        Path(cmd[-1], "boot/efi/left-by-something").write_text("x")
        return ""

    env.runner.responses["mount"] = mount_with_a_file
    bootloader.apply(env.ctx)
    assert not env.runner.named("chattr")
    assert any("under the /boot/efi mount is missing or not empty" in w for w in env.ctx.warnings)
    assert env.runner.named("umount")


def test_a_failed_chattr_warns_and_the_install_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env = fedora_uefi(tmp_path)
    env.runner.fail["chattr"] = 1
    bootloader.apply(env.ctx)
    assert any("cannot make the /boot/efi mount point immutable" in w for w in env.ctx.warnings)
    assert (env.target / "boot/grub2").is_dir()


def test_bios_installs_touch_no_mount_point(tmp_path):
    env = make_env(tmp_path, family="debian", firmware="bios", tools=("update-initramfs", "grub-mkconfig",
                                                                      "grub-install"))
    env.ctx.runner = env.runner = runner_for(env.target, {"/": "/dev/vda1"},
                                             {"/dev/vda1": tree("/dev/vda1", "part", ROOT_UUID, "xfs",
                                                                [tree("/dev/vda", "disk")])})
    (env.target / "usr/lib/modules/6.6.1").mkdir(parents=True)
    bootloader.apply(env.ctx)
    assert not env.runner.named("mount") and not env.runner.named("chattr")


# ------------------------------------------------------------------ spare ESPs after the install
def test_debian_raid1_gets_the_sync_command_its_spares_and_kernel_and_apt_hooks(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, _ = raid_uefi(tmp_path, family="debian", spares=("/dev/vdb1", "/dev/vdc1"))
    bootloader.apply(env.ctx)
    t = env.target
    # vdb1's filesystem UUID; vdc1 has none readable: named in a warning, left out
    assert (t / "etc/azl-esp-sync.conf").read_text().splitlines()[-1] == 'SPARES="EFGH-5678"'
    assert any("cannot read the filesystem UUID of /dev/vdc1" in w for w in env.ctx.warnings)
    sync = t / "usr/libexec/azl-esp-sync"
    assert sync.read_text() == esp_sync.SYNC_SCRIPT and sync.stat().st_mode & 0o777 == 0o755
    for hook in ("etc/kernel/postinst.d/zz-azl-esp-sync", "etc/kernel/postrm.d/zz-azl-esp-sync"):
        assert (t / hook).stat().st_mode & 0o777 == 0o755
        assert "/usr/libexec/azl-esp-sync" in (t / hook).read_text()
    assert "DPkg::Post-Invoke" in (t / "etc/apt/apt.conf.d/99azl-esp-sync").read_text()
    assert not (t / "etc/kernel/install.d").exists()


def test_fedora_raid1_gets_a_kernel_install_plugin_and_dnf_actions(tmp_path, monkeypatch):
    monkeypatch.setattr(bootloader, "_efivars_writable", lambda: False)
    env, _ = raid_uefi(tmp_path)
    bootloader.apply(env.ctx)
    t = env.target
    plugin = t / "etc/kernel/install.d/99-azl-esp-sync.install"
    assert plugin.stat().st_mode & 0o777 == 0o755 and "add|remove)" in plugin.read_text()
    assert (t / "etc/dnf/libdnf5-plugins/actions.d/azl-esp-sync.actions").exists()
    assert (t / "etc/dnf/plugins/post-transaction-actions.d/azl-esp-sync.action").exists()
    assert not (t / "etc/apt/apt.conf.d/99azl-esp-sync").exists()
    assert 'SPARES="EFGH-5678"' in (t / "etc/azl-esp-sync.conf").read_text()


def test_the_sync_command_and_the_hooks_are_valid_shell(tmp_path):
    for name, text in [("sync", esp_sync.SYNC_SCRIPT), ("debian-kernel", esp_sync.DEBIAN_KERNEL_HOOK),
                       ("kernel-install", esp_sync.KERNEL_INSTALL_PLUGIN)]:
        script = tmp_path / name
        script.write_text(text)
        proc = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
        assert proc.returncode == 0, (name, proc.stderr)




def test_the_initramfs_is_made_while_grub_is_installed_and_before_grub_mkconfig(tmp_path, monkeypatch):
    env = debian_target(tmp_path, "bios")
    env.ctx.boot_disks = ["/dev/vda"]
    order = []
    real_run = env.ctx.run

    def run(cmd, **kw):
        order.append(("run", cmd[0]))
        return real_run(cmd, **kw)

    monkeypatch.setattr(env.ctx, "run", run)
    monkeypatch.setattr(env.ctx, "start", lambda cmd, *, until, chroot=False, check=True:
                        order.append(("start", cmd[0], until, chroot)))
    monkeypatch.setattr(env.ctx, "wait_background", lambda before=None: order.append(("wait", before)))
    bootloader.apply(env.ctx)
    steps = [o for o in order if o[0] != "run" or o[1] in ("grub-install", "grub-mkconfig")]
    assert steps == [("start", "update-initramfs", bootloader.INITRAMFS_DONE, True), ("run", "grub-install"),
                     ("wait", bootloader.INITRAMFS_DONE), ("run", "grub-mkconfig")]


def test_several_kernels_get_their_initramfs_one_after_another(tmp_path, monkeypatch):
    env = debian_target(tmp_path, "bios")
    (env.target / "lib/modules/6.1.0-10-amd64").mkdir(parents=True)
    (env.target / "boot/vmlinuz-6.1.0-10-amd64").write_text("kernel")
    env.ctx.boot_disks = ["/dev/vda"]
    monkeypatch.setattr(env.ctx, "start", lambda *a, **k: pytest.fail("not in the background"))
    bootloader.apply(env.ctx)
    assert env.runner.named("update-initramfs") == [["update-initramfs", "-c", "-k", "6.1.0-10-amd64"],
                                                    ["update-initramfs", "-c", "-k", "6.1.0-9-amd64"]]
