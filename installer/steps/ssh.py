"""SSH server policy: a drop-in for root login and password authentication, and no
host keys inherited from the payload or the live environment.

Targets that generate host keys at boot (sshd-keygen@.service, Fedora family) get
none; targets that cannot (Debian's ssh.service refuses to start without keys) get
fresh keys made by their own ssh-keygen -A in the chroot, unique to this install, in the
background while the next steps run (the engine waits for it before %post).
"""

from __future__ import annotations

from installer import chroot
from installer.context import InstallContext
from installer.model import sshd

TITLE = "Configuring the SSH server"
DROPIN = "/etc/ssh/sshd_config.d/50-azl-install.conf"
INCLUDE = "Include /etc/ssh/sshd_config.d/*.conf"
KEYGEN_UNITS = ("sshd-keygen@.service", "sshd-keygen.target", "ssh-keygen.service")
KEYS_BEFORE = "post_scripts"  # %post may read the host keys


def root_login(ctx: InstallContext) -> str:
    return sshd.permit_root_login(ctx.plan)


def dropin_text(ctx: InstallContext) -> str:
    password = "yes" if ctx.plan.security.password_authentication else "no"
    return ("# Written by azl-install from the install plan.\n"
            f"PermitRootLogin {root_login(ctx)}\n"
            f"PasswordAuthentication {password}\n")


def describe(ctx: InstallContext) -> list[str]:
    password = "on" if ctx.plan.security.password_authentication else "off"
    lines = [f"write {DROPIN}: PermitRootLogin {root_login(ctx)}, password authentication {password}",
             "remove SSH host keys that came with the payload (the target makes its own)"]
    if not ctx.plan.security.sshd_enabled:
        lines.append("sshd is not started at boot (the policy applies if it is enabled later)")
    return lines


def apply(ctx: InstallContext) -> None:
    if not chroot.exists(ctx.target, "/etc/ssh") and not chroot.find_tool(ctx.target, "sshd"):
        ctx.warn("the target has no SSH server (no /etc/ssh, no sshd): SSH settings not applied")
        return
    ctx.write(DROPIN, dropin_text(ctx), 0o600)
    _ensure_include(ctx)
    keys = sorted(chroot.resolve(ctx.target, "/etc/ssh").glob("ssh_host_*"))
    for key in keys:
        key.unlink()
    if keys:
        ctx.info(f"removed {len(keys)} SSH host key files that came with the payload")
    if any(chroot.unit_file(ctx.target, u) for u in KEYGEN_UNITS):
        ctx.log.info("the target generates its SSH host keys at first boot")
    elif chroot.find_tool(ctx.target, "ssh-keygen"):
        # RSA key generation takes seconds (a dozen under emulation): it runs while the next steps
        # do, and is done before %post, the relabelling and the unmount (KEYS_BEFORE)
        ctx.start(["ssh-keygen", "-A"], chroot=True, until=KEYS_BEFORE)
        ctx.info("generating fresh SSH host keys with the target's ssh-keygen (no first-boot key service), "
                 "alongside the next steps")
    else:
        ctx.warn("the target has neither a host key service nor ssh-keygen: sshd may not start")


def _ensure_include(ctx: InstallContext) -> None:
    """OpenSSH takes the first value it reads: the drop-ins must be included at the top."""
    main = chroot.resolve(ctx.target, "/etc/ssh/sshd_config")
    if not main.exists():
        return
    text = main.read_text(errors="replace")
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].lower() == "include" and "sshd_config.d" in words[1]:
            return
        if words and not words[0].startswith("#") and words[0].lower() != "include":
            break
    mode = main.stat().st_mode & 0o7777
    ctx.write("/etc/ssh/sshd_config", f"{INCLUDE}\n{text}", mode)
