"""/etc/fstab (by UUID) and /etc/crypttab (luks-UUID UUID=... none) in the target."""

from __future__ import annotations

from installer.context import InstallContext, StepError

TITLE = "Writing /etc/fstab and /etc/crypttab"


def describe(ctx: InstallContext) -> list[str]:
    fstab = getattr(ctx.storage, "fstab", "") or ""
    crypttab = getattr(ctx.storage, "crypttab", "") or ""
    lines = ["/etc/fstab:"] + [f"  {line}" for line in fstab.splitlines() if not line.startswith("#")]
    if crypttab:
        lines += ["/etc/crypttab:"] + [f"  {line}" for line in crypttab.splitlines() if not line.startswith("#")]
    return lines


def apply(ctx: InstallContext) -> None:
    target = ctx.storage
    if target is None or not getattr(target, "fstab", ""):
        raise StepError("no filesystems to write into /etc/fstab: the storage step did not run")
    ctx.write("/etc/fstab", target.fstab, mode=0o644)
    if target.crypttab:
        ctx.write("/etc/crypttab", target.crypttab, mode=0o600)
