"""Plans and machines built in Python for the validation tests (no kickstart parser needed)."""

from __future__ import annotations

from installer.model.defaults import new_plan
from installer.model.machine import Disk, Machine, Nic, Partition
from installer.model.plan import AutoPart, InstallPlan, Origin, SshKey
from installer.validate.validator import validate

GIB = 1024**3
FILE = "ks.cfg"
KEY = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example")
HASH = "$6$rounds=5000$saltsalt$" + "x" * 86


def at(line: int) -> Origin:
    return Origin.kickstart(FILE, line)


def base_plan(lines: int = 100) -> InstallPlan:
    """A plan that validates cleanly: autopart, root password, a key for root."""
    plan = new_plan()
    plan.source_file = FILE
    plan.source_text = "\n" * lines
    plan.storage.set("autopart", AutoPart(), at(1))
    plan.storage.autopart.set("scheme", "lvm", at(1))
    plan.storage.clearpart.set("mode", "all", at(2))
    plan.accounts.set("root_password_hash", HASH, at(3))
    plan.accounts.ssh_keys.append(SshKey(username="root", key=KEY, origin=at(4)))
    return plan


def disk(name: str, gib: float, **kw) -> Disk:
    return Disk(name=name, path=f"/dev/{name}", size=int(gib * GIB), **kw)


def uefi_machine(*disks: Disk, memory_gib: float = 4) -> Machine:
    return Machine(
        firmware="uefi",
        memory=int(memory_gib * GIB),
        disks=list(disks) or [disk("vda", 20, transport="virtio", serial="VD1")],
        nics=[Nic(name="enp1s0", mac="52:54:00:12:34:56"), Nic(name="enp2s0", mac="52:54:00:ab:cd:ef")],
    )


def bios_machine(*disks: Disk) -> Machine:
    m = uefi_machine(*disks)
    m.firmware = "bios"
    return m


def windows_disk() -> Disk:
    d = disk("sda", 100, transport="sata", ptable="gpt")
    d.partitions = [
        Partition(name="sda1", path="/dev/sda1", number=1, size=100 * 1024**2, fstype="vfat"),
        Partition(name="sda2", path="/dev/sda2", number=2, size=60 * GIB, fstype="ntfs"),
        Partition(name="sda3", path="/dev/sda3", number=3, size=38 * GIB, fstype="ext4"),
    ]
    return d


def messages(plan: InstallPlan, machine: Machine | None = None, severity: str | None = None) -> list[str]:
    return [str(d) for d in validate(plan, machine) if severity is None or d.severity == severity]


def errors(plan: InstallPlan, machine: Machine | None = None) -> list[str]:
    return messages(plan, machine, "error")
