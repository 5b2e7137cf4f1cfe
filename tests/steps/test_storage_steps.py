"""The storage, mount and fstab engine steps (dry-run description and file writing; no root)."""

import os

from installer.context import InstallContext
from installer.model.defaults import new_plan
from installer.model.machine import Disk, Machine
from installer.model.plan import AutoPart
from installer.model.product import load_product
from installer.steps import fstab as fstab_step
from installer.steps import mount as mount_step
from installer.steps import storage as storage_step
from installer.storage.results import MountedTarget

GiB = 1024**3


def context(tmp_path, dry_run=True):
    plan = new_plan()
    plan.storage.autopart = AutoPart(noswap=False)
    plan.storage.clearpart.mode = "all"
    machine = Machine(firmware="uefi", memory=2 * GiB,
                      disks=[Disk(name="vda", path="/dev/vda", size=20 * GiB, transport="virtio")])
    return InstallContext(plan=plan, machine=machine, product=load_product(), target=tmp_path / "sysroot",
                          dry_run=dry_run, log_dir=tmp_path / "log")


def test_dry_run_describes_blivet_actions_mounts_and_fstab(tmp_path):
    ctx = context(tmp_path)
    actions = storage_step.describe(ctx)
    assert actions[:3] == ["wipe leftover signatures on blank disk vda (no partition table or data found)", "create format gpt partition table on vda",
                           "create partition vda1 (600 MiB)"]
    mounts = mount_step.describe(ctx)
    root = str(tmp_path / "sysroot")
    assert mounts[:3] == [f"mount UUID=<new:azl-root> (xfs) on {root}",
                          f"mount UUID=<new:vda2> (xfs) on {root}/boot",
                          f"mount UUID=<new:vda1> (vfat) on {root}/boot/efi"]
    assert mounts[3] == "swapon UUID=<new:azl-swap>"
    described = fstab_step.describe(ctx)
    assert described[0] == "/etc/fstab:" and "  UUID=<new:azl-root> / xfs defaults 0 0" in described


def test_fstab_step_writes_fstab_and_private_crypttab(tmp_path):
    ctx = context(tmp_path, dry_run=False)
    ctx.storage = MountedTarget(root=str(ctx.target), mounts=[], api_mounts=[], swaps=[],
                                fstab="UUID=1 / xfs defaults 0 0\n", crypttab="luks-2 UUID=2 none\n", actions=[],
                                kernel_args=[], root_device="/dev/mapper/azl-root")
    fstab_step.apply(ctx)
    assert (ctx.target / "etc/fstab").read_text() == "UUID=1 / xfs defaults 0 0\n"
    assert (ctx.target / "etc/crypttab").read_text() == "luks-2 UUID=2 none\n"
    assert os.stat(ctx.target / "etc/crypttab").st_mode & 0o777 == 0o600
    assert os.stat(ctx.target / "etc/fstab").st_mode & 0o777 == 0o644
