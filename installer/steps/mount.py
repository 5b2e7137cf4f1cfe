"""Mount the new filesystems under the target root, then /proc /sys /dev /dev/pts /run (and efivars); swap on."""

from __future__ import annotations

from installer.context import InstallContext, StepError

TITLE = "Mounting the target filesystems"


def describe(ctx: InstallContext) -> list[str]:
    from installer.storage.fstab import mount_order_key

    lines = []
    fstab = getattr(ctx.storage, "fstab", "") or ""
    entries = [line.split() for line in fstab.splitlines() if line.strip() and not line.startswith("#")]
    for spec, mountpoint, fstype, *_ in sorted(entries, key=lambda e: mount_order_key(e[1])):
        if fstype == "swap":
            lines.append(f"swapon {spec}")
        else:
            lines.append(f"mount {spec} ({fstype}) on {ctx.target}{'' if mountpoint == '/' else mountpoint}")
    lines.append(f"mount /proc /sys /dev /dev/pts /run (and efivars on UEFI) under {ctx.target}")
    return lines


def apply(ctx: InstallContext) -> None:
    from installer.storage.apply import mount_target

    if ctx.storage is None or not hasattr(ctx.storage, "blivet"):
        raise StepError("nothing to mount: the storage step did not run")
    try:
        mount_target(ctx.storage, ctx.events)
    except Exception as exc:  # mount errors name the device and mount point
        raise StepError(f"cannot mount the target: {exc}") from None
    ctx.info(f"mounted {', '.join(ctx.storage.mounts)}")
