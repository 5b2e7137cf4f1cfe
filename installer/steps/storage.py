"""Partitions, LUKS, RAID, LVM, btrfs and filesystems on the selected disks (blivet, via installer.storage)."""

from __future__ import annotations

from installer.context import InstallContext, StepError
from installer.model.diagnostics import PlanError

TITLE = "Creating partitions and filesystems"


def describe(ctx: InstallContext) -> list[str]:
    from installer.storage.preview import preview_storage

    try:
        preview = preview_storage(ctx.plan, ctx.machine, ctx.product)
    except PlanError as exc:
        raise StepError(str(exc)) from None
    ctx.storage = preview
    return list(preview.actions)


def apply(ctx: InstallContext) -> None:
    from installer.storage.apply import create_storage
    from installer.storage.preview import preview_storage

    try:
        # what was shown as erased (TUI summary, countdown, install's list): apply may not destroy more
        expected = preview_storage(ctx.plan, ctx.machine, ctx.product)
        target = create_storage(ctx.plan, ctx.machine, ctx.product, str(ctx.target), ctx.events, expected=expected)
    except PlanError as exc:
        raise StepError(str(exc)) from None
    ctx.storage = target
    ctx.root_device = target.root_device
    ctx.boot_disks = list(target.boot_disks)
    for arg in target.kernel_args:
        if arg not in ctx.kernel_args:
            ctx.kernel_args.append(arg)
    ctx.info(f"storage: {len(target.actions)} actions done")
