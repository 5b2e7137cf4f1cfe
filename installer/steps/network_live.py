"""`network --activate`: bring the live environment's network up the same way the
target will be configured, before %pre and before network repositories are used."""

from __future__ import annotations

import os
import shutil

from installer.context import InstallContext
from installer.steps import network

TITLE = "Activating the network"
RUN_CONNECTIONS = "/run/NetworkManager/system-connections"


def applies(ctx: InstallContext) -> bool:
    return any(d.activate for d in ctx.plan.network.devices)


def describe(ctx: InstallContext) -> list[str]:
    return [f"activate {d.device or 'the first interface with link'} in the live environment with nmcli"
            for d in ctx.plan.network.devices if d.activate]


def apply(ctx: InstallContext) -> None:
    if shutil.which("nmcli") is None:
        ctx.warn("network --activate: the live environment has no nmcli; its network is left as it is")
        return
    files = network.keyfiles(ctx, [d for d in ctx.plan.network.devices if d.activate])
    for key in files:
        # /run: NetworkManager reads keyfiles there too, and nothing of it survives the live session.
        path = f"{RUN_CONNECTIONS}/{key.name}.nmconnection"
        os.makedirs(RUN_CONNECTIONS, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key.text())
        ctx.run(["nmcli", "connection", "load", path], check=False)
    for key in files:
        if key.sections["connection"].get("slave-type"):
            continue
        proc = ctx.run(["nmcli", "--wait", "60", "connection", "up", "id", key.name], check=False)
        if proc.returncode == 0:
            ctx.info(f"activated {key.name} in the live environment")
        else:
            # Not fatal here: a network repository that needs it fails later, naming the repository.
            detail = ((proc.stdout or "") + (proc.stderr or "")).strip().splitlines()
            ctx.warn(f"network --activate: could not bring {key.name} up in the live environment"
                     + (f": {detail[-1]}" if detail else ""))
