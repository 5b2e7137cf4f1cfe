"""The end of the install: eject the medium when asked, then reboot, power off or halt.

The power action runs after the engine has reported Finished and closed the log."""

from __future__ import annotations

import shutil

from installer.context import InstallContext

TITLE = "Finishing"
ACTIONS = {
    "reboot": ["systemctl", "reboot"],
    "poweroff": ["systemctl", "poweroff"],
    "shutdown": ["systemctl", "poweroff"],
    "halt": ["systemctl", "halt"],
}


def describe(ctx: InstallContext) -> list[str]:
    fin = ctx.plan.finish
    out = []
    if fin.eject and ctx.machine.live_medium:
        out.append(f"eject {ctx.machine.live_medium.path}")
    out.append(f"then {fin.action}" if fin.action in ACTIONS else "then stay in the live environment")
    return out


def apply(ctx: InstallContext) -> None:
    fin = ctx.plan.finish
    medium = ctx.machine.live_medium
    if fin.eject and medium is not None:
        if shutil.which("eject"):
            ctx.run(["eject", medium.path], check=False)
        else:
            ctx.warn("cannot eject the install medium: no eject tool in the live environment")
    ctx.finish_command = ACTIONS.get(fin.action)
    if ctx.finish_command:
        ctx.info(f"the installer will {fin.action} now")
