"""Firewall: firewalld configured offline (firewall-offline-cmd in the chroot).
SSH stays allowed unless the kickstart removes it. A target without firewalld gets
a clear warning, since it will boot with no firewall."""

from __future__ import annotations

from installer import chroot
from installer.context import InstallContext
from installer.steps import services

TITLE = "Configuring the firewall"


def arguments(ctx: InstallContext) -> list[str]:
    fw = ctx.plan.security.firewall
    if not fw.enabled:
        return ["--disabled"]
    args = ["--enabled"]
    wanted = list(dict.fromkeys(["ssh", *fw.services]))
    args += [f"--service={s}" for s in wanted if s not in fw.remove_services]
    args += [f"--remove-service={s}" for s in fw.remove_services]
    args += [f"--port={p}" for p in fw.ports]
    args += [f"--trust={t}" for t in fw.trusted]
    return args


def applies(ctx: InstallContext) -> bool:
    return not ctx.plan.security.firewall.use_system_defaults


def describe(ctx: InstallContext) -> list[str]:
    return ["firewall-offline-cmd " + " ".join(arguments(ctx)) + " (when the target has firewalld)"]


def apply(ctx: InstallContext) -> None:
    fw = ctx.plan.security.firewall
    if not chroot.find_tool(ctx.target, "firewall-offline-cmd"):
        if fw.enabled:
            ctx.warn("the target has no firewalld (no firewall-offline-cmd): the installed system will "
                     "have NO firewall; the firewall settings of the plan were not applied")
        else:
            ctx.info("firewall disabled, and the target has no firewalld")
        return
    ctx.run(["firewall-offline-cmd", *arguments(ctx)], chroot=True)
    unit = services.unit_name(ctx, "firewalld", chroot.unit_aliases(ctx.target))
    if unit:
        services.systemctl(ctx, "enable" if fw.enabled else "disable", [unit])
