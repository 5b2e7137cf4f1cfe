"""Apply on the real disks (root, in the live environment): create the layout with blivet, mount
it under the target root, write fstab and crypttab."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any, Callable

from installer.model.diagnostics import Diagnostic, PlanError
from installer.model.events import EventSink, Log, Progress, discard
from installer.model.machine import Machine
from installer.model.plan import InstallPlan
from installer.model.product import Product, load_product
from installer.storage import mounts
from installer.storage.backend import Blivet, blivet_callbacks
from installer.storage.boot import boot_loader_disks, spare_esps
from installer.storage.fstab import render_crypttab, render_fstab
from installer.storage.erasure import unconfirmed_losses
from installer.storage.identity import check_identity, check_touched
from installer.storage.plan import STEP, _describe_action, _error, _fstab_entries, _Layout, resolve_disks
from installer.storage.results import MountedTarget, StoragePreview
from installer.storage.teardown import _deactivate, teardown

_FS_FOR_MOUNT = {"efi": "vfat"}


def _blkid_uuid(path: str) -> str:
    proc = subprocess.run(["blkid", "-p", "-s", "UUID", "-o", "value", path], capture_output=True, text=True)
    uuid = proc.stdout.strip()
    if not uuid:
        proc = subprocess.run(["blkid", "-s", "UUID", "-o", "value", path], capture_output=True, text=True)
        uuid = proc.stdout.strip()
    if not uuid:
        raise RuntimeError(f"no UUID found on {path}")
    return uuid


def _root_kernel_args(b: Any, uuid_of: Callable[[Any], str]) -> tuple[list[str], str]:
    root = next(d for d in b.devices if getattr(d.format, "mountpoint", None) == "/")
    args: list[str] = []
    if root.type == "btrfs subvolume":
        args.append(f"rootflags=subvol={root.name}")
    for dev in [root] + list(root.ancestors):
        if dev.type == "luks/dm-crypt":
            args.append(f"rd.luks.uuid=luks-{uuid_of(dev.parents[0])}")
        elif dev.type == "lvmlv":
            args.append(f"rd.lvm.lv={dev.vg.name}/{dev.lvname}")
        elif dev.type == "mdarray" and getattr(dev, "mdadm_format_uuid", None):
            args.append(f"rd.md.uuid={dev.mdadm_format_uuid}")
    seen: list[str] = []
    for a in args:
        if a not in seen:
            seen.append(a)
    return seen, root.path


def _probe_now(product: Product) -> Machine:
    from installer.probe.udev import probe_machine

    return probe_machine(live_label=product.live_label)


def create_storage(plan: InstallPlan, machine: Machine, product: Product | None = None,
                   target_root: str = "/mnt/sysroot", events: EventSink = discard,
                   current: Machine | None = None, expected: StoragePreview | None = None) -> MountedTarget:
    """Create the layout on the real disks (root): one Progress event per blivet action. Nothing is mounted.

    `machine` is what the plan was made and confirmed for; `current` is this machine now (probed
    here when not given): every chosen disk must still match by serial, WWN and size. `expected`
    is the preview of this plan on `machine` (what was shown as erased): the real actions may not
    destroy more (a partition %pre made, a disk that was blank at the probe)."""
    product = product or load_product(plan.product)
    chosen, diags = resolve_disks(plan, machine)
    if diags:
        raise PlanError(diags)
    if current is None:
        current = _probe_now(product)
    check_identity(chosen, current)
    clock = time.monotonic()
    seconds: dict[str, float] = {}
    mounts.unmount_all(target_root)
    b = Blivet()
    b.exclusive_disks = [d.name for d in chosen]
    b.ignored_disks = sorted({d.name for m in (machine, current) for d in m.disks if d.is_live_medium})
    b.reset()
    seconds["reset"] = time.monotonic() - clock
    disks = {}
    for d in chosen:
        dev = b.devicetree.get_device_by_name(d.name)
        if dev is None:
            raise _error(f"disk {d.name} is not visible to blivet", None)
        disks[d.name] = dev
    clock = time.monotonic()
    layout = _Layout(b, plan, machine, product, disks, for_apply=True)
    layout.schedule()
    b.devicetree.actions.prune()
    check_touched({disk.name for a in b.devicetree.actions.find() for disk in a.device.disks}, chosen, current)
    if expected is not None:
        problems = unconfirmed_losses({e.disk for e in expected.erasures}, set(expected.destroyed_keys),
                                      list(b.devicetree.actions.find()), machine, lambda dev: dev.name)
        if problems:
            raise PlanError([Diagnostic("the disks hold more than the plan showed as erased (changed since the "
                                        "probe?); nothing was changed: " + "; ".join(problems), None,
                                        field="disks")])
    total = len(b.devicetree.actions.find())
    seconds["plan"] = time.monotonic() - clock
    done: list[str] = []

    # described before execution, as the preview describes them (sizes settle once devices exist)
    planned = {id(a): _describe_action(a) for a in b.devicetree.actions.find()}

    def executed(action: Any, **_kw: Any) -> None:
        text = planned.get(id(action)) or _describe_action(action)
        done.append(text)
        events(Progress(step=STEP, done=len(done), total=total, unit="actions", item=text))

    blivet_callbacks.action_executed.add(executed)
    try:
        events(Progress(step=STEP, done=0, total=total, unit="actions", item="start"))
        spares = spare_esps(b.devices)
        clock = time.monotonic()
        b.do_it()
        seconds["execute"] = time.monotonic() - clock
        uuids: dict[int, str] = {}

        def uuid_of(dev: Any) -> str:
            if dev.id not in uuids:
                uuids[dev.id] = _blkid_uuid(dev.path)
            return uuids[dev.id]

        fstab, crypttab = _fstab_entries(b, uuid_of, mirrored_esp=bool(spares))
        kernel_args, root_path = _root_kernel_args(b, uuid_of)
        return MountedTarget(root=target_root, mounts=[], api_mounts=[], swaps=[], fstab=render_fstab(fstab),
                             crypttab=render_crypttab(crypttab), actions=done, kernel_args=kernel_args,
                             root_device=root_path,
                             boot_disks=[d.path for d in boot_loader_disks(b.devices, layout.planned_boot)],
                             spare_esps=[p.path for p in spares], seconds=seconds, blivet=b,
                             disks=sorted(disks))
    except BaseException:
        _deactivate(b, set(disks))
        raise
    finally:
        blivet_callbacks.action_executed.remove(executed)


def mount_target(target: MountedTarget, events: EventSink = discard) -> MountedTarget:
    """Mount the created filesystems under target.root in mountpoint order, API filesystems, swap on."""
    clock = time.monotonic()
    b = target.blivet
    try:
        specs = []
        for dev in b.devices:
            fmt = dev.format
            mp = getattr(fmt, "mountpoint", None)
            if fmt.type == "swap":
                dev.setup()
                mounts.swapon(dev.path)
                target.swaps.append(dev.path)
            elif mp and fmt.type:
                dev.setup()
                options = getattr(fmt, "mountopts", "") or "defaults"
                fstype = _FS_FOR_MOUNT.get(fmt.type, fmt.type)
                path = dev.volume.path if dev.type == "btrfs subvolume" else dev.path
                if dev.type == "btrfs subvolume" and "subvol=" not in options:
                    options = f"subvol={dev.name}" + ("" if options == "defaults" else "," + options)
                specs.append(mounts.MountSpec(path, mp, fstype, options))
        target.mounts = mounts.mount_filesystems(specs, target.root)
        target.api_mounts = mounts.mount_api_filesystems(target.root)
    except BaseException:
        try:
            teardown(target)
        except Exception:  # noqa: BLE001 - the first error is the one to report
            pass
        raise
    target.seconds["mount"] = time.monotonic() - clock
    events(Log(step="mount", message=f"mounted {len(target.mounts)} filesystems under {target.root}"))
    return target


def apply_storage(plan: InstallPlan, machine: Machine, product: Product | None = None,
                  target_root: str = "/mnt/sysroot", events: EventSink = discard) -> MountedTarget:
    """Create the layout on the real disks (root), mount it under target_root, turn swap on."""
    return mount_target(create_storage(plan, machine, product, target_root, events), events)


def write_fstab(target: MountedTarget) -> None:
    """/etc/fstab (by UUID) and /etc/crypttab into the target."""
    etc = os.path.join(target.root, "etc")
    os.makedirs(etc, exist_ok=True)
    with open(os.path.join(etc, "fstab"), "w") as fh:
        fh.write(target.fstab)
    crypttab = os.path.join(etc, "crypttab")
    if target.crypttab:
        with open(crypttab, "w") as fh:
            fh.write(target.crypttab)
        os.chmod(crypttab, 0o600)
