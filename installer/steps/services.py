"""Services: systemctl --root TARGET enable/disable, with names resolved against the
target's unit files (sshd is ssh.service on Debian, chronyd is chrony.service).
A unit the target does not have is a warning, not a failure."""

from __future__ import annotations

import os
import shutil

from installer import chroot
from installer.context import InstallContext

TITLE = "Enabling and disabling services"


def wanted(ctx: InstallContext) -> tuple[list[str], list[str]]:
    """(enable, disable), after sshd_enabled and timezone --nontp have had their say."""
    plan = ctx.plan
    enable = list(dict.fromkeys(plan.services.enabled))
    disable = list(dict.fromkeys(plan.services.disabled))
    if not plan.security.sshd_enabled:
        disable.append("sshd")
    if plan.system.nontp:
        disable.append("chronyd")
    enable = [u for u in enable if u not in disable]
    return enable, disable


def describe(ctx: InstallContext) -> list[str]:
    enable, disable = wanted(ctx)
    out = []
    if enable:
        out.append("enable " + ", ".join(enable))
    if disable:
        out.append("disable " + ", ".join(disable))
    return out or ["no service changes"]


def unit_name(ctx: InstallContext, name: str, aliases: dict[str, str]) -> str | None:
    """The real unit behind `name`: systemctl refuses to enable through an alias symlink."""
    unit = name if "." in name else f"{name}.service"
    path = chroot.unit_file(ctx.target, unit)
    if path is None:
        return aliases.get(unit)
    if path.is_symlink():
        real = os.path.basename(os.readlink(path))
        if real != unit and "." in real and os.readlink(path) != "/dev/null":
            return real
    return unit


def systemctl(ctx: InstallContext, action: str, units: list[str]) -> None:
    if not units:
        return
    if shutil.which("systemctl"):
        ctx.run(["systemctl", f"--root={ctx.target}", action, *units])
    else:
        ctx.run(["systemctl", action, *units], chroot=True)


def apply(ctx: InstallContext) -> None:
    enable, disable = wanted(ctx)
    aliases = chroot.unit_aliases(ctx.target)
    for action, names in (("enable", enable), ("disable", disable)):
        units = []
        for name in names:
            unit = unit_name(ctx, name, aliases)
            if unit is None:
                ctx.warn(f"cannot {action} {name}: the target has no such unit")
            else:
                units.append(unit)
        systemctl(ctx, action, units)
