"""The plan's storage section mapped onto blivet devices (`_Layout`), for a preview on sparse files
and for apply on real disks alike, so the preview lists the very actions apply executes."""

from __future__ import annotations

from typing import Any, Callable

from installer.model.diagnostics import Diagnostic, PlanError
from installer.model.machine import Disk, Machine, human_size
from installer.model.plan import Encryption, InstallPlan, Origin
from installer.model.product import Product
from installer.storage.backend import (LUKS2PBKDFArgs, LUKSDevice, PartitionDevice, Size, StorageError,
                                       do_partitioning, get_format, grow_lvm)
from installer.storage.boot import (boot_device, boot_mirror_members, boot_mirrors, has_platform_partition,
                                    is_platform_request, mirror_disks, platform_format, spare_esps)
from installer.storage.erasure import destroys_existing
from installer.storage.fstab import CrypttabEntry, FstabEntry, fstab_entry
from installer.storage.layout import (LayoutRequest, autopart_requests, boot_request, minimum_mib, platform_requests,
                                      recommended_swap_mib)

STEP = "storage"
MiB = 1024**2

# blkid names (as in Machine profiles) -> blivet format names
_BLKID_TO_BLIVET = {
    "crypto_LUKS": "luks", "LVM2_member": "lvmpv", "linux_raid_member": "mdmember",
    "swap": "swap", "vfat": "vfat", "ext2": "ext2", "ext3": "ext3", "ext4": "ext4", "xfs": "xfs",
    "btrfs": "btrfs", "ntfs": "ntfs", "iso9660": "iso9660",
}
_ESP_GUID = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
_LINUX_FORMATS = {"ext2", "ext3", "ext4", "xfs", "btrfs", "swap", "lvmpv", "mdmember", "luks", "biosboot"}


# ---------------------------------------------------------------- helpers

def _error(message: str, origin: Origin | None, fld: str = "storage") -> PlanError:
    return PlanError([Diagnostic(message, origin, field=fld)])


def _luks_args(enc: Encryption | None, product: Product, for_apply: bool, origin: Origin | None) -> dict[str, Any]:
    enc = enc or Encryption()
    if for_apply and not enc.passphrase:
        raise _error("encryption needs a passphrase (--passphrase)", origin)
    version = (enc.luks_version or product.storage.get("luks_version", "luks2")).lower()
    args: dict[str, Any] = {"luks_version": version}
    if version == "luks2":  # blivet takes PBKDF arguments for LUKS2 only
        pbkdf = enc.pbkdf or product.storage.get("pbkdf", "argon2id")
        args["pbkdf_args"] = LUKS2PBKDFArgs(type=pbkdf, max_memory_kb=enc.pbkdf_memory or 0,
                                            iterations=enc.pbkdf_iterations or 0, time_ms=enc.pbkdf_time or 0)
    if enc.passphrase:
        args["passphrase"] = enc.passphrase.reveal()
    if enc.cipher:
        args["cipher"] = enc.cipher
    return args


def _fmt_args(label: str | None, fsoptions: str | None, mkfsoptions: str | None) -> dict[str, Any]:
    args: dict[str, Any] = {}
    if label:
        args["label"] = label
    if fsoptions:
        args["mountopts"] = fsoptions
    if mkfsoptions:
        args["create_options"] = mkfsoptions
    return args


def _fstype_for(mountpoint: str, fstype: str | None, product: Product) -> str:
    if fstype:
        return "efi" if (fstype in ("vfat", "efi") and mountpoint == product.storage.get("esp_mountpoint", "/boot/efi")) else fstype
    if mountpoint == product.storage.get("esp_mountpoint", "/boot/efi"):
        return "efi"
    return product.storage.get("fstype", "xfs")


def _min_size_hint(fmt_type: str | None, exc: Exception) -> str:
    """' (xfs needs at least 300 MiB)' when blivet refused a device too small for its format."""
    if fmt_type and "too small" in str(exc):
        minimum = get_format(fmt_type).min_size
        if minimum:
            return f" ({fmt_type} needs at least {minimum.human_readable()})"
    return ""


MD_DEFAULT_CHUNK = Size("512 KiB")  # mdadm's (and blivet's) chunk size when none is given


def _size(mib: int | None, default_mib: int) -> Size:
    return Size(f"{mib if mib is not None else default_mib} MiB")


def resolve_disks(plan: InstallPlan, machine: Machine) -> tuple[list[Disk], list[Diagnostic]]:
    """The disks the plan may change (never the live medium), and problems naming disks."""
    st = plan.storage
    diags: list[Diagnostic] = []

    def find(spec: str, what: str, origin: Origin | None) -> Disk | None:
        disk = machine.disk(spec)
        if disk is None:
            diags.append(Diagnostic(f"{what}: no disk {spec!r} on this machine "
                                    f"(disks: {', '.join(d.name for d in machine.disks) or 'none'})", origin, field=what))
        elif disk.is_live_medium:
            diags.append(Diagnostic(f"{what}: {disk.name} is the installation medium and cannot be used", origin,
                                    field=what))
            return None
        elif disk.readonly:
            diags.append(Diagnostic(f"{what}: {disk.name} is read-only", origin, field=what))
            return None
        return disk

    ignored = {d.name for s in st.ignored_disks if (d := machine.disk(s)) is not None}
    if st.selected_disks:
        chosen = [d for s in st.selected_disks if (d := find(s, "ignoredisk --only-use", st.origin_of("selected_disks")))]
    else:
        chosen = [d for d in machine.target_disks if d.name not in ignored]
    names = {d.name for d in chosen}
    for spec in st.clearpart.drives:
        d = find(spec, "clearpart --drives", st.clearpart.origin_of("drives"))
        if d is not None and d.name not in names:
            diags.append(Diagnostic(f"clearpart --drives: {d.name} is not among the disks in use "
                                    f"({', '.join(sorted(names)) or 'none'})", st.clearpart.origin_of("drives"),
                                    field="clearpart"))
    for req in st.partitions:
        if req.ondisk:
            d = find(req.ondisk, "part --ondisk", req.origin)
            if d is not None and d.name not in names:
                diags.append(Diagnostic(f"part --ondisk: {d.name} is not among the disks in use "
                                        f"({', '.join(sorted(names)) or 'none'})", req.origin, field="ondisk"))
    if not chosen and not diags:
        diags.append(Diagnostic("no disk to install on", st.origin_of("selected_disks"), field="disks"))
    return chosen, diags


# ---------------------------------------------------------------- the layout, mapped onto blivet

class _Layout:
    """Schedules the plan's storage onto a Blivet whose devicetree holds the machine's disks."""

    def __init__(self, b: Any, plan: InstallPlan, machine: Machine, product: Product, disks: dict[str, Any],
                 for_apply: bool):
        self.b = b
        self.plan = plan
        self.st = plan.storage
        self.machine = machine
        self.product = product
        self.disks = disks  # machine disk name -> blivet disk device, in machine order
        self.for_apply = for_apply
        self.encrypted_parts: list[tuple[Any, str, dict[str, Any], str | None]] = []
        self.members: dict[str, Any] = {}  # pv.X / raid.X / btrfs.X -> blivet device
        self.disklabel = self.st.clearpart.disklabel or product.storage.get("disklabel", "gpt")
        self._boot: Any = None
        self.platform_parts: list[tuple[str, int, Any]] = []  # (biosboot|efi, MiB, disk or None: blivet picks)
        self.reused: dict[int, str] = {}  # id(existing partition of --onpart) -> "kept" | "reformatted"

    # -- clearing
    def clear(self) -> None:
        cp = self.st.clearpart
        origin = cp.origin_of("mode") or self.st.origin_of("clearpart")
        mode = cp.mode
        drives = {self.machine.disk(s).name for s in cp.drives if self.machine.disk(s)} if cp.drives else set(self.disks)
        wanted_parts = {p[5:] if p.startswith("/dev/") else p for p in cp.partitions}
        for name, disk in self.disks.items():
            covered = name in drives
            label = disk.format.type == "disklabel"
            parts = [c for c in disk.children if isinstance(c, PartitionDevice)]
            if covered and mode == "all":
                # each partition with whatever is stacked on it (PVs and their VGs, md, LUKS) ...
                for part in parts:
                    self._remove(part, origin)
                # ... or a whole-disk PV / md member / LUKS / filesystem and its stack
                if not parts and disk.format.type not in (None, "disklabel"):
                    self._remove(disk, origin)
                self._new_label(disk)
                continue
            if covered and mode in ("linux", "list"):
                for part in parts:
                    if part.is_extended:
                        continue
                    fmt = part.format.type
                    if (mode == "linux" and (fmt in _LINUX_FORMATS or part.format.linux_native)) or \
                            (mode == "list" and part.name in wanted_parts):
                        self._remove(part, origin)
                self.b.remove_empty_extended_partitions()
            if not label:
                # a blank disk has nothing to lose; a whole-disk PV, md member, LUKS or filesystem is only
                # ever cleared by clearpart --all (above)
                recorded = self.machine.disk(name)
                unknown_data = recorded is not None and bool(recorded.fstype or recorded.ptable)
                if disk.format.type is None and not disk.children and not unknown_data:
                    self._new_label(disk)
            elif not disk.format.supported:
                if covered and (self.st.zerombr or cp.initlabel):
                    self._new_label(disk)  # a partition table blivet cannot use: zerombr's job
            elif cp.initlabel and covered and not [c for c in disk.children if isinstance(c, PartitionDevice)]:
                self._new_label(disk)

    def _remove(self, device: Any, origin: Origin | None) -> None:
        selected = set(self.disks)
        for dep in self.b.devicetree.get_dependent_devices(device):
            outside = sorted({d.name for d in dep.disks} - selected)
            if outside:
                raise _error(f"cannot clear {device.name}: {dep.name} ({dep.type}) also lives on "
                             f"{', '.join(outside)}, which is not selected", origin)
        self.b.recursive_remove(device)

    def _new_label(self, disk: Any) -> None:
        self.b.format_device(disk, get_format("disklabel", device=disk.path, label_type=self.disklabel))

    # -- requests
    def usable_disks(self) -> list[Any]:
        return [d for d in self.disks.values() if d.format.type == "disklabel" and d.format.supported]

    def boot_disk(self, needed_mib: int = 0) -> Any:
        """The boot loader's disk: bootloader --boot-drive, else the first usable disk with room for
        the firmware and /boot partitions (a full first disk left alone by clearpart is skipped)."""
        usable = self.usable_disks()
        drive = self.plan.bootloader.boot_drive
        if drive and (d := self.machine.disk(drive)) is not None and d.name in self.disks:
            return self.disks[d.name]
        if not usable:
            raise _error("none of the selected disks can hold partitions (clear them with clearpart or zerombr)",
                         self.st.clearpart.origin_of("mode"))
        if needed_mib:
            free = self.b.get_free_space(disks=usable)
            for disk in usable:
                if int(free.get(disk.name, (Size(0),))[0]) >= (needed_mib + 2) * MiB:
                    return disk
        return usable[0]

    @property
    def planned_boot(self) -> Any:
        """The disk the firmware partitions of reqpart/autopart went on (None before scheduling)."""
        return self._boot

    def boot_label(self, boot: Any) -> str:
        return boot.format.label_type if boot.format.type == "disklabel" else self.disklabel

    def _partition(self, *, size: Size, fmt_type: str, parents: list[Any], mountpoint: str | None = None,
                   grow: bool = False, maxsize: Size | None = None, fmt_args: dict[str, Any] | None = None,
                   weight: int = 0, primary: bool = False, encryption: dict[str, Any] | None = None,
                   origin: Origin | None = None) -> Any:
        if encryption is not None:
            inner_type, inner_args, inner_mount = fmt_type, dict(fmt_args or {}), mountpoint
            fmt_type, fmt_args, mountpoint = "luks", encryption, None
        kwargs: dict[str, Any] = dict(size=size, grow=grow, parents=parents, fmt_type=fmt_type,
                                      fmt_args=dict(fmt_args or {}), weight=weight, primary=primary)
        if maxsize is not None:
            kwargs["maxsize"] = maxsize
        if mountpoint:
            kwargs["mountpoint"] = mountpoint
        try:
            part = self.b.new_partition(**kwargs)
            self.b.create_device(part)
        except (StorageError, ValueError) as exc:
            raise _error(f"cannot create partition: {exc}{_min_size_hint(fmt_type, exc)}", origin) from exc
        if encryption is not None:
            self.encrypted_parts.append((part, inner_type, inner_args, inner_mount))
        return part

    def _open_encrypted(self) -> dict[Any, Any]:
        """After partitioning: a LUKS device on each encrypted partition, holding the real format."""
        opened = {}
        for part, fmt_type, fmt_args, mountpoint in self.encrypted_parts:
            fmt = get_format(fmt_type, mountpoint=mountpoint, **fmt_args)
            luks = LUKSDevice(f"luks-{part.name}", fmt=fmt, parents=[part])
            self.b.create_device(luks)
            opened[part] = luks
        self.encrypted_parts = []
        return opened

    def schedule(self) -> None:
        self.clear()
        if self.st.autopart is not None:
            self._autopart()
        else:
            self._custom()
        self._check_root()
        self._check_boot_mirror()
        self._check_free_space_only()

    def _check_free_space_only(self) -> None:
        """The safety invariant of "use free space only" (clearpart --none, the default): nothing
        that exists is destroyed, except the leftover signatures of a disk with no partitions."""
        if self.st.clearpart.mode != "none":
            return
        by_device = {id(dev): name for name, dev in self.disks.items()}
        for action in self.b.devicetree.actions.find():
            dev = action.device
            machine_disk = self.machine.disk(by_device[id(dev)]) if id(dev) in by_device else None
            if not destroys_existing(action, machine_disk):
                continue
            if action.is_format and self.reused.get(id(dev)) == "reformatted":
                continue  # part --onpart without --noformat: reformatting it was asked for by name
            if action.is_format and machine_disk is not None and not machine_disk.partitions \
                    and not machine_disk.fstype:
                continue  # zerombr or --initlabel on a disk without partitions: asked for by name
            raise _error(f"refusing to {_describe_action(action)}: the plan uses free space only "
                         "(clearpart --none) and must not destroy anything that exists; nothing was changed",
                         self.st.clearpart.origin_of("mode") or self.st.origin_of("clearpart"))

    def _check_space(self, needed_mib: int, origin: Origin | None) -> None:
        usable = self.usable_disks()
        free = self.b.get_free_space(disks=usable)
        per_disk = {name: int(pair[0]) for name, pair in free.items()}
        available = sum(per_disk.values())
        if needed_mib * MiB > available:
            detail = ", ".join(f"{n}: {human_size(v)} free" for n, v in per_disk.items())
            raise _error(f"not enough disk space: the layout needs at least {human_size(needed_mib * MiB)}, "
                         f"the selected disks have {human_size(available)} ({detail or 'no usable disk'})", origin)

    def _partitioning_failed(self, exc: Exception, needed_mib: int, origin: Origin | None) -> PlanError:
        usable = self.usable_disks()
        free = self.b.get_free_space(disks=usable)
        available = sum(int(pair[0]) for pair in free.values())
        return _error(f"cannot fit the layout on the selected disks ({exc}): it needs at least "
                      f"{human_size(needed_mib * MiB)}, {human_size(available)} is free", origin)

    def _do_partitioning(self, needed_mib: int, origin: Origin | None) -> dict[Any, Any]:
        try:
            do_partitioning(self.b, boot_disk=self._boot)
        except (StorageError, ValueError) as exc:
            raise self._partitioning_failed(exc, needed_mib, origin) from exc
        return self._open_encrypted()

    def _autopart(self) -> None:
        ap = self.st.autopart
        origin = ap.origins.get("scheme") or next(iter(ap.origins.values()), None) or self.st.origin_of("autopart")
        machine = self.machine
        sp = self.product.storage
        boot = self.boot_disk(int(sp.get("esp_size_mib", 600)) + (0 if ap.noboot else int(sp.get("boot_size_mib", 1024))))
        self._boot = boot
        requests = autopart_requests(sp, firmware=machine.firmware, memory=machine.memory,
                                     scheme=ap.scheme, fstype=ap.fstype, nohome=ap.nohome, noswap=ap.noswap,
                                     noboot=ap.noboot, disklabel=self.boot_label(boot))
        self._check_space(minimum_mib(requests), origin)
        enc = _luks_args(ap.encryption, self.product, self.for_apply, origin) if ap.encrypted else None
        disks = self.usable_disks()
        containers = []
        for req in requests:
            if req.where == "partition":
                on = [boot] if req.role in ("platform", "boot") else disks
                self._partition(size=_size(req.size_mib, 0), fmt_type=req.fstype, parents=on,
                                mountpoint=req.mountpoint, grow=req.grow,
                                maxsize=_size(req.maxsize_mib, 0) if req.maxsize_mib else None,
                                weight=req.weight, encryption=enc if req.role not in ("platform", "boot") else None,
                                origin=origin)
        container_reqs = [r for r in requests if r.where in ("lv", "thin", "subvolume")]
        if container_reqs:
            member_fmt = "lvmpv" if ap.scheme in ("lvm", "thinp") else "btrfs"
            free = self.b.get_free_space(disks=disks)
            roomy = [d for d in disks if int(free.get(d.name, (Size(0),))[0]) >= 1024 * MiB] or disks[:1]
            for disk in roomy:
                containers.append(self._partition(size=Size("500 MiB") if member_fmt == "lvmpv" else Size("1 GiB"),
                                                  fmt_type=member_fmt, parents=[disk], grow=True,
                                                  encryption=enc, origin=origin))
        opened = self._do_partitioning(minimum_mib(requests), origin)
        members = [opened.get(p, p) for p in containers]
        if ap.scheme in ("lvm", "thinp") and container_reqs:
            vgname = self._unique_name(self.product.storage.get("vgname", "azl"))
            vg = self.b.new_vg(parents=members, name=vgname)
            self.b.create_device(vg)
            thin = [r for r in container_reqs if r.where == "thin"]
            pool = None
            if thin:  # as Anaconda: one pool that fills the VG, the file systems thin volumes in it
                try:
                    pool = self.b.new_lv(parents=[vg], name="pool", thin_pool=True, grow=True,
                                         size=_size(sum(r.size_mib for r in thin), 0))
                    self.b.create_device(pool)
                except (StorageError, ValueError) as exc:
                    raise _error(f"cannot create the thin pool: {exc}", origin) from exc
            for req in container_reqs:
                self._lv(pool if req.where == "thin" else vg, req.role, req, origin)
            grow_lvm(self.b)
        elif ap.scheme == "btrfs" and container_reqs:
            vol = self.b.new_btrfs(parents=members, name=self.product.storage.get("vgname", "azl"))
            self.b.create_device(vol)
            for req in container_reqs:
                sub = self.b.new_btrfs_sub_volume(parents=[vol], name=req.role, mountpoint=req.mountpoint)
                self.b.create_device(sub)

    def _unique_name(self, name: str) -> str:
        """`name`, or name00, name01... (as blivet numbers them) when a device of that name exists.

        Applying, that includes VGs on disks that are not selected (blivet asks LVM); a preview knows
        only the machine's disks, and must not ask the host's LVM, which needs root and describes
        another machine."""
        taken = set(self.b.names) if self.for_apply else {d.name for d in self.b.devices}
        if name not in taken:
            return name
        return next(f"{name}{n:02d}" for n in range(100) if f"{name}{n:02d}" not in taken)

    def _lv(self, vg: Any, name: str, req: LayoutRequest, origin: Origin | None) -> None:
        """A logical volume in `vg`, or a thin volume when `vg` is a thin pool."""
        kwargs: dict[str, Any] = dict(parents=[vg], name=name, size=_size(req.size_mib, 0), grow=req.grow,
                                      fmt_type=req.fstype)
        if getattr(vg, "is_thin_pool", False):
            kwargs["thin_volume"] = True
        if req.maxsize_mib:
            kwargs["maxsize"] = _size(req.maxsize_mib, 0)
        if req.mountpoint:
            kwargs["mountpoint"] = req.mountpoint
        try:
            lv = self.b.new_lv(**kwargs)
            self.b.create_device(lv)
        except (StorageError, ValueError) as exc:
            raise _error(f"cannot create logical volume {name}: {exc}", origin) from exc

    # -- explicit part / volgroup / logvol / raid / btrfs
    def _mirror_disks_requested(self) -> list[Any]:
        """The disks that the RAID1 members under /boot (or /) are pinned to with --ondisk."""
        found: list[Any] = []
        for req in boot_mirror_members(self.st):
            disk = self.machine.disk(req.ondisk) if req.ondisk else None
            if disk is not None and disk.name in self.disks and self.disks[disk.name] not in found:
                found.append(self.disks[disk.name])
        return found if len(found) > 1 else []

    def _custom(self) -> None:
        st = self.st
        sp = self.product.storage
        mirror = self._mirror_disks_requested()
        boot = self.boot_disk(int(sp.get("esp_size_mib", 600)) + int(sp.get("boot_size_mib", 1024))) \
            if (st.partitions or st.reqpart) else None
        if mirror and not self.plan.bootloader.boot_drive:
            boot = mirror[0]  # the firmware partitions reqpart asks for go on a disk of the mirror
        self._boot = boot
        needed = 0
        first_origin = st.origins.get("reqpart") or (st.partitions[0].origin if st.partitions else None)
        if st.reqpart:
            reqs = platform_requests(self.machine.firmware, sp, self.boot_label(boot))
            if st.reqpart_add_boot:
                reqs.append(boot_request(self.product.storage))
            for req in reqs:
                needed += req.size_mib
                self._partition(size=_size(req.size_mib, 0), fmt_type=req.fstype, parents=[boot],
                                mountpoint=req.mountpoint, weight=req.weight, origin=st.origin_of("reqpart"))
                if req.role == "platform":
                    self.platform_parts.append((req.fstype, req.size_mib, boot))
        member_parts: dict[str, Any] = {}
        esp_mountpoint = sp.get("esp_mountpoint", "/boot/efi")
        for req in st.partitions:
            mp = req.mountpoint
            if req.onpart:
                part = self._reuse(req)
                if mp.startswith(("pv.", "raid.", "btrfs.")):
                    if mp in member_parts:
                        raise _error(f"part: {mp} is defined twice", req.origin)
                    member_parts[mp] = part
                continue
            platform = is_platform_request(req, esp_mountpoint)
            if req.ondisk:
                parents = [self.disks[self.machine.disk(req.ondisk).name]]
            elif platform and mirror:
                parents = [boot]  # left to the planner: beside reqpart's, on the first disk of the mirror
            else:
                parents = self.usable_disks()
            fmt_args = _fmt_args(req.label, req.fsoptions, req.mkfsoptions)
            mountpoint = None
            weight = 0
            if mp == "swap":
                fmt = "swap"
                size_mib = req.size_mib
                if req.recommended or size_mib is None:
                    size_mib = recommended_swap_mib(self.machine.memory)
            elif mp == "biosboot":
                fmt, size_mib, weight = "biosboot", req.size_mib or 1, 5000
            elif mp.startswith("pv."):
                fmt, size_mib = "lvmpv", req.size_mib
            elif mp.startswith("raid."):
                fmt, size_mib = "mdmember", req.size_mib
            elif mp.startswith("btrfs."):
                fmt, size_mib = "btrfs", req.size_mib
            elif mp.startswith("/"):
                fmt = _fstype_for(mp, req.fstype, self.product)
                size_mib, mountpoint = req.size_mib, mp
                weight = 5000 if fmt == "efi" else (2000 if mp == "/boot" else 0)
            else:
                raise _error(f"part: unsupported mount point {mp!r}", req.origin)
            if req.grow and size_mib is None:
                size_mib = 1
            size_mib = size_mib if size_mib is not None else 1024
            needed += size_mib
            enc = _luks_args(req.encryption, self.product, self.for_apply, req.origin) if req.encrypted else None
            part = self._partition(size=_size(size_mib, 0), fmt_type=fmt, parents=parents, mountpoint=mountpoint,
                                   grow=req.grow, maxsize=_size(req.maxsize_mib, 0) if req.maxsize_mib else None,
                                   fmt_args=fmt_args, weight=weight, primary=req.asprimary, encryption=enc,
                                   origin=req.origin)
            if mp.startswith(("pv.", "raid.", "btrfs.")):
                if mp in member_parts:
                    raise _error(f"part: {mp} is defined twice", req.origin)
                member_parts[mp] = part
            if platform:
                self.platform_parts.append((fmt, size_mib, parents[0] if len(parents) == 1 else None))
        needed += self._spare_platform_partitions(mirror)
        if st.partitions or st.reqpart:
            self._check_space(needed, first_origin)
            opened = self._do_partitioning(needed, first_origin)
            self.members = {k: opened.get(v, v) for k, v in member_parts.items()}
        self._raids()
        self._volgroups()
        self._btrfs()

    def _existing_partition(self, req: Any) -> Any:
        """The blivet device of an --onpart partition: exactly one, on a selected disk, still there
        after clearpart; anything else stops the plan (fail closed)."""
        spec = req.onpart
        found = self.machine.partitions_matching(spec)
        if not found:
            raise _error(f"part --onpart={spec}: no such partition on this machine", req.origin)
        if len(found) > 1:
            raise _error(f"part --onpart={spec}: names {len(found)} partitions "
                         f"({', '.join(p.name for _, p in found)}): name one by its device name", req.origin)
        disk, recorded = found[0]
        if disk.name not in self.disks:
            raise _error(f"part --onpart={spec}: {recorded.name} is on {disk.name}, which is not selected "
                         "for the installation", req.origin)
        matches = [c for c in self.disks[disk.name].children
                   if isinstance(c, PartitionDevice) and c.exists and c.name == recorded.name]
        if not matches:
            if any(recorded.name == getattr(a.device, "name", None) and a.is_destroy
                   for a in self.b.devicetree.actions.find()):
                raise _error(f"part --onpart={spec}: clearpart removes {recorded.name}; keep it out of the "
                             "clearing (clearpart --none, or --list of the other partitions)", req.origin)
            raise _error(f"part --onpart={spec}: {recorded.name} is not in the storage layer's view of "
                         f"{disk.name}; nothing was changed", req.origin)
        if len(matches) > 1:
            raise _error(f"part --onpart={spec}: {len(matches)} devices are called {recorded.name}", req.origin)
        part = matches[0]
        if id(part) in self.reused:
            raise _error(f"part --onpart={spec}: {part.name} is already used by another part line", req.origin)
        probed = _BLKID_TO_BLIVET.get(recorded.fstype or "")
        seen = part.format.type
        if probed != seen and not (probed == "vfat" and seen == "efi"):
            raise _error(f"part --onpart={spec}: the probe found {recorded.fstype or 'nothing'} on {part.name}, "
                         f"the storage layer {seen or 'nothing'}; nothing was changed", req.origin)
        uuid = getattr(part.format, "uuid", None)
        if recorded.uuid and uuid and recorded.uuid.lower() != uuid.lower():
            raise _error(f"part --onpart={spec}: {part.name} now holds filesystem {uuid}, the plan was made for "
                         f"{recorded.uuid} (changed since the probe?); nothing was changed", req.origin)
        return part

    def _reuse(self, req: Any) -> Any:
        """An existing partition mounted as it is (--noformat) or given a new format (reformatted)."""
        part = self._existing_partition(req)
        mp = req.mountpoint
        self.reused[id(part)] = "kept" if req.noformat else "reformatted"
        if req.noformat:
            fmt = part.format
            if mp == "swap":
                if fmt.type != "swap":
                    raise _error(f"part swap --onpart={req.onpart} --noformat: {part.name} holds "
                                 f"{fmt.type or 'no format'}, not swap", req.origin)
                return part
            if not mp.startswith("/"):
                raise _error(f"part {mp} --noformat: only a mounted filesystem or swap can be kept", req.origin)
            if not fmt.type or not getattr(fmt, "mountable", False):
                raise _error(f"part {mp} --onpart={req.onpart} --noformat: {part.name} holds "
                             f"{fmt.type or 'no filesystem'}, which cannot be mounted; drop --noformat to "
                             "format it", req.origin)
            wanted = _fstype_for(mp, req.fstype, self.product) if req.fstype else None
            if wanted and wanted != fmt.type and not (wanted in ("efi", "vfat") and fmt.type in ("efi", "vfat")):
                raise _error(f"part {mp} --onpart={req.onpart} --noformat: {part.name} holds {fmt.type}, "
                             f"not {req.fstype}", req.origin)
            fmt.mountpoint = mp
            if req.fsoptions:
                fmt.mountopts = req.fsoptions
            return part
        if part.children:
            raise _error(f"part --onpart={req.onpart}: {part.name} holds "
                         f"{', '.join(c.name for c in part.children)}; reformatting it would destroy them: "
                         "clear it with clearpart --list first", req.origin)
        if mp == "swap":
            fmt_type, mountpoint = "swap", None
        elif mp == "biosboot":
            fmt_type, mountpoint = "biosboot", None
        elif mp.startswith("pv."):
            fmt_type, mountpoint = "lvmpv", None
        elif mp.startswith("raid."):
            fmt_type, mountpoint = "mdmember", None
        elif mp.startswith("btrfs."):
            fmt_type, mountpoint = "btrfs", None
        elif mp.startswith("/"):
            fmt_type, mountpoint = _fstype_for(mp, req.fstype, self.product), mp
        else:
            raise _error(f"part: unsupported mount point {mp!r}", req.origin)
        args = _fmt_args(req.label, req.fsoptions, req.mkfsoptions)
        try:
            self.b.format_device(part, get_format(fmt_type, device=part.path, mountpoint=mountpoint, **args))
        except (StorageError, ValueError) as exc:
            raise _error(f"part --onpart={req.onpart}: cannot format {part.name} as {fmt_type}: "
                         f"{exc}{_min_size_hint(fmt_type, exc)}", req.origin) from exc
        if fmt_type in ("biosboot", "efi"):
            self.platform_parts.append((fmt_type, int(part.size) // MiB, part.disk))
        return part

    def _spare_platform_partitions(self, mirror: list[Any]) -> int:
        """A biosboot or ESP like the layout's own on each disk of the mirror still without one, so
        that either disk boots alone. Returns the MiB added."""
        added = 0
        origin = next(iter(r.origin for r in boot_mirrors(self.st)), None)
        for disk in mirror:
            label = self.boot_label(disk)
            fmt = platform_format(self.machine.firmware, label)
            if fmt is None:
                continue
            same = [(size, on) for kind, size, on in self.platform_parts if kind == fmt]
            if any(on is disk for _, on in same):
                continue
            if not same and not self.st.reqpart:
                continue  # the layout asks for no firmware partition at all: not ours to add
            default = next(r for r in platform_requests(self.machine.firmware, self.product.storage, label))
            size_mib = same[0][0] if same else default.size_mib
            self._partition(size=_size(size_mib, 0), fmt_type=fmt, parents=[disk], weight=default.weight,
                            origin=origin)
            self.platform_parts.append((fmt, size_mib, disk))
            added += size_mib
        return added

    def _check_boot_mirror(self) -> None:
        """Each disk of a mirror under /boot (or /) must hold its own firmware partition; it can only
        be planned when the RAID members say where they go."""
        if not self.platform_parts and not self.st.reqpart:
            return
        for disk in mirror_disks(self.b.devices):
            fmt = platform_format(self.machine.firmware, self.boot_label(disk))
            if fmt is not None and not has_platform_partition(disk, fmt):
                mirrors = boot_mirrors(self.st)
                loose = [p.mountpoint for p in boot_mirror_members(self.st) if not p.ondisk]
                what = "EFI system partition" if fmt == "efi" else "biosboot partition"
                under = boot_device(self.b.devices).format.mountpoint
                raise _error(f"{disk.name} holds a member of the RAID1 array under {under} but has no {what}, so it "
                             f"could not boot alone: place {', '.join(loose) or 'the members'} with --ondisk "
                             f"(one member per disk) so that each disk gets its own {what}",
                             mirrors[0].origin if mirrors else None)

    def _member(self, ref: str, origin: Origin | None, kind: str) -> Any:
        if ref not in self.members:
            raise _error(f"{kind}: {ref} is not defined by a part line", origin)
        device = self.members.pop(ref)
        return device

    def _raids(self) -> None:
        for req in self.st.raids:
            level = req.level.lower()
            level = level if level.startswith("raid") else f"raid{level}"
            if level not in ("raid0", "raid1", "raid4", "raid5", "raid6", "raid10"):
                raise _error(f"raid: level {req.level} is not supported", req.origin)
            members = [self._member(m, req.origin, "raid") for m in req.members]
            mp = req.mountpoint
            enc = _luks_args(req.encryption, self.product, self.for_apply, req.origin) if req.encrypted else None
            if mp.startswith("pv."):
                fmt_type, mountpoint = "lvmpv", None
            elif mp == "swap":
                fmt_type, mountpoint = "swap", None
            elif mp.startswith("/"):
                fmt_type, mountpoint = _fstype_for(mp, req.fstype, self.product), mp
            else:
                raise _error(f"raid: unsupported mount point {mp!r}", req.origin)
            fmt_args = _fmt_args(req.label, req.fsoptions, None)
            name = req.device.rsplit("/", 1)[-1]
            chunk = {"chunk_size": Size(f"{req.chunk_size_kib} KiB")} if req.chunk_size_kib else {}
            try:
                if enc is not None:
                    array = self.b.new_mdarray(name=name, level=level, parents=members, total_devices=len(members),
                                               member_devices=len(members), fmt_type="luks", fmt_args=enc, **chunk)
                else:
                    array = self.b.new_mdarray(name=name, level=level, parents=members, total_devices=len(members),
                                               member_devices=len(members), fmt_type=fmt_type,
                                               mountpoint=mountpoint, fmt_args=fmt_args, **chunk)
                self.b.create_device(array)
                device = array
                if enc is not None:
                    device = LUKSDevice(f"luks-{name}", parents=[array],
                                        fmt=get_format(fmt_type, mountpoint=mountpoint, **fmt_args))
                    self.b.create_device(device)
            except (StorageError, ValueError) as exc:
                sizes = ", ".join(f"{m.name} {m.size.human_readable()}" for m in members)
                raise _error(f"raid {req.device}: {exc}{_min_size_hint(fmt_type, exc)}; members: {sizes}",
                             req.origin) from exc
            if mp.startswith("pv."):
                self.members[mp] = device

    def _volgroups(self) -> None:
        vgs: dict[str, Any] = {}
        for req in self.st.volgroups:
            pvs = [self._member(p, req.origin, "volgroup") for p in req.physvols]
            if not pvs:
                raise _error(f"volgroup {req.name}: no physical volumes", req.origin)
            kwargs: dict[str, Any] = dict(parents=pvs, name=req.name)
            if req.pesize_kib:
                kwargs["pe_size"] = Size(f"{req.pesize_kib} KiB")
            try:
                vg = self.b.new_vg(**kwargs)
                self.b.create_device(vg)
            except (StorageError, ValueError) as exc:
                raise _error(f"volgroup {req.name}: {exc}", req.origin) from exc
            vgs[req.name] = vg
        pools: dict[tuple[str, str], Any] = {}
        # thin pools before the thin volumes in them
        for req in sorted(self.st.logvols, key=lambda r: not r.thin_pool):
            vg = vgs.get(req.vgname)
            if vg is None:
                raise _error(f"logvol {req.name}: no volume group {req.vgname!r}", req.origin)
            mp = req.mountpoint
            if req.thin_pool:
                pools[(req.vgname, req.name)] = self._thin_pool(vg, req)
                continue
            if mp == "swap":
                fmt_type, mountpoint = "swap", None
            elif mp.startswith("/"):
                fmt_type, mountpoint = _fstype_for(mp, req.fstype, self.product), mp
            else:
                raise _error(f"logvol: unsupported mount point {mp!r}", req.origin)
            size_mib = req.size_mib
            if mp == "swap" and (req.recommended or size_mib is None):
                size_mib = recommended_swap_mib(self.machine.memory)
            fmt_args = _fmt_args(req.label, req.fsoptions, req.mkfsoptions)
            kwargs = dict(parents=[vg], name=req.name, grow=req.grow)
            if req.pool_name:
                pool = pools.get((req.vgname, req.pool_name))
                if pool is None:
                    raise _error(f"logvol {req.name}: no thin pool {req.pool_name!r} in {req.vgname}", req.origin)
                kwargs.update(parents=[pool], thin_volume=True)
            if req.percent:
                kwargs["percent"] = req.percent
            else:
                kwargs["size"] = _size(size_mib, 1 if req.grow else 1024)
            if req.maxsize_mib:
                kwargs["maxsize"] = _size(req.maxsize_mib, 0)
            enc = _luks_args(req.encryption, self.product, self.for_apply, req.origin) if req.encrypted else None
            if "size" in kwargs and not req.pool_name and kwargs["size"] > vg.free_space:
                raise _error(f"logvol {req.name}: needs {human_size(int(kwargs['size']))}, volume group {vg.name} "
                             f"has {human_size(max(int(vg.free_space), 0))} free of {human_size(int(vg.size))}",
                             req.origin)
            try:
                if enc is not None:
                    lv = self.b.new_lv(fmt_type="luks", fmt_args=enc, **kwargs)
                    self.b.create_device(lv)
                    self.b.create_device(LUKSDevice(f"luks-{vg.name}-{req.name}", parents=[lv],
                                                    fmt=get_format(fmt_type, mountpoint=mountpoint, **fmt_args)))
                else:
                    lv = self.b.new_lv(fmt_type=fmt_type, mountpoint=mountpoint, fmt_args=fmt_args, **kwargs)
                    self.b.create_device(lv)
            except (StorageError, ValueError) as exc:
                raise _error(f"logvol {req.name}: {exc}{_min_size_hint(fmt_type, exc)}", req.origin) from exc
        if self.st.logvols:
            try:
                grow_lvm(self.b)
            except (StorageError, ValueError) as exc:
                raise _error(f"logical volumes do not fit their volume groups: {exc}", self.st.logvols[0].origin) from exc
            for vg in vgs.values():
                if vg.free_space < 0:
                    raise _error(f"volume group {vg.name}: the logical volumes need more than its "
                                 f"{human_size(int(vg.size))}", self.st.logvols[0].origin)

    def _thin_pool(self, vg: Any, req: Any) -> Any:
        kwargs: dict[str, Any] = dict(parents=[vg], name=req.name, grow=req.grow, thin_pool=True)
        if req.percent:
            kwargs["percent"] = req.percent
        else:
            kwargs["size"] = _size(req.size_mib, 1 if req.grow else 1024)
        if req.maxsize_mib:
            kwargs["maxsize"] = _size(req.maxsize_mib, 0)
        if req.pool_metadata_mib:
            kwargs["metadata_size"] = Size(f"{req.pool_metadata_mib} MiB")
        if req.pool_chunk_kib:
            kwargs["chunk_size"] = Size(f"{req.pool_chunk_kib} KiB")
        try:
            pool = self.b.new_lv(**kwargs)
            self.b.create_device(pool)
        except (StorageError, ValueError) as exc:
            raise _error(f"logvol {req.name} --thinpool: {exc}", req.origin) from exc
        return pool

    def _btrfs(self) -> None:
        volumes: dict[str, Any] = {}
        for req in [r for r in self.st.btrfs if not r.subvol]:
            members = [self._member(m, req.origin, "btrfs") for m in req.members]
            kwargs: dict[str, Any] = dict(parents=members, mountpoint=req.mountpoint)
            if req.name:
                kwargs["name"] = req.name
            if req.data_level:
                kwargs["data_level"] = req.data_level
            if req.metadata_level:
                kwargs["metadata_level"] = req.metadata_level
            if req.label:
                kwargs["fmt_args"] = {"label": req.label}
            try:
                vol = self.b.new_btrfs(**kwargs)
                self.b.create_device(vol)
            except (StorageError, ValueError) as exc:
                raise _error(f"btrfs: {exc}", req.origin) from exc
            for key in (req.name, req.label, req.mountpoint):
                if key:
                    volumes[key] = vol
        for req in [r for r in self.st.btrfs if r.subvol]:
            vol = volumes.get(req.parent or "")
            if vol is None:
                raise _error(f"btrfs subvolume {req.name}: no btrfs volume {req.parent!r}", req.origin)
            try:
                sub = self.b.new_btrfs_sub_volume(parents=[vol], name=req.name or (req.mountpoint or "").strip("/"),
                                                  mountpoint=req.mountpoint)
                self.b.create_device(sub)
            except (StorageError, ValueError) as exc:
                raise _error(f"btrfs subvolume {req.name}: {exc}", req.origin) from exc

    def _check_root(self) -> None:
        roots = [d for d in self.b.devices if getattr(d.format, "mountpoint", None) == "/"]
        if not roots:
            raise _error("the layout has no / (root) filesystem", self.st.origin_of("partitions"))
        leftovers = sorted(self.members)
        if leftovers:
            first = self.st.partitions[0].origin if self.st.partitions else None
            raise _error(f"{', '.join(leftovers)} defined but not used by raid, volgroup or btrfs", first)


def _describe_action(action: Any) -> str:
    dev = action.device
    verb = "destroy" if action.is_destroy else "create" if action.is_create else action.type_string.lower()
    kinds = {"partition": "partition", "luks/dm-crypt": "LUKS device", "lvmvg": "volume group",
             "lvmlv": "logical volume", "mdarray": "RAID array", "btrfs volume": "btrfs volume",
             "lvmthinpool": "thin pool", "lvmthinlv": "thin logical volume",
             "btrfs subvolume": "btrfs subvolume", "disk": "disk"}
    if action.is_format:
        fmt = action.format
        if action.is_destroy and fmt.type is None and getattr(dev, "is_disk", False):
            return f"wipe leftover signatures on blank disk {dev.name} (no partition table or data found)"
        name = fmt.type or "signatures"
        if fmt.type == "disklabel":
            name = f"{fmt.label_type} partition table"
        elif fmt.type == "luks":
            name = getattr(fmt, "luks_version", None) or "luks"
        text = f"{verb} format {name} on {dev.name}"
        if getattr(fmt, "mountpoint", None) and action.is_create:
            text += f" ({fmt.mountpoint})"
        return text
    text = f"{verb} {kinds.get(dev.type, dev.type)} {dev.name}"
    if action.is_create:
        extra = [str(dev.size)]
        if dev.type == "mdarray":
            extra.insert(0, str(dev.level))
            chunk = getattr(dev, "chunk_size", None)
            if chunk and chunk != MD_DEFAULT_CHUNK and str(dev.level) != "raid1":
                extra.insert(1, f"chunk {chunk.convert_to('KiB'):.0f} KiB")
        text += f" ({', '.join(extra)})"
    return text


# The primary ESP of a mirrored /boot: the boot waits for it (ordered before local-fs.target) up to
# systemd's default device timeout (DefaultTimeoutStartSec, 90 s), so a slow disk is still mounted
# before anything can update the bootloader; with its disk lost, nofail lets the boot go on without it
# (the spares are never mounted at boot: azl-esp-sync keeps them in step, see steps/esp_sync.py).
ESP_MIRROR_OPTIONS = "umask=0077,shortname=winnt,nofail,x-systemd.before=local-fs.target"


def _fstab_entries(b: Any, uuid_of: Callable[[Any], str],
                   mirrored_esp: bool | None = None) -> tuple[list[FstabEntry], list[CrypttabEntry]]:
    """mirrored_esp: spare ESPs exist (found by spare_esps() before the actions ran; after,
    their formats exist and they no longer look new)."""
    fstab: list[FstabEntry] = []
    crypttab: list[CrypttabEntry] = []
    # With a copy of the ESP on each disk of a mirrored /boot, losing the mounted one's disk
    # must not stop the boot in emergency mode, nor may a slow one be skipped.
    if mirrored_esp is None:
        mirrored_esp = bool(spare_esps(b.devices))
    for dev in b.devices:
        fmt = dev.format
        mp = getattr(fmt, "mountpoint", None)
        if fmt.type == "swap":
            fstab.append(fstab_entry(f"UUID={uuid_of(dev)}", None, "swap"))
        elif mp and fmt.type:
            options = getattr(fmt, "mountopts", "") or None
            if dev.type == "btrfs subvolume":
                spec = f"UUID={uuid_of(dev.volume)}"
                sub = f"subvol={dev.name}"
                options = options if options and "subvol=" in options else ",".join(x for x in (sub, options) if x)
            else:
                spec = f"UUID={uuid_of(dev)}"
            if mp == "/boot/efi" and mirrored_esp and not options:
                options = ESP_MIRROR_OPTIONS
            fstab.append(fstab_entry(spec, mp, fmt.type, options))
        if dev.type == "luks/dm-crypt":
            backing = dev.slave if hasattr(dev, "slave") else dev.parents[0]
            uuid = uuid_of(backing)
            crypttab.append(CrypttabEntry(f"luks-{uuid}", f"UUID={uuid}", "none"))
    return fstab, crypttab
