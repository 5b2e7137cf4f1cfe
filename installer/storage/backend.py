"""The one module of the installer that imports blivet: the names the other storage modules use,
and the shims that keep a preview (planning for another machine) off the host's devices."""

from __future__ import annotations

import contextlib
import importlib
from typing import Any, Callable

import blivet
from blivet import deviceaction
from blivet import udev as blivet_udev
from blivet.callbacks import callbacks as blivet_callbacks
from blivet.devices import DiskFile, LUKSDevice, PartitionDevice
from blivet.errors import StorageError
from blivet.formats import get_format
from blivet.formats.luks import LUKS2PBKDFArgs
from blivet.partitioning import do_partitioning, grow_lvm
from blivet.size import Size
from blivet.static_data import lvs_info

Blivet = blivet.Blivet

__all__ = ["Blivet", "DiskFile", "LUKSDevice", "LUKS2PBKDFArgs", "PartitionDevice", "Size", "StorageError",
           "blivet_callbacks", "do_partitioning", "get_format", "grow_lvm", "host_tools_not_required",
           "image_files_not_udev"]


def _no_udev_settle(quiet: bool = False) -> None:
    return None


def _capture_output_without_lsblk(original: Callable[..., str]) -> Callable[..., str]:
    def capture_output(argv: list[str], *args: Any, **kwargs: Any) -> str:
        if argv and argv[0] == "lsblk":
            raise OSError("the host's lsblk says nothing about the machine being planned")
        return original(argv, *args, **kwargs)
    return capture_output


@contextlib.contextmanager
def host_tools_not_required() -> Any:
    """Shim keeping the host out of a preview, which plans for another machine (blivet 3.7-3.14):

    - blivet checks the host's tools when an action is created
      (DeviceAction._check_device_dependencies); the target's live environment has them, the host
      running the preview may not (a container has no btrfs module): the check is skipped;
    - blivet's device names include the host's LVs (static_data.lvs_info, from `lvs`, which also
      needs root): the preview sees an empty LV list, and blivet reads LVM afresh afterwards.
      Blivet() drops that list: enter this after creating it.
    apply uses neither."""
    cls = deviceaction.DeviceAction
    original = cls.__dict__.get("_check_device_dependencies")
    if original is not None:
        cls._check_device_dependencies = lambda self: None
    saved_lvs = getattr(lvs_info, "_lvs_cache", None)
    lvs_info._lvs_cache = {}
    try:
        yield
    finally:
        if original is not None:
            cls._check_device_dependencies = original
        lvs_info._lvs_cache = saved_lvs


@contextlib.contextmanager
def image_files_not_udev() -> Any:
    """Shim sparing a preview on image files the host's block-device bookkeeping (blivet 3.7-3.14):

    - blivet waits for udev (`udevadm settle`: a process each time, a 1 s sleep in a chroot) whenever
      it reads or makes a partition table; udev never sees image files: blivet.udev.settle does nothing;
    - Blivet() logs the host's `lsblk`, which says nothing about the machine planned for: that call
      (blivet.blivet.capture_output) fails, which Blivet() tolerates.
    apply uses neither."""
    original_settle = blivet_udev.settle
    blivet_udev.settle = _no_udev_settle
    blivet_module = importlib.import_module("blivet.blivet")
    original_capture = blivet_module.capture_output
    blivet_module.capture_output = _capture_output_without_lsblk(original_capture)
    try:
        yield
    finally:
        blivet_udev.settle = original_settle
        blivet_module.capture_output = original_capture
