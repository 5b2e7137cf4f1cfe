"""The preview: blivet plans on sparse files shaped like the Machine's disks (no root, no disk
touched) and says what apply would do: actions, device tree, fstab and crypttab."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from typing import Any

from installer.model.diagnostics import Diagnostic, PlanError
from installer.model.machine import Disk, Machine, human_size
from installer.model.plan import InstallPlan
from installer.model.product import Product, load_product
from installer.storage.backend import (Blivet, DiskFile, PartitionDevice, get_format, host_tools_not_required,
                                       image_files_not_udev)
from installer.storage.boot import boot_loader_disks, spare_esps
from installer.storage.erasure import destroyed_key, destroys_existing, erasures
from installer.storage.fstab import render_crypttab, render_fstab
from installer.storage.plan import _BLKID_TO_BLIVET, _ESP_GUID, _describe_action, _fstab_entries, _Layout, resolve_disks
from installer.storage.results import StoragePreview


def _sfdisk_script(disk: Disk, path: str) -> str:
    sector = 512
    sep = "p" if path[-1].isdigit() else ""
    lines = ["label: " + ("dos" if disk.ptable in ("dos", "msdos") else "gpt")]
    for p in sorted(disk.partitions, key=lambda p: p.number):
        ptype = p.parttype or ("83" if disk.ptable in ("dos", "msdos") else "0fc63daf-8483-4772-8e79-3d69d8477de4")
        if ptype.lower().startswith("0x"):
            ptype = ptype[2:]
        lines.append(f"{path}{sep}{p.number}: start={p.start // sector}, size={p.size // sector}, type={ptype}")
    return "\n".join(lines) + "\n"


class PreviewUnavailable(PlanError):
    """The preview cannot model this machine here (e.g. no filesystem for its largest disk's image)."""

    def __init__(self, message: str):
        super().__init__([Diagnostic(message, None, field="machine")])


def _image_dir(disks: list[Disk]) -> str:
    """A temporary directory whose filesystem holds sparse files as large as the largest of `disks`.

    ext4 caps files at 16 TiB; tmpfs does not. Directories under /dev are unusable: blivet derives
    partition names from paths and strips a leading /dev/."""
    largest = max((d.size for d in disks), default=0)
    candidates = [None, os.environ.get("XDG_RUNTIME_DIR"), f"/run/user/{os.getuid()}", "/var/tmp"]
    for base in candidates:
        if base is not None and not os.path.isdir(base):
            continue
        directory = tempfile.mkdtemp(prefix="azl-preview-", dir=base)
        probe = os.path.join(directory, ".probe")
        try:
            with open(probe, "wb") as fh:
                fh.truncate(largest)
            os.unlink(probe)
            return directory
        except OSError:
            shutil.rmtree(directory, ignore_errors=True)
    raise PreviewUnavailable(f"no temporary filesystem here can hold a sparse image of {human_size(largest)} "
                             "(set TMPDIR to a tmpfs, xfs or btrfs directory)")


def _image_path(directory: str, disk: Disk) -> str:
    return os.path.join(directory, disk.name.replace("/", "!"))


_SFDISK_AT_ONCE = 16  # sfdisk runs overlapping, each holding a pipe open


def _make_sparse_disks(directory: str, disks: list[Disk]) -> dict[str, str]:
    """A sparse image per disk, with its partition table (if any) written by sfdisk; the sfdisk runs overlap."""
    paths: dict[str, str] = {}
    running: list[tuple[Disk, subprocess.Popen[str]]] = []

    def finish(disk: Disk, proc: subprocess.Popen[str]) -> None:
        with proc.stderr:
            err = proc.stderr.read()
        if proc.wait() != 0:
            what = "recreate the partitions of" if disk.partitions else "write a partition table on"
            raise RuntimeError(f"sfdisk could not {what} {disk.name}: {err.strip()}")

    try:
        for disk in disks:
            path = paths[disk.name] = _image_path(directory, disk)
            with open(path, "wb") as fh:
                fh.truncate(disk.size)
            if not disk.ptable:
                continue
            if len(running) >= _SFDISK_AT_ONCE:
                finish(*running.pop(0))
            argv = ["sfdisk", "--no-reread", "--no-tell-kernel", "-q", path] if disk.partitions \
                else ["sfdisk", "-q", path]
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                    text=True)
            running.append((disk, proc))
            try:
                with proc.stdin:  # a script of a few hundred bytes: the pipe takes it without blocking
                    proc.stdin.write(_sfdisk_script(disk, path))
            except BrokenPipeError:
                pass  # sfdisk stopped early: finish() reports what it said
        while running:
            finish(*running.pop(0))
    finally:
        for _, proc in running:
            proc.kill()
            proc.wait()
            proc.stderr.close()
    return paths


def _existing_format(p: Any, machine_part: Any, path: str) -> Any:
    kind = _BLKID_TO_BLIVET.get(machine_part.fstype or "")
    if kind == "vfat" and (machine_part.parttype or "").lower() == _ESP_GUID:
        kind = "efi"
    kwargs: dict[str, Any] = {"device": path, "exists": True}
    if machine_part.uuid:
        kwargs["uuid"] = machine_part.uuid
    if machine_part.label and kind not in (None, "lvmpv", "mdmember", "luks", "swap"):
        kwargs["label"] = machine_part.label
    return get_format(kind, **kwargs)


def _populate_from_files(b: Any, machine: Machine, disks: list[Disk], directory: str) -> dict[str, Any]:
    """DiskFile devices shaped like the machine's disks; existing partitions recreated with sfdisk."""
    devices: dict[str, Any] = {}
    paths = _make_sparse_disks(directory, disks)
    for disk in disks:
        dev = DiskFile(paths[disk.name])
        b.devicetree._add_device(dev)  # public in practice: blivet's own tests add DiskFiles this way (3.7-3.14)
        if disk.ptable:
            dev.format = get_format("disklabel", device=dev.path, exists=True)
            by_number = {p.number: p for p in disk.partitions}
            for pp in dev.format.partitions:
                if pp.number < 1 or not pp.path:
                    continue
                part = PartitionDevice(os.path.basename(pp.path), exists=True, parents=[dev])
                recorded = by_number.get(pp.number)
                if recorded is not None:
                    part.format = _existing_format(part, recorded, part.path)
                b.devicetree._add_device(part)
        elif disk.fstype:
            dev.format = get_format(_BLKID_TO_BLIVET.get(disk.fstype), device=dev.path, exists=True)
        devices[disk.name] = dev
    return devices


def _describe_device(dev: Any, devroot: str, reused: dict[int, str] | None = None) -> str:
    kinds = {"disk": "disk", "partition": "partition", "luks/dm-crypt": "LUKS", "lvmvg": "LVM VG",
             "lvmlv": "LVM LV", "mdarray": "RAID", "btrfs volume": "btrfs volume",
             "btrfs subvolume": "btrfs subvolume"}
    kind = kinds.get(dev.type, dev.type)
    text = f"{dev.name} ({kind}"
    if dev.type == "mdarray":
        text += f" {dev.level}"
    if dev.type not in ("btrfs subvolume",):
        text += f", {dev.size.human_readable()}" if hasattr(dev.size, "human_readable") else f", {dev.size}"
    text += ")"
    fmt = dev.format
    if fmt.type:
        name = fmt.type
        if fmt.type == "disklabel":
            name = fmt.label_type
        elif fmt.type == "luks":
            name = getattr(fmt, "luks_version", None) or "luks"
        text += f" {name}"
        if getattr(fmt, "mountpoint", None):
            text += f" {fmt.mountpoint}"
        if not fmt.exists and fmt.type != "disklabel":
            text += " [new]"
        elif fmt.exists and not dev.exists:
            pass
    how = (reused or {}).get(id(dev))
    if how == "kept":
        text += " [reused: kept as it is, data kept (--noformat)]"
    elif how == "reformatted":
        text += " [reused: REFORMATTED, its data is erased]"
    elif dev.exists and dev.type == "partition":
        text += " [kept]"
    return text


def _tree(b: Any, disks: dict[str, Any], devroot: str, reused: dict[int, str] | None = None) -> list[dict[str, Any]]:
    described: dict[int, str] = {}  # a VG over many PVs appears under each: its size is costly to recompute

    def node(dev: Any) -> dict[str, Any]:
        if dev.id in described:
            return {"name": dev.name, "type": dev.type, "text": described[dev.id] + " (see above)"}
        text = described[dev.id] = _describe_device(dev, devroot, reused)
        entry: dict[str, Any] = {"name": dev.name, "type": dev.type, "text": text}
        kids = sorted(dev.children, key=lambda c: (getattr(c, "parted_partition", None) and
                                                     c.parted_partition.geometry.start) or 0)
        entry["children"] = [node(c) for c in kids]
        return entry

    return [node(d) for d in disks.values()]


def _changed_disks(actions: list[Any]) -> list[str]:
    names: set[str] = set()
    for a in actions:
        for disk in a.device.disks:
            names.add(disk.name)
    return sorted(names)


_PREVIEW_LOCK = threading.Lock()  # the shims above patch blivet for the process: one preview at a time


def preview_storage(plan: InstallPlan, machine: Machine, product: Product | None = None) -> StoragePreview:
    """The actions, device tree and fstab/crypttab apply would produce, computed by blivet on sparse files."""
    started = time.monotonic()
    product = product or load_product(plan.product)
    chosen, diags = resolve_disks(plan, machine)
    if diags:
        raise PlanError(diags)
    directory = _image_dir(chosen)
    try:
        with _PREVIEW_LOCK, image_files_not_udev():
            b = Blivet()
            disks = _populate_from_files(b, machine, chosen, directory)
            with host_tools_not_required():
                layout = _Layout(b, plan, machine, product, disks, for_apply=False)
                layout.schedule()
            # the order ActionList.process() executes in (prune + sort; process itself needs device-mapper)
            b.devicetree.actions.prune()
            b.devicetree.actions.sort()
            actions = list(b.devicetree.actions.find())
            fstab, crypttab = _fstab_entries(b, lambda dev: f"<{_describe_new(dev)}>")
            names = {id(dev): name for name, dev in disks.items()}
            return StoragePreview(
                actions=[_describe_action(a) for a in actions],
                tree=_tree(b, disks, directory, layout.reused),
                reused=_reused_lines(layout.reused, b),
                fstab=render_fstab(fstab),
                crypttab=render_crypttab(crypttab),
                changed_disks=_changed_disks(actions),
                seconds=time.monotonic() - started,
                boot_disks=[_machine_path(machine, disks, d)
                            for d in boot_loader_disks(b.devices, layout.planned_boot)],
                spare_esps=[_machine_path(machine, disks, p) for p in spare_esps(b.devices)],
                erasures=erasures(actions, machine, lambda dev: names.get(id(dev), dev.name), _describe_action),
                destroyed_keys=[destroyed_key(a) for a in actions
                                if destroys_existing(a, machine.disk(names[id(a.device)]) if id(a.device) in names
                                                     else None)],
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _reused_lines(reused: dict[int, str], b: Any) -> list[str]:
    """One line per partition of part --onpart: what happens to what is on it."""
    lines = []
    for dev in b.devices:
        how = reused.get(id(dev))
        if how is None:
            continue
        fmt = dev.format
        where = getattr(fmt, "mountpoint", None) or fmt.type
        if how == "kept":
            lines.append(f"{dev.name}: kept as it is ({fmt.type}, data kept) for {where}")
        else:
            lines.append(f"{dev.name}: reformatted as {fmt.type} for {where} (what is on it now is erased)")
    return lines


def _machine_path(machine: Machine, disks: dict[str, Any], dev: Any) -> str:
    """The /dev path on the machine of a preview's disk image or of a partition on it."""
    for name, disk in disks.items():
        if dev is disk:
            return machine.disk(name).path if machine.disk(name) else f"/dev/{name}"
    return f"/dev/{dev.name}"


def _describe_new(dev: Any) -> str:
    return dev.format.uuid if dev.format.exists and dev.format.uuid else f"new:{dev.name}"
