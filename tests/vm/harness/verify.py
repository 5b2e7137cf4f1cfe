"""Boot an installed disk set alone and check it over SSH."""
from pathlib import Path

from . import checks, ssh
from .qemu import VM, Disk, GuestError, free_port


class CheckFailed(AssertionError):
    pass


# What the installed system's initramfs prints when it asks for a LUKS passphrase.
UNLOCK_PROMPT = "Please unlock disk"


POWEROFF_BOUND = 300   # seconds: an outer bound for a requested power-off (TCG on a busy machine)


def installed_vm(name: str, workdir: Path, disks: list[Disk], firmware: str, unlock: str = "") -> VM:
    """The installed disks booted by firmware alone (no -kernel): OVMF with a
    fresh VARS copy for 'uefi', SeaBIOS for 'bios'. The first disk boots. With `unlock`,
    the passphrase is typed on the serial console when the initramfs asks for it."""
    if firmware not in ("uefi", "bios"):
        raise ValueError("an installed system boots under 'uefi' or 'bios'")
    # Every installed disk is in the firmware's boot order, first to last, as on a real machine:
    # OVMF does not even connect a disk left out of it once another has a bootindex.
    boot = [Disk(d.path, bus=d.bus, serial=d.serial, bootindex=i) for i, d in enumerate(disks)]
    port = free_port()
    vm = VM(name=name, workdir=workdir, disks=boot, firmware=firmware, forwards={22: port},
            answers={UNLOCK_PROMPT: unlock} if unlock else {})
    vm.ssh_port = port
    return vm


def boot_and_check(name: str, workdir: Path, disks: list[Disk], firmware: str, expected: dict,
                   key: Path, timeout=420, timer=None, scenario=None, unlock: str = "") -> dict:
    """Boot, wait for sshd, gather facts in one session, run the checks, power off.
    Raises CheckFailed with the problems and the guest's serial-log excerpt."""
    vm = installed_vm(name, workdir, disks, firmware, unlock)
    scenario = scenario or name
    with vm:
        try:
            if timer:
                with timer.phase("reboot", scenario):
                    ssh.wait_ssh(vm, vm.ssh_port, key, timeout)
            else:
                ssh.wait_ssh(vm, vm.ssh_port, key, timeout)
        except GuestError as e:
            raise CheckFailed(f"{name}: the installed system did not come up: {e}") from None
        if timer:
            with timer.phase("checks", scenario):
                facts = checks.gather(vm.ssh_port, key)
        else:
            facts = checks.gather(vm.ssh_port, key)
        problems = checks.run_checks(facts, expected)
        ssh.run(vm.ssh_port, key, "systemctl poweroff --no-block", timeout=30)
        try:
            vm.wait_exit(POWEROFF_BOUND)   # the power-off itself is the event; a hang is killed after it
        except GuestError:
            pass
    (Path(workdir) / "facts.txt").write_text(
        "".join(f"=== {k}\n{v}" for k, v in facts.items()))
    if problems:
        raise CheckFailed(f"{name}: {len(problems)} check(s) failed:\n  " + "\n  ".join(problems)
                          + f"\n--- serial log {vm.serial_log} (tail) ---\n{vm.tail(40)}")
    return facts
