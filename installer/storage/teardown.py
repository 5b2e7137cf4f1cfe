"""Tear the target down after an install or a failure: unmount deepest first, swap off, then let
blivet close LVM, LUKS and RAID (through the Blivet the apply phase kept; no blivet import here)."""

from __future__ import annotations

import os
from typing import Any

from installer.storage import mounts
from installer.storage.results import MountedTarget


def _deactivate(b: Any) -> None:
    try:
        b.devicetree.teardown_all()
    except Exception:  # noqa: BLE001 - best effort while failing
        pass


def teardown(target: MountedTarget) -> None:
    """Unmount the target in reverse, swap off, deactivate VGs, close LUKS, stop md arrays."""
    errors: list[str] = []
    for swap in reversed(target.swaps):
        if swap in mounts.active_swaps() or os.path.realpath(swap) in mounts.active_swaps():
            try:
                mounts.swapoff(swap)
            except mounts.MountError as exc:
                errors.append(str(exc))
    try:
        mounts.unmount_all(target.root)
    except mounts.MountError as exc:
        errors.append(str(exc))
    if target.blivet is not None:
        try:
            target.blivet.devicetree.teardown_all()
        except Exception as exc:  # noqa: BLE001
            errors.append(f"teardown: {exc}")
    target.mounts, target.api_mounts, target.swaps = [], [], []
    if errors:
        raise RuntimeError("; ".join(errors))


def unmount_all(target_root: str) -> list[str]:
    return mounts.unmount_all(target_root)
