"""Which consoles the live medium starts the installer on: tty1 and every serial console the
kernel was given (console= on the command line, or the kernel's active consoles), and the
systemd units for them (a generator: installer on each, the gettys it replaces masked)."""

from __future__ import annotations

import os
from pathlib import Path

from installer.live.render import is_serial

SHELL_TTY = "tty2"
TEMPLATE = "azl-install@.service"


def _console_args(cmdline: str) -> list[str]:
    return [w.split("=", 1)[1].split(",", 1)[0] for w in cmdline.split() if w.startswith("console=") and "=" in w]


def installer_consoles(cmdline: str, active: str = "") -> list[str]:
    """tty1 first, then each serial console in the order the kernel was given them."""
    found = ["tty1"]
    for name in _console_args(cmdline) + active.split():
        name = name.removeprefix("/dev/")
        if is_serial(name) and name not in found:
            found.append(name)
    return found


def primary_console(cmdline: str) -> str:
    """/dev/console: the last console= given (tty0 means the active VT, tty1), tty1 without any."""
    args = _console_args(cmdline)
    if not args:
        return "tty1"
    last = args[-1]
    return "tty1" if last in ("tty0", "tty") else last


def starts_without_enter(opts) -> bool:
    """Whether a console claims the install at once: with a kickstart, unless inst.sshd says the
    admin will drive it from an SSH session (then the consoles wait for Enter and the first SSH
    session gets the TUI); inst.cmdline (nobody at any console) claims at once in any case, also
    for inst.reinstall (the saved kickstart on the disks takes the place of inst.ks)."""
    if getattr(opts, "reinstall", False) and opts.cmdline:
        return True
    return opts.ks is not None and (bool(opts.cmdline) or not opts.sshd)


def generate(cmdline: str, active: str, unit_dir: str | Path, early_dir: str | Path,
             template_path: str = f"/usr/lib/systemd/system/{TEMPLATE}") -> list[str]:
    """systemd generator output: azl-install@CONSOLE.service wanted by multi-user.target for
    each console; in the early directory (above /etc) the gettys on those consoles and on the
    shell's tty2 masked. Returns the unit names it enabled."""
    unit_dir, early_dir = Path(unit_dir), Path(early_dir)
    wants = unit_dir / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    early_dir.mkdir(parents=True, exist_ok=True)
    enabled = []
    for tty in installer_consoles(cmdline, active):
        unit = f"azl-install@{tty}.service"
        _symlink(template_path, wants / unit)
        getty = "serial-getty" if is_serial(tty) else "getty"
        _symlink("/dev/null", early_dir / f"{getty}@{tty}.service")
        enabled.append(unit)
    _symlink("/dev/null", early_dir / f"getty@{SHELL_TTY}.service")
    _symlink("/dev/null", early_dir / f"autovt@{SHELL_TTY}.service")
    return enabled


def _symlink(target: str, link: Path) -> None:
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(target, link)
