"""Storage checks: disks named exist and are allowed, the layout is complete and fits."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from installer.model.machine import Disk, Machine
from installer.model.plan import Encryption, InstallPlan, Origin, StorageConfig
from installer.model.product import Product
from installer.model.syntax import mount_options_problem
from installer.validate.common import MIB, Report, first_origin, gib, mib, origin, suggest, where

FILESYSTEMS = ("xfs", "ext4", "ext3", "ext2", "btrfs", "vfat", "efi", "swap", "biosboot")
LINUX_FILESYSTEMS = ("xfs", "ext4", "ext3", "ext2", "btrfs")
CONTAINER_TYPES = ("lvmpv", "mdmember", "btrfs")  # accepted on pv./raid./btrfs. members
NOT_SEPARATE = ("/bin", "/dev", "/etc", "/lib", "/lib64", "/proc", "/run", "/sbin", "/sys")
LINUX_PARTITION_CONTENT = {
    "ext2", "ext3", "ext4", "xfs", "btrfs", "swap", "LVM2_member", "linux_raid_member", "crypto_LUKS",
}
RAID_MIN_MEMBERS = {"raid0": 2, "raid1": 2, "raid4": 3, "raid5": 3, "raid6": 4, "raid10": 4}
BTRFS_LEVELS = {"single": 1, "dup": 1, "raid0": 2, "raid1": 2, "raid10": 4}
LUKS_VERSIONS = ("luks1", "luks2")
PBKDFS = ("argon2i", "argon2id", "pbkdf2")
# 1 MiB alignment at the start of each disk, 1 MiB for the backup GPT at its end.
DISK_OVERHEAD = 2 * MIB
LVM_PV_OVERHEAD_MIB = 4
LUKS2_HEADER_MIB = 16
LVM_NAME = re.compile(r"^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$")


def swap_size_mib(memory_bytes: int) -> int:
    """Recommended swap, as Anaconda sizes it."""
    ram = memory_bytes // MIB
    if ram < 2048:
        return 2 * ram
    if ram <= 8192:
        return ram
    if ram <= 65536:
        return ram // 2
    return 32768


def normalize_raid_level(level: str) -> str:
    level = (level or "").strip().lower()
    if level.isdigit():
        level = "raid" + level
    return level


@dataclass
class _Request:
    """One thing that takes space or mounts: a part, logvol, raid or btrfs line."""

    kind: str
    mountpoint: str | None
    fstype: str | None
    origin: Origin
    encrypted: bool = False
    encryption: Encryption | None = None


def check_storage(plan: InstallPlan, machine: Machine | None, product: Product, report: Report) -> None:
    st = plan.storage
    has_layout = st.autopart is not None or st.custom
    if st.autopart is not None and st.custom:
        report.error("autopart cannot be combined with part, volgroup, logvol, raid or btrfs commands",
                     origin(st.autopart, "scheme", "encrypted", "fstype") or origin(st, "autopart"))
    if not has_layout and plan.interactive:
        report.gap("no disk layout given: the installer will ask for one", origin(plan, "interactive"), "storage",
                   "warning")
    elif not has_layout:
        if st.reqpart:
            report.error("reqpart creates only the partitions the firmware needs: add autopart, or part/logvol "
                         "commands for /", origin(st, "reqpart", "reqpart_add_boot"))
        else:
            report.gap("no disk layout: add autopart, or part/volgroup/logvol/raid commands", None, "storage")

    _check_clearpart(st, report)
    requests = _collect_requests(st)
    _check_mountpoints(requests, report)
    _check_filesystems(st, requests, report)
    _check_encryption(plan, st, requests, report)
    _check_lvm(st, report)
    _check_raid(st, report)
    _check_btrfs(st, report)
    _check_autopart(st, report)
    _check_fsoptions(st, report)
    if machine is not None:
        disks = _DiskCheck(plan, machine, product, report)
        disks.run()


# ---------------------------------------------------------------- layout shape

def _collect_requests(st: StorageConfig) -> list[_Request]:
    out: list[_Request] = []
    for p in st.partitions:
        out.append(_Request("part", p.mountpoint, p.fstype, p.origin, p.encrypted, p.encryption))
    for lv in st.logvols:
        out.append(_Request("logvol", lv.mountpoint, lv.fstype, lv.origin, lv.encrypted, lv.encryption))
    for r in st.raids:
        out.append(_Request("raid", r.mountpoint, r.fstype, r.origin, r.encrypted, r.encryption))
    for b in st.btrfs:
        out.append(_Request("btrfs", b.mountpoint, "btrfs", b.origin))
    return out


def _is_member(mountpoint: str | None) -> bool:
    return bool(mountpoint) and mountpoint.split(".", 1)[0] in ("pv", "raid", "btrfs") and "." in mountpoint


def _is_path(mountpoint: str | None) -> bool:
    return bool(mountpoint) and mountpoint not in ("swap", "biosboot", "none") and not _is_member(mountpoint)


def _check_mountpoints(requests: list[_Request], report: Report) -> None:
    seen: dict[str, Origin] = {}
    roots = []
    for r in requests:
        mp = r.mountpoint
        if r.kind == "btrfs" and not mp:
            continue
        if not _is_path(mp):
            if mp and mp.lower() in ("swap", "biosboot", "none") and mp != mp.lower():
                report.error(f"mountpoint {mp!r} must be written {mp.lower()!r}", r.origin)
            continue
        if not mp.startswith("/"):
            report.error(f"mountpoint {mp!r} is not an absolute path (it must start with /)", r.origin)
            continue
        if re.search(r"\s", mp):
            report.error(f"mountpoint {mp!r} contains whitespace", r.origin)
            continue
        norm = posixpath.normpath(mp)
        if norm.startswith("//"):
            norm = "/" + norm.lstrip("/")
        if norm != mp or "/../" in mp + "/" or "/./" in mp + "/":
            report.error(f"mountpoint {mp!r} is not normalized (write {norm!r})", r.origin)
            continue
        if mp in NOT_SEPARATE:
            report.error(f"{mp} cannot be a separate filesystem: it must be on the / filesystem", r.origin)
        if mp in seen:
            report.error(f"mountpoint {mp} is already used{where(seen[mp], r.origin)}", r.origin)
            continue
        seen[mp] = r.origin
        if mp == "/":
            roots.append(r)
    if requests and not roots:
        report.gap("the layout has no root filesystem: add a / mountpoint", requests[0].origin)


def _check_filesystems(st: StorageConfig, requests: list[_Request], report: Report) -> None:
    for r in requests:
        fs = (r.fstype or "").lower() or None
        mp = r.mountpoint
        if fs is None:
            continue
        if _is_member(mp):
            if fs not in CONTAINER_TYPES and fs not in FILESYSTEMS:
                report.error(f"unknown filesystem type {r.fstype!r}{suggest(fs, FILESYSTEMS)}", r.origin)
            continue
        if fs not in FILESYSTEMS:
            report.error(f"unknown filesystem type {r.fstype!r}{suggest(fs, FILESYSTEMS)}; "
                         f"known types: {', '.join(FILESYSTEMS)}", r.origin)
            continue
        if mp == "swap" and fs != "swap":
            report.error(f"swap cannot have filesystem type {fs}", r.origin)
        elif fs == "swap" and mp != "swap":
            report.error(f"filesystem type swap needs the mountpoint 'swap', not {mp!r}", r.origin)
        elif mp == "biosboot" and fs != "biosboot":
            report.error(f"biosboot cannot have filesystem type {fs}", r.origin)
        elif fs == "biosboot" and mp != "biosboot":
            report.error(f"filesystem type biosboot needs the mountpoint 'biosboot', not {mp!r}", r.origin)
        elif mp == "/boot/efi" and fs not in ("efi", "vfat"):
            report.error(f"/boot/efi must be an EFI system partition (--fstype=efi), not {fs}", r.origin)
        elif fs == "efi" and mp != "/boot/efi":
            report.error(f"filesystem type efi is only for /boot/efi, not {mp!r}", r.origin)
        elif mp in ("/", "/usr", "/var", "/boot") and fs not in LINUX_FILESYSTEMS:
            report.error(f"{mp} needs a Linux filesystem ({', '.join(LINUX_FILESYSTEMS)}), not {fs}", r.origin)
        if r.kind == "logvol" and mp in ("/boot/efi", "biosboot"):
            report.error(f"{mp} must be a partition, not a logical volume", r.origin)
    for p in st.partitions:
        if p.mountpoint == "/boot/efi" and p.encrypted:
            report.error("/boot/efi cannot be encrypted: the firmware must read it", p.origin)
        if p.mountpoint == "/boot" and p.encrypted:
            report.error("/boot cannot be encrypted: the boot loader must read it", p.origin)
        _check_sizes(p.size_mib, p.maxsize_mib, p.grow, p.origin, report)
    for lv in st.logvols:
        _check_sizes(lv.size_mib, lv.maxsize_mib, lv.grow, lv.origin, report)
        if lv.percent is not None and not 0 < lv.percent <= 100:
            report.error(f"--percent={lv.percent} is out of range (1-100)", lv.origin)


def _check_sizes(size: int | None, maxsize: int | None, grow: bool, o: Origin, report: Report) -> None:
    if size is not None and size <= 0:
        report.error(f"--size={size} must be a positive size in MiB", o)
    if maxsize is not None and maxsize <= 0:
        report.error(f"--maxsize={maxsize} must be a positive size in MiB", o)
    elif maxsize is not None and size is not None and 0 < maxsize < size:
        report.error(f"--maxsize={maxsize} is smaller than --size={size}", o)


def _check_encryption(plan: InstallPlan, st: StorageConfig, requests: list[_Request], report: Report) -> None:
    encrypted: list[tuple[Encryption | None, Origin | None]] = [
        (r.encryption, r.origin) for r in requests if r.encrypted
    ]
    if st.autopart is not None and st.autopart.encrypted:
        encrypted.append((st.autopart.encryption, origin(st.autopart, "encrypted", "scheme")))
    any_passphrase = any(e is not None and e.passphrase for e, _ in encrypted)
    for enc, o in encrypted:
        if enc is not None and enc.passphrase:
            if len(enc.passphrase.reveal()) < 8:
                report.warning("the encryption passphrase is shorter than 8 characters", o)
        elif not any_passphrase:
            if plan.interactive:
                report.warning("encryption requested without a passphrase: the installer will ask for it", o)
            else:
                report.error("encryption requested without a passphrase: add --passphrase=...", o)
            any_passphrase = True  # one message is enough: a single passphrase serves every device
        if enc is None:
            continue
        version = (enc.luks_version or "luks2").lower()
        if version not in LUKS_VERSIONS:
            report.error(f"--luks-version={enc.luks_version} is not supported (luks1 or luks2)", o)
        if enc.pbkdf is not None:
            if enc.pbkdf.lower() not in PBKDFS:
                report.error(f"--pbkdf={enc.pbkdf} is not supported ({', '.join(PBKDFS)})", o)
            elif version == "luks1" and enc.pbkdf.lower() != "pbkdf2":
                report.error(f"--pbkdf={enc.pbkdf} needs LUKS2; LUKS1 supports only pbkdf2", o)
        if enc.pbkdf_iterations is not None and enc.pbkdf_time is not None:
            report.error("--pbkdf-iterations and --pbkdf-time cannot be used together", o)
        for name, value in (("--pbkdf-memory", enc.pbkdf_memory), ("--pbkdf-time", enc.pbkdf_time),
                            ("--pbkdf-iterations", enc.pbkdf_iterations)):
            if value is not None and value <= 0:
                report.error(f"{name}={value} must be positive", o)


def _check_lvm(st: StorageConfig, report: Report) -> None:
    pvs = {p.mountpoint: p.origin for p in st.partitions if p.mountpoint.startswith("pv.")}
    pvs.update({r.mountpoint: r.origin for r in st.raids if r.mountpoint.startswith("pv.")})
    used: dict[str, Origin] = {}
    vgs: dict[str, Origin] = {}
    for vg in st.volgroups:
        if not LVM_NAME.match(vg.name) or vg.name in (".", ".."):
            report.error(f"invalid volume group name {vg.name!r}", vg.origin)
        if vg.name in vgs:
            report.error(f"volume group {vg.name} is already defined{where(vgs[vg.name], vg.origin)}", vg.origin)
        vgs.setdefault(vg.name, vg.origin)
        if not vg.physvols:
            report.gap(f"volume group {vg.name} has no physical volumes", vg.origin)
        for pv in vg.physvols:
            if pv not in pvs:
                report.gap(f"volume group {vg.name}: physical volume {pv} is not defined "
                             f"(add 'part {pv} ...'){suggest(pv, pvs)}", vg.origin)
            elif pv in used:
                report.error(f"physical volume {pv} is already in a volume group{where(used[pv], vg.origin)}",
                             vg.origin)
            else:
                used[pv] = vg.origin
        if vg.pesize_kib is not None and (vg.pesize_kib <= 0 or vg.pesize_kib & (vg.pesize_kib - 1)):
            report.error(f"--pesize={vg.pesize_kib} must be a power of two in KiB", vg.origin)
    for pv, o in pvs.items():
        if pv not in used:
            report.warning(f"physical volume {pv} is not used by any volume group", o)
    names: dict[tuple[str, str], Origin] = {}
    percents: dict[str, int] = {}
    pools = {(lv.vgname, lv.name) for lv in st.logvols if lv.thin_pool}
    for pool in (lv for lv in st.logvols if lv.thin_pool and lv.size_mib and not lv.grow and not lv.percent):
        thin = sum(lv.size_mib or 0 for lv in st.logvols
                   if lv.pool_name == pool.name and lv.vgname == pool.vgname)
        if thin > pool.size_mib:
            report.error(f"the thin volumes of pool {pool.vgname}/{pool.name} ask for {mib(thin)}, more than its "
                         f"{mib(pool.size_mib)}: azl-install does not over-commit thin pools (give --grow or a "
                         "larger --size)", pool.origin)
    for lv in st.logvols:
        if lv.pool_name and (lv.vgname, lv.pool_name) not in pools:
            report.gap(f"thin volume {lv.name}: no thin pool {lv.pool_name!r} in volume group {lv.vgname}",
                       lv.origin)
        if lv.vgname not in vgs:
            report.gap(f"logical volume {lv.name}: volume group {lv.vgname!r} is not defined"
                         f"{suggest(lv.vgname, vgs)}", lv.origin)
        if not LVM_NAME.match(lv.name or "") or lv.name in (".", "..") or (lv.name or "").startswith("snapshot"):
            report.error(f"invalid logical volume name {lv.name!r}", lv.origin)
        key = (lv.vgname, lv.name)
        if key in names:
            report.error(f"logical volume {lv.vgname}/{lv.name} is already defined{where(names[key], lv.origin)}",
                         lv.origin)
        names.setdefault(key, lv.origin)
        if lv.percent:
            percents[lv.vgname] = percents.get(lv.vgname, 0) + lv.percent
            if percents[lv.vgname] > 100 and lv.percent <= 100:
                report.error(f"the logical volumes of {lv.vgname} ask for {percents[lv.vgname]}% of it", lv.origin)


def _check_raid(st: StorageConfig, report: Report) -> None:
    members = {p.mountpoint: p for p in st.partitions if p.mountpoint.startswith("raid.")}
    used: dict[str, Origin] = {}
    devices: dict[str, Origin] = {}
    for r in st.raids:
        level = normalize_raid_level(r.level)
        if level not in RAID_MIN_MEMBERS:
            report.error(f"RAID level {r.level!r} is not supported ({', '.join(RAID_MIN_MEMBERS)})", r.origin)
        elif len(r.members) < RAID_MIN_MEMBERS[level]:
            report.gap(f"{level} needs at least {RAID_MIN_MEMBERS[level]} members, {r.device} has "
                         f"{len(r.members)}", r.origin)
        if r.device in devices:
            report.error(f"RAID device {r.device} is already defined{where(devices[r.device], r.origin)}", r.origin)
        devices.setdefault(r.device, r.origin)
        disks_used: dict[str, str] = {}
        for m in r.members:
            if m not in members:
                report.gap(f"RAID member {m} is not defined (add 'part {m} ...'){suggest(m, members)}", r.origin)
                continue
            if m in used:
                report.error(f"RAID member {m} is already in a RAID device{where(used[m], r.origin)}", r.origin)
                continue
            used[m] = r.origin
            disk = members[m].ondisk
            if disk and disk in disks_used and level not in ("raid0",):
                report.warning(f"RAID members {disks_used[disk]} and {m} are both on {disk}: "
                               f"{r.device} has no redundancy against a disk failure", r.origin)
            if disk:
                disks_used.setdefault(disk, m)
    for name, p in members.items():
        if name not in used:
            report.warning(f"RAID member {name} is not used by any raid command", p.origin)


def _check_btrfs(st: StorageConfig, report: Report) -> None:
    members = {p.mountpoint: p.origin for p in st.partitions if p.mountpoint.startswith("btrfs.")}
    volumes = [b for b in st.btrfs if not b.subvol]
    refs: set[str] = set()
    for v in volumes:
        refs.update(x for x in (v.name, v.label, v.mountpoint) if x)
        if not v.members:
            report.gap("btrfs volume has no member partitions (add 'part btrfs.NN ...')", v.origin)
        for m in v.members:
            if m not in members:
                report.gap(f"btrfs member {m} is not defined (add 'part {m} ...')", v.origin)
        for flag, level in (("--data", v.data_level), ("--metadata", v.metadata_level)):
            if level is None:
                continue
            lv = normalize_raid_level(level)
            if lv not in BTRFS_LEVELS:
                report.error(f"{flag}={level} is not a btrfs RAID level ({', '.join(BTRFS_LEVELS)})", v.origin)
            elif len(v.members) < BTRFS_LEVELS[lv]:
                report.gap(f"{flag}={lv} needs at least {BTRFS_LEVELS[lv]} member partitions", v.origin)
    for s in st.btrfs:
        if s.subvol:
            if not s.name:
                report.error("btrfs subvolume needs --name", s.origin)
            if not s.parent or s.parent not in refs:
                report.gap(f"btrfs subvolume {s.name or ''}: parent volume {s.parent!r} is not defined",
                             s.origin)


def _check_fsoptions(st: StorageConfig, report: Report) -> None:
    """--fsoptions becomes the fourth field of an /etc/fstab line (fstab(5)): refused here, before any disk
    is touched, rather than by mount after the disks are wiped."""
    for kind, items in (("part", st.partitions), ("logvol", st.logvols), ("raid", st.raids)):
        for req in items:
            problem = mount_options_problem(req.fsoptions) if req.fsoptions is not None else None
            if problem:
                report.error(f"{kind} {req.mountpoint}: --fsoptions={req.fsoptions!r} {problem}", req.origin)


def _check_autopart(st: StorageConfig, report: Report) -> None:
    ap = st.autopart
    if ap is None:
        return
    o = origin(ap, "scheme", "fstype", "encrypted", "nohome", "noswap")
    if ap.scheme not in ("lvm", "plain", "btrfs", "thinp"):
        report.error(f"autopart --type={ap.scheme} is not supported (lvm, thinp, plain or btrfs)", o)
    if ap.fstype:
        fs = ap.fstype.lower()
        if fs not in LINUX_FILESYSTEMS:
            report.error(f"autopart --fstype={ap.fstype} is not usable for / "
                         f"({', '.join(LINUX_FILESYSTEMS)}){suggest(fs, LINUX_FILESYSTEMS)}", o)
        elif ap.scheme == "btrfs" and fs != "btrfs":
            report.error(f"autopart --type=btrfs cannot use --fstype={ap.fstype}", o)


def _check_clearpart(st: StorageConfig, report: Report) -> None:
    cp = st.clearpart
    o = origin(cp, "mode", "drives", "disklabel", "initlabel")
    if cp.mode not in ("none", "all", "linux", "list"):
        report.error(f"clearpart mode {cp.mode!r} is not supported", o)
    if cp.disklabel is not None and cp.disklabel not in ("gpt", "msdos"):
        report.error(f"--disklabel={cp.disklabel} is not supported (gpt or msdos)", o)


# ---------------------------------------------------------------- against the machine

@dataclass
class _Free:
    name: str
    free: int


class _DiskCheck:
    def __init__(self, plan: InstallPlan, machine: Machine, product: Product, report: Report):
        self.plan, self.machine, self.product, self.report = plan, machine, product, report
        self.st = plan.storage
        self.bad_specs: set[str] = set()
        self.reused_mib: dict[int, int] = {}  # id(part --onpart request) -> MiB of the partition it names

    def resolve(self, spec: str, o: Origin | None, what: str, target: bool = True) -> Disk | None:
        disk = self.machine.disk(spec)
        if disk is None and spec.startswith("match:"):
            fits = self.machine.match_candidates(spec)
            self.report.error(f"{what}: {spec[6:]} " + (f"fits {len(fits)} disks ({', '.join(d.name for d in fits)}): "
                              "say more (model, serial or path) so that one disk fits" if fits else
                              "fits no disk that can be installed on") + "; disks: "
                              + ", ".join(d.describe() for d in self.machine.target_disks[:8]), o)
            self.bad_specs.add(spec)
            return None
        if disk is None:
            names = [d.name for d in self.machine.disks]
            self.report.error(f"{what}: no disk {spec!r} on this machine{suggest(spec, names)}; "
                              f"disks: {', '.join(names) or 'none'}", o)
            self.bad_specs.add(spec)
            return None
        if target and disk.is_live_medium:
            self.report.error(f"{what}: {disk.name} is the live installation medium and is never an install "
                              f"target", o)
            self.bad_specs.add(spec)
            return None
        if target and disk.readonly:
            self.report.error(f"{what}: {disk.name} is read-only", o)
            self.bad_specs.add(spec)
            return None
        return disk

    def run(self) -> None:
        st, rep = self.st, self.report
        cp = st.clearpart
        sel_o = origin(st, "selected_disks")
        ign_o = origin(st, "ignored_disks")
        selected = [d for s in st.selected_disks if (d := self.resolve(s, sel_o, "ignoredisk --only-use"))]
        ignored = [d for s in st.ignored_disks if (d := self.resolve(s, ign_o, "ignoredisk --drives", False))]
        cp_o = origin(cp, "drives", "mode")
        cleared = [d for s in cp.drives if (d := self.resolve(s, cp_o, "clearpart --drives"))]

        if st.selected_disks and not selected:
            targets: list[Disk] = []
        elif selected:
            targets = selected
        else:
            targets = list(self.machine.target_disks)
        targets = [d for d in targets if d not in ignored]
        self.targets = targets
        for d in cleared:
            if d not in targets and d.name not in self.bad_specs:
                rep.error(f"clearpart --drives: {d.name} is not among the disks selected for installation "
                          f"({', '.join(t.name for t in targets) or 'none'})", cp_o)
        has_layout = st.autopart is not None or st.custom
        if not targets and not self.bad_specs and has_layout:
            live = self.machine.live_medium
            if live is not None and len(self.machine.disks) == 1:
                why = f"the only disk is the live installation medium {live.name}, which is never a target"
            else:
                why = "every disk is excluded, read-only or the live medium"
            if cp.mode != "none":
                blame = cp_o
            else:
                blame = sel_o or ign_o or (origin(st.autopart, "scheme") if st.autopart else None)
            rep.error(f"no disk to install to: {why}", blame or self._first_layout_origin())
            return

        self._warn_wipes_other_systems(targets, cp_o)
        for p in st.partitions:
            if p.ondisk:
                d = self.resolve(p.ondisk, p.origin, "--ondisk")
                if d is not None and d not in targets:
                    rep.error(f"--ondisk={p.ondisk}: {d.name} is excluded by ignoredisk", p.origin)
        self._check_reused(targets)
        bl = self.plan.bootloader
        bl_o = origin(bl, "boot_drive", "location")
        if bl.boot_drive:
            d = self.resolve(bl.boot_drive, bl_o, "bootloader --boot-drive")
            if d is not None and d not in targets:
                rep.error(f"bootloader --boot-drive={bl.boot_drive}: {d.name} is excluded by ignoredisk", bl_o)
        for spec in bl.driveorder:
            self.resolve(spec, origin(bl, "driveorder"), "bootloader --driveorder", target=False)

        if self.bad_specs:
            return  # sizes are meaningless when disks are unknown
        self._check_firmware_partitions()
        if st.autopart is not None:
            self._check_autopart_size()
        elif st.custom:
            self._check_custom_size()

    def _warn_wipes_other_systems(self, targets: list[Disk], o: Origin | None) -> None:
        """clearpart --all without --drives keeps Anaconda's meaning (every disk in use), but on a
        machine with several disks say which of them hold an operating system or data today."""
        cp = self.st.clearpart
        if cp.mode != "all" or cp.drives or len(targets) < 2:
            return
        holding = [d for d in targets if d.fstype or any(p.fstype for p in d.partitions)]
        if not holding:
            return
        what = "; ".join(f"{d.name} ({_disk_identity(d)}: {_disk_contents(d)})" for d in holding)
        self.report.warning(f"clearpart --all without --drives erases every disk in use "
                            f"({', '.join(d.name for d in targets)}), and these hold an operating system or data "
                            f"today: {what}; name the disks to erase with --drives=, or limit the disks in use "
                            f"with ignoredisk --only-use=", o, "clearpart")

    def _first_layout_origin(self) -> Origin | None:
        st = self.st
        items = [*st.partitions, *st.logvols, *st.raids, *st.btrfs]
        return first_origin(i.origin for i in items)

    # -- firmware needs

    def _disklabel(self) -> str:
        cp = self.st.clearpart
        if cp.disklabel:
            return cp.disklabel
        boot = self.targets[0] if self.targets else None
        if boot is not None and boot.ptable == "dos" and not self._clears_whole(boot):
            return "msdos"
        return self.product.storage.get("disklabel", "gpt")

    def _check_firmware_partitions(self) -> None:
        st, bl = self.st, self.plan.bootloader
        if not st.custom or st.reqpart or bl.disabled or bl.location == "none":
            return
        mps = {p.mountpoint for p in st.partitions} | {(p.fstype or "").lower() for p in st.partitions}
        mps |= {r.mountpoint for r in st.raids}
        first = self._first_layout_origin()
        if self.machine.firmware == "uefi":
            if "/boot/efi" not in mps and "efi" not in mps:
                size = self.product.storage.get("esp_size_mib", 600)
                self.report.gap(f"this UEFI machine needs an EFI system partition: add "
                                  f"'part /boot/efi --fstype=efi --size={size}' or 'reqpart'", first)
        elif self.machine.firmware == "bios" and self._disklabel() == "gpt":
            if "biosboot" not in mps:
                self.report.gap("this BIOS machine boots from a GPT disk and needs a biosboot partition: add "
                                  "'part biosboot --fstype=biosboot --size=1' or 'reqpart'", first)

    # -- space

    def _cleared_by_clearpart(self, disk: Disk, part) -> bool:
        cp = self.st.clearpart
        covered = not cp.drives or any(self.machine.disk(s) is disk for s in cp.drives)
        if cp.mode == "all":
            return covered
        if cp.mode == "linux":
            return covered and part.fstype in LINUX_PARTITION_CONTENT
        if cp.mode == "list":
            listed = {s[5:] if s.startswith("/dev/") else s for s in cp.partitions}
            return part.name in listed
        return False

    def _check_reused(self, targets: list[Disk]) -> None:
        """part --onpart: the partition exists once, on a selected disk, survives clearpart, and
        with --noformat holds a filesystem that suits its mountpoint (as the probe saw it)."""
        rep = self.report
        used: dict[str, Origin | None] = {}
        for p in self.st.partitions:
            if not p.onpart:
                continue
            what = f"--onpart={p.onpart}"
            found = self.machine.partitions_matching(p.onpart)
            if not found:
                names = [q.name for d in self.machine.disks for q in d.partitions]
                rep.error(f"{what}: no such partition on this machine{suggest(p.onpart, names)}; "
                          f"partitions: {', '.join(names) or 'none'}", p.origin)
                self.bad_specs.add(p.onpart)
                continue
            if len(found) > 1:
                rep.error(f"{what} names {len(found)} partitions ({', '.join(q.name for _, q in found)}): "
                          "name one by its device name", p.origin)
                self.bad_specs.add(p.onpart)
                continue
            disk, part = found[0]
            if part.name in used:
                rep.error(f"{what}: {part.name} is already used{where(used[part.name], p.origin)}", p.origin)
                continue
            used[part.name] = p.origin
            self.reused_mib[id(p)] = part.size // MIB
            if disk not in targets:
                rep.error(f"{what}: {part.name} is on {disk.name}, which is not selected for the installation "
                          f"({', '.join(t.name for t in targets) or 'none'})", p.origin)
                continue
            if self._cleared_by_clearpart(disk, part):
                rep.error(f"{what}: clearpart --{self.st.clearpart.mode} removes {part.name}, so it cannot be "
                          "reused: keep it out of the clearing (clearpart --none, or --list of the others)",
                          origin(self.st.clearpart, "mode", "drives") or p.origin)
                continue
            if not p.noformat:
                continue
            have = (part.fstype or "").lower()
            have = "efi" if have == "vfat" and p.mountpoint == "/boot/efi" else have
            if p.mountpoint == "swap":
                if have != "swap":
                    rep.error(f"{what} --noformat: {part.name} holds {part.fstype or 'nothing'}, not swap", p.origin)
            elif have not in FILESYSTEMS or have in ("swap", "biosboot"):
                rep.error(f"{what} --noformat: {part.name} holds {part.fstype or 'no filesystem'}, which cannot be "
                          f"mounted at {p.mountpoint}; drop --noformat to format it", p.origin)
            elif p.mountpoint in ("/", "/usr", "/var", "/boot") and have not in LINUX_FILESYSTEMS:
                rep.error(f"{what} --noformat: {p.mountpoint} needs a Linux filesystem, {part.name} holds "
                          f"{part.fstype}", p.origin)
            elif p.fstype and p.fstype.lower() != have and {p.fstype.lower(), have} != {"efi", "vfat"}:
                rep.error(f"{what} --noformat: {part.name} holds {part.fstype}, not {p.fstype}", p.origin)

    def _clears_whole(self, disk: Disk) -> bool:
        cp = self.st.clearpart
        covered = not cp.drives or any(self.machine.disk(s) is disk for s in cp.drives)
        return cp.mode == "all" and covered

    def available(self, disk: Disk) -> int:
        cp = self.st.clearpart
        covered = not cp.drives or any(self.machine.disk(s) is disk for s in cp.drives)
        if cp.mode == "all" and covered:
            kept = []
        elif cp.mode == "linux" and covered:
            kept = [p for p in disk.partitions if p.fstype not in LINUX_PARTITION_CONTENT]
        elif cp.mode == "list":
            listed = {s[5:] if s.startswith("/dev/") else s for s in cp.partitions}
            kept = [p for p in disk.partitions if p.name not in listed]
        else:
            kept = disk.partitions
            if not disk.partitions and disk.fstype:
                return 0  # a filesystem on the whole disk, not cleared
        return max(0, disk.size - sum(p.size for p in kept) - DISK_OVERHEAD)

    def _describe_space(self, disks: list[Disk], need_mib: float) -> str:
        need = need_mib * MIB
        if len(disks) == 1:
            d = disks[0]
            free = self.available(d)
            free_only = "" if free + DISK_OVERHEAD >= d.size else " free"
            return f"disk {d.name} is too small: the layout needs {gib(need)}, the disk has {gib(free)}{free_only}"
        total = sum(self.available(d) for d in disks)
        each = ", ".join(f"{d.name} {gib(self.available(d))}" for d in disks)
        return f"the selected disks are too small: the layout needs {gib(need)}, they have {gib(total)} ({each})"

    def _autopart_need_mib(self) -> int:
        ap, sp = self.st.autopart, self.product.storage
        need = 0
        if self.machine.firmware == "uefi":
            need += sp.get("esp_size_mib", 600)
        elif self._disklabel() == "gpt":
            need += sp.get("biosboot_size_mib", 1)
        if not ap.noboot:
            need += sp.get("boot_size_mib", 1024)
        need += sp.get("root_min_mib", 2048)
        if not ap.noswap:
            need += swap_size_mib(self.machine.memory)
        if not ap.nohome:
            need += 500
        if ap.encrypted:
            need += LUKS2_HEADER_MIB
        return need

    def _check_autopart_size(self) -> None:
        need = self._autopart_need_mib()
        free = sum(self.available(d) for d in self.targets)
        if need * MIB > free:
            o = origin(self.st.autopart, "scheme", "fstype", "encrypted", "nohome", "noswap")
            self.report.error(self._describe_space(self.targets, need), o)

    def _request_mib(self, mountpoint: str, size: int | None, recommended: bool, fstype: str | None) -> int:
        if size:
            return size
        if recommended and mountpoint == "swap":
            return swap_size_mib(self.machine.memory)
        if mountpoint == "biosboot":
            return self.product.storage.get("biosboot_size_mib", 1)
        if mountpoint == "/boot/efi" or (fstype or "").lower() == "efi":
            return self.product.storage.get("esp_size_mib", 600)
        return 1

    def _check_custom_size(self) -> None:
        st, rep = self.st, self.report
        per_disk: dict[str, int] = {}
        reported: set[str] = set()
        total = 0
        free_total = sum(self.available(d) for d in self.targets)
        total_reported = False
        largest = max((_Free(d.name, self.available(d)) for d in self.targets), key=lambda f: f.free,
                      default=_Free("", 0))
        for p in st.partitions:
            if p.onpart:
                continue  # an existing partition takes no free space
            size = self._request_mib(p.mountpoint, p.size_mib, p.recommended, p.fstype)
            if p.encrypted:
                size += LUKS2_HEADER_MIB if p.size_mib is None else 0
            total += size
            if p.ondisk:
                d = self.machine.disk(p.ondisk)
                if d is not None:
                    per_disk[d.name] = per_disk.get(d.name, 0) + size
                    if per_disk[d.name] * MIB > self.available(d) and d.name not in reported:
                        rep.error(self._describe_space([d], per_disk[d.name]), p.origin)
                        reported.add(d.name)
                        total_reported = True
            if total * MIB > free_total and not total_reported:
                rep.error(self._describe_space(self.targets, total), p.origin)
                total_reported = True
            elif not p.ondisk and self.targets and size * MIB > largest.free and not total_reported:
                rep.error(f"no disk can hold this partition: it needs {mib(size)}, the largest disk "
                          f"({largest.name}) has {gib(largest.free)}", p.origin)
                total_reported = True
        self._check_vg_sizes(total, free_total, total_reported)

    def _check_vg_sizes(self, parts_total: int, free_total: int, total_reported: bool) -> None:
        st, rep = self.st, self.report
        pv_size: dict[str, tuple[int, bool]] = {}
        for p in st.partitions:
            if p.mountpoint.startswith("pv.") and p.onpart:
                if id(p) in self.reused_mib:
                    pv_size[p.mountpoint] = (self.reused_mib[id(p)], False)
            elif p.mountpoint.startswith("pv."):
                pv_size[p.mountpoint] = (self._request_mib(p.mountpoint, p.size_mib, False, p.fstype), p.grow)
        extra = 0
        for vg in st.volgroups:
            lvs = [lv for lv in st.logvols if lv.vgname == vg.name]
            need = sum(self._request_mib(lv.mountpoint, lv.size_mib, lv.recommended, lv.fstype)
                       for lv in lvs if not lv.percent and not lv.pool_name)  # thin volumes live in their pool
            pvs = [pv_size[pv] for pv in vg.physvols if pv in pv_size]
            if len(pvs) != len(vg.physvols):
                continue  # a raid PV or an undefined one (reported above)
            capacity = sum(max(0, s - LVM_PV_OVERHEAD_MIB) for s, _ in pvs)
            growable = any(g for _, g in pvs)
            if need > capacity:
                if not growable:
                    first = next((lv for lv in lvs), None)
                    rep.error(f"volume group {vg.name} is too small: its logical volumes need {mib(need)}, "
                              f"its physical volumes hold {mib(capacity)}", first.origin if first else vg.origin)
                else:
                    extra += need - capacity
                    if (parts_total + extra) * MIB > free_total and not total_reported:
                        culprit = next((lv for lv in lvs), vg)
                        rep.error(self._describe_space(self.targets, parts_total + extra), culprit.origin)
                        total_reported = True


def _disk_identity(d: Disk) -> str:
    model = " ".join(x for x in (d.vendor, d.model) if x) or "disk"
    return f"{model}, {gib(d.size)}, serial {d.serial or '?'}"


def _disk_contents(d: Disk) -> str:
    if d.fstype:
        return f"whole-disk {d.fstype}"
    kinds = [p.fstype + (f" '{p.label}'" if p.label else "") for p in d.partitions if p.fstype]
    return f"{len(d.partitions)} partitions: {', '.join(kinds)}"
