"""Firewall: firewalld configured offline. The zone files are written directly
(firewall_files) when the plan is a plain one; otherwise firewall-offline-cmd runs in the
chroot. SSH stays allowed unless the kickstart removes it. A target without firewalld gets
a clear warning, since it will boot with no firewall."""

from __future__ import annotations

import shutil

from installer import chroot
from installer.context import InstallContext
from installer.steps import firewall_files, services

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
    return ["firewalld: " + " ".join(arguments(ctx)) + " in the default zone's file under /etc/firewalld/zones "
            "(firewall-offline-cmd for what that cannot express; when the target has firewalld)"]


def apply(ctx: InstallContext) -> None:
    fw = ctx.plan.security.firewall
    if not chroot.find_tool(ctx.target, "firewall-offline-cmd"):
        if fw.enabled:
            ctx.warn("the target has no firewalld (no firewall-offline-cmd): the installed system will "
                     "have NO firewall; the firewall settings of the plan were not applied")
        else:
            ctx.info("firewall disabled, and the target has no firewalld")
        return
    if not _write_zones(ctx):
        ctx.run(["firewall-offline-cmd", *arguments(ctx)], chroot=True)
    unit = services.unit_name(ctx, "firewalld", chroot.unit_aliases(ctx.target))
    if unit:
        services.systemctl(ctx, "enable" if fw.enabled else "disable", [unit])


def _write_zones(ctx: InstallContext) -> bool:
    """The zone files firewall-offline-cmd would leave; False when the case is left to it."""
    if ctx.dry_run:
        return False
    try:
        edits = firewall_files.plan_zones(ctx.target, ctx.plan.security.firewall)
    except (firewall_files.Unsupported, OSError) as exc:
        ctx.log.info("firewall: %s; using firewall-offline-cmd", exc)
        return False
    zones = chroot.resolve(ctx.target, f"{firewall_files.ETC}/zones")
    if not zones.is_dir():
        zones.mkdir(mode=0o750, parents=True)
    for edit in edits:
        inside = f"{firewall_files.ETC}/zones/{edit.name}.xml"
        current = chroot.resolve(ctx.target, inside)
        if current.is_file():  # firewalld keeps the replaced file as NAME.xml.old
            shutil.copy2(current, current.with_name(current.name + ".old"))
        ctx.write(inside, edit.text(), 0o644)
    ctx.info("firewall: " + " ".join(arguments(ctx)) + " written to "
             + ", ".join(f"{firewall_files.ETC}/zones/{e.name}.xml" for e in edits))
    return True
