"""Booting the installation medium in QEMU as a user does: the ISO in a CD-ROM drive (never
-kernel), the firmware (OVMF or SeaBIOS) loads GRUB from it, and the harness picks a menu entry
and edits its kernel line over the serial console, as an admin adds boot options."""
from __future__ import annotations

import time
from pathlib import Path

from .guest import run_dir
from .iso import IsoBuild, Medium, load_medium
from .qemu import FATAL_PATTERNS, VM, Disk

DOWN, UP = "\x1b[B", "\x1b[A"
CTRL_E, CTRL_N, CTRL_P, CTRL_X = "\x05", "\x0e", "\x10", "\x18"
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
    """At GRUB's menu: select `entry` (an id in tools/iso/medium.toml), append `extra` to its
    kernel line in GRUB's editor (e, last line, up one: the linux line, Ctrl-E, type, Ctrl-X)
    or just press Enter. Returns the seconds since QEMU started when the menu appeared."""
    medium = medium or load_medium()
    ids = [e.id for e in medium.entries]
    mark = vm.wait_raw(medium.entries[-1].title, timeout)
    seen = vm.elapsed()
    moves = ids.index(entry) - ids.index(medium.default)
    _keys(vm, [DOWN if moves > 0 else UP] * abs(moves))
    if not extra:
        _keys(vm, ["\r"])
        return seen
    _keys(vm, ["e"])
    # the editor is drawn when the entry's last line (initrd) is on the screen
    vm.wait_raw("initrd ", 60, after=mark)
    time.sleep(0.5)
    # Emacs keys, not arrows: a lone ESC (an arrow's first byte read alone) leaves the editor.
    _keys(vm, [CTRL_N] * 12 + [CTRL_P, CTRL_E])
    _keys(vm, list(" " + " ".join(extra)))
    time.sleep(0.5)
    _keys(vm, [CTRL_X])
    return seen


def _keys(vm: VM, keys: list[str]) -> None:
    # One key at a time, as typed (an escape sequence in one write): GRUB polls the serial line.
    for key in keys:
        vm.send(key)
        time.sleep(0.1)
    time.sleep(0.3)
