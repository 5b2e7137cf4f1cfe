"""Tear the target down after an install or a failure: unmount deepest first, swap off, then let
blivet close LVM, LUKS and RAID (through the Blivet the apply phase kept; no blivet import here).

Only what lies on the chosen disks is torn down. blivet's own teardown_all also unmounts every
other device it knows, and exclusive_disks hides disks only: the live medium's CD-ROM (mounted
at /run/initramfs/live, busy under the running system) stays in its tree."""

from __future__ import annotations

import logging
import os
from typing import Any

from installer.storage import mounts
from installer.storage.results import MountedTarget

_fallback = logging.getLogger(__name__)


def on_chosen_disks(device: Any, disks: set[str]) -> bool:
    names = {d.name for d in getattr(device, "disks", None) or []}
    return bool(names) and names <= disks


def _deactivate(b: Any, disks: set[str], log: logging.Logger | None = None) -> None:
    """Close what blivet opened on `disks` (LVs, LUKS, md); problems are logged, not raised."""
    for device in list(b.devicetree.leaves):
        if getattr(device, "protected", False) or not on_chosen_disks(device, disks):
            continue
        try:
            device.teardown(recursive=True)
        except Exception as exc:  # noqa: BLE001 - best effort, like blivet's own teardown_all
            (log or _fallback).warning("teardown of %s: %s", device.name, exc)


def teardown(target: MountedTarget, log: logging.Logger | None = None) -> None:
    """Unmount the target in reverse, swap off, deactivate VGs, close LUKS, stop md arrays.
    Problems closing devices go to `log` (the install log), never to the console."""
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
        _deactivate(target.blivet, set(target.disks), log)
    target.mounts, target.api_mounts, target.swaps = [], [], []
    if errors:
        raise RuntimeError("; ".join(errors))


def unmount_all(target_root: str) -> list[str]:
    return mounts.unmount_all(target_root)
