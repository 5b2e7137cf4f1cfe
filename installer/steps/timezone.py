"""Time: /etc/localtime, /etc/adjtime (UTC or local hardware clock), and the NTP
servers and pools in chrony's configuration. `timezone --nontp` turns chronyd off
(the services step applies that)."""

from __future__ import annotations

import re

from installer import chroot
from installer.context import InstallContext, StepError

TITLE = "Setting the time zone and time sources"
CHRONY_CONFS = ("/etc/chrony.conf", "/etc/chrony/chrony.conf")
ZONE = re.compile(r"^[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*$")


def chrony_conf(ctx: InstallContext) -> str | None:
    return next((c for c in CHRONY_CONFS if chroot.exists(ctx.target, c)), None)


def chrony_text(existing: str, servers: list[str], pools: list[str], nts: list[str] = ()) -> str:
    """Comment out the distribution's sources and add ours at the top (`nts`: those used with NTS)."""
    ours = ["# Time sources chosen at install time (azl-install)."]
    ours += [f"server {s} iburst{' nts' if s in nts else ''}" for s in servers]
    ours += [f"pool {p} iburst{' nts' if p in nts else ''}" for p in pools]
    out = []
    for line in existing.splitlines():
        words = line.split()
        if words and words[0] in ("server", "pool", "peer"):
            out.append("#" + line)
        elif line.startswith("# Time sources chosen at install time"):
            continue
        else:
            out.append(line)
    return "\n".join(ours + [""] + out) + "\n"


def describe(ctx: InstallContext) -> list[str]:
    s = ctx.plan.system
    out = [f"set the time zone to {s.timezone}, hardware clock in {'UTC' if s.utc else 'local time'}"]
    if s.ntp_servers or s.ntp_pools:
        out.append("time sources: " + ", ".join(f"{x} (NTS)" if x in s.ntp_nts else x
                                                for x in s.ntp_servers + s.ntp_pools))
    if s.nontp:
        out.append("no network time (chronyd disabled)")
    return out


def apply(ctx: InstallContext) -> None:
    s = ctx.plan.system
    if not ZONE.match(s.timezone) or ".." in s.timezone:
        raise StepError(f"timezone {s.timezone!r} is not a time zone name")
    zone_file = f"/usr/share/zoneinfo/{s.timezone}"
    if not chroot.exists(ctx.target, zone_file):
        ctx.warn(f"the target has no {zone_file} (tzdata missing?): /etc/localtime will point to a missing file")
    if not ctx.dry_run:
        link = ctx.path("/etc/localtime")
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(f"../usr/share/zoneinfo/{s.timezone}")
        ctx.log.info("linked /etc/localtime to %s", zone_file)
    if chroot.family(ctx.target) == "debian" or chroot.exists(ctx.target, "/etc/timezone"):
        ctx.write("/etc/timezone", s.timezone + "\n", 0o644)
    ctx.write("/etc/adjtime", f"0.0 0 0.0\n0\n{'UTC' if s.utc else 'LOCAL'}\n", 0o644)
    if s.ntp_servers or s.ntp_pools:
        conf = chrony_conf(ctx)
        if conf is None:
            ctx.warn("the target has no chrony configuration: the NTP servers were not written")
        else:
            existing = chroot.resolve(ctx.target, conf).read_text(errors="replace")
            ctx.write(conf, chrony_text(existing, s.ntp_servers, s.ntp_pools, s.ntp_nts), 0o644)
