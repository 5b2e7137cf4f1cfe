"""Booting the installation medium in QEMU as a user does: the ISO in a CD-ROM drive (never
-kernel), the firmware (OVMF or SeaBIOS) loads GRUB from it, and the harness picks a menu entry
or types its kernel line with extra options at GRUB's prompt over the serial console, as an
admin adds boot options."""
from __future__ import annotations

import time
from pathlib import Path

from .guest import run_dir
from .iso import IsoBuild, Medium, load_medium
from .qemu import FATAL_PATTERNS, VM, Disk

DOWN, UP = "\x1b[B", "\x1b[A"
# The live kernel's extra argument in every test boot: under TCG, translated code is reused only
# at the same address, so without ASLR every exec is ~4x cheaper (see guest.BASE_APPEND).
TEST_ARGS = ("norandmaps",)
# Console lines after which an unattended install cannot succeed: stop waiting at once.
INSTALL_FAILED = ("Installation failed (", "has errors; nothing was changed", "azl-install exited with status")


def iso_vm(build: IsoBuild, name: str, disks: list[Disk], firmware: str, *, workdir: Path | None = None,
           fatal_patterns: tuple = FATAL_PATTERNS, cdrom_bus: str = "sata", **kw) -> VM:
    """A VM with the ISO in its CD-ROM drive (booted first) and `disks` attached."""
    if firmware not in ("uefi", "bios"):
        raise ValueError("the ISO boots under 'uefi' or 'bios' firmware")
    return VM(name=name, workdir=workdir or run_dir(name), disks=list(disks), firmware=firmware,
              cdrom=build.iso, cdrom_bus=cdrom_bus, interactive=True, fatal_patterns=fatal_patterns, **kw)


def choose_entry(vm: VM, entry: str, extra: tuple[str, ...] | list[str] = (), medium: Medium | None = None,
                 timeout: float = 240) -> float:
    """At GRUB's menu: boot `entry` (an id in tools/iso/medium.toml). Without `extra`, move the
    highlight to it and press Enter. With `extra`, press `c` for GRUB's command line and type
    the entry's own commands (its kernel line from the data, plus `extra`) and `boot`, as an
    admin adds boot options. Returns the seconds since QEMU started when the menu appeared."""
    medium = medium or load_medium()
    ids = [e.id for e in medium.entries]
    mark = vm.wait_raw(medium.entries[-1].title, timeout)
    seen = vm.elapsed()
    if not extra:
        moves = ids.index(entry) - ids.index(medium.default)
        _keys(vm, [DOWN if moves > 0 else UP] * abs(moves) + ["\r"])
        return seen
    _keys(vm, ["c"])
    for line in (f"linux /boot/vmlinuz {medium.cmdline(entry, list(extra))}", "initrd /boot/initrd.img"):
        mark = vm.wait_raw("grub>", 60, after=mark)
        _keys(vm, list(line) + ["\r"])
    vm.wait_raw("grub>", 120, after=mark)
    _keys(vm, list("boot") + ["\r"])
    return seen


def _keys(vm: VM, keys: list[str]) -> None:
    # One key at a time, as typed (an escape sequence in one write): GRUB polls the serial line.
    for key in keys:
        vm.send(key)
        time.sleep(0.1)
    time.sleep(0.3)
