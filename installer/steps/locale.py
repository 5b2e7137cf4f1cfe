"""Language (/etc/locale.conf, and /etc/default/locale on Debian) and console
keyboard (/etc/vconsole.conf, keeping its other settings such as FONT=)."""

from __future__ import annotations

from installer import chroot
from installer.context import InstallContext, StepError
from installer.model.syntax import env_value

TITLE = "Setting the language and keyboard"


def set_value(existing: str, key: str, value: str) -> str:
    """`existing` with KEY set to `value`, quoted so that systemd and a sourcing shell read the same value."""
    try:
        quoted = env_value(value)
    except ValueError as exc:
        raise StepError(f"{key}={value!r} cannot be written: it {exc}") from None
    lines = [line for line in existing.splitlines() if not line.startswith(f"{key}=")]
    return "\n".join([f"{key}={quoted}", *lines]) + "\n"


def describe(ctx: InstallContext) -> list[str]:
    s = ctx.plan.system
    return [f"LANG={s.lang} in /etc/locale.conf", f"KEYMAP={s.keyboard} in /etc/vconsole.conf"]


def apply(ctx: InstallContext) -> None:
    s = ctx.plan.system
    for path in ("/etc/locale.conf", "/etc/default/locale"):
        if path == "/etc/default/locale" and chroot.family(ctx.target) != "debian":
            continue
        host = chroot.resolve(ctx.target, path)
        existing = host.read_text(errors="replace") if host.exists() else ""
        ctx.write(path, set_value(existing, "LANG", s.lang), 0o644)
    host = chroot.resolve(ctx.target, "/etc/vconsole.conf")
    existing = host.read_text(errors="replace") if host.exists() else ""
    ctx.write("/etc/vconsole.conf", set_value(existing, "KEYMAP", s.keyboard), 0o644)
