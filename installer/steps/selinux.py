"""SELinux mode and policy type in /etc/selinux/config.

`selinux --disabled` on a Fedora-family target also puts selinux=0 on the kernel
command line: since Fedora 35 (and so Azure Linux) SELINUX=disabled in the config
file no longer stops the kernel from initialising SELinux. Debian-family kernels
start SELinux only when asked (security=selinux), so the config file is enough.
"""

from __future__ import annotations

import re

from installer import chroot
from installer.context import InstallContext

TITLE = "Configuring SELinux"
CONFIG = "/etc/selinux/config"


def kernel_args(ctx: InstallContext) -> list[str]:
    if ctx.plan.security.selinux == "disabled" and chroot.family(ctx.target) == "fedora":
        return ["selinux=0"]
    return []


def config_text(existing: str, mode: str, policy: str) -> str:
    values = {"SELINUX": mode, "SELINUXTYPE": policy}
    out, seen = [], set()
    for line in existing.splitlines():
        m = re.match(r"\s*(SELINUX|SELINUXTYPE)\s*=", line)
        if m:
            key = m.group(1)
            if key in seen:
                continue
            seen.add(key)
            out.append(f"{key}={values[key]}")
        else:
            out.append(line)
    if not existing.strip():
        out.append("# Written by azl-install. enforcing, permissive or disabled; the policy type.")
    for key in ("SELINUX", "SELINUXTYPE"):
        if key not in seen:
            out.append(f"{key}={values[key]}")
    return "\n".join(out) + "\n"


def describe(ctx: InstallContext) -> list[str]:
    sec = ctx.plan.security
    out = [f"set SELINUX={sec.selinux}, SELINUXTYPE={sec.selinux_type} in {CONFIG}"]
    if sec.selinux == "disabled":
        out.append("on a Fedora-family target, also add selinux=0 to the kernel command line")
    return out


def apply(ctx: InstallContext) -> None:
    sec = ctx.plan.security
    path = chroot.resolve(ctx.target, CONFIG)
    existing = path.read_text(errors="replace") if path.exists() else ""
    ctx.write(CONFIG, config_text(existing, sec.selinux, sec.selinux_type), 0o644)
    for arg in kernel_args(ctx):
        if arg not in ctx.kernel_args:
            ctx.kernel_args.append(arg)
    if sec.selinux != "disabled" and not chroot.resolve(ctx.target, f"/etc/selinux/{sec.selinux_type}").is_dir():
        ctx.warn(f"the target has no SELinux policy '{sec.selinux_type}' (/etc/selinux/{sec.selinux_type}): "
                 f"SELINUX={sec.selinux} takes effect only once a policy is installed")
