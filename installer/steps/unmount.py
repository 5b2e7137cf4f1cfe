"""Unmount the target (deepest first), swap off, close LVM/LUKS/RAID: teardown."""

from __future__ import annotations

from installer.context import InstallContext, StepError

TITLE = "Unmounting the target"


def describe(ctx: InstallContext) -> list[str]:
    return [f"unmount everything under {ctx.target}, swap off, deactivate LVM, close LUKS"]


def apply(ctx: InstallContext) -> None:
    for handler in ctx.log.handlers:
        handler.flush()
    if ctx.storage is not None and hasattr(ctx.storage, "blivet"):
        from installer.storage.teardown import teardown

        try:
            teardown(ctx.storage, ctx.log)
        except Exception as exc:
            raise StepError(f"could not take the target down cleanly: {exc}") from None
        return
    from installer.storage import mounts

    try:
        mounts.unmount_all(str(ctx.target))
    except Exception as exc:
        raise StepError(f"could not unmount {ctx.target}: {exc}") from None
