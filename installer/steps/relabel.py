"""Relabel the whole target with its own file contexts (setfiles in the chroot).

Without setfiles or a file_contexts file, /.autorelabel asks the installed system
to relabel itself on first boot, and the log says so.
"""

from __future__ import annotations

from installer import chroot, installlog
from installer.context import InstallContext

TITLE = "Setting SELinux file labels"
EXCLUDE = ("/proc", "/sys", "/dev", "/run", "/tmp", "/boot/efi", "/var/lib/nfs/rpc_pipefs")


def applies(ctx: InstallContext) -> bool:
    return ctx.plan.security.selinux != "disabled"


def file_contexts(ctx: InstallContext) -> str:
    return f"/etc/selinux/{ctx.plan.security.selinux_type}/contexts/files/file_contexts"


def describe(ctx: InstallContext) -> list[str]:
    return [f"relabel the target with the target's setfiles and {file_contexts(ctx)} "
            "(or create /.autorelabel when those are missing)"]


def apply(ctx: InstallContext) -> None:
    contexts = file_contexts(ctx)
    setfiles = chroot.find_tool(ctx.target, "setfiles")
    if setfiles and chroot.exists(ctx.target, contexts):
        cmd = ["setfiles", "-F"]
        for path in EXCLUDE:
            if chroot.resolve(ctx.target, path).is_dir():
                cmd += ["-e", path]
        proc = ctx.run([*cmd, contexts, "/"], chroot=True, check=False)
        if proc.returncode:
            ctx.warn(f"setfiles exited with status {proc.returncode} (details in the log); "
                     "asking for a relabel at first boot as well")
            ctx.write("/.autorelabel", "", 0o644)
        else:
            ctx.info("relabelled the target with its own file contexts")
        _refresh_logs(ctx)
        return
    what = "setfiles" if not setfiles else contexts
    ctx.warn(f"the target has no {what}: created /.autorelabel so it relabels itself at first boot")
    ctx.write("/.autorelabel", "", 0o644)
    _refresh_logs(ctx)


def _refresh_logs(ctx: InstallContext) -> None:
    """Bring the copied logs up to date; rewriting in place keeps their new labels."""
    try:
        installlog.copy_to_target(ctx.log_dir, ctx.target)
    except OSError as exc:
        ctx.log.warning("could not refresh the logs in the target: %s", exc)
