"""Systems azl-install installed earlier on this machine's disks, found by the kickstart each
install saved (/root/installer-ks.cfg on the target's root filesystem).

Looking never writes: every filesystem is mounted read-only with journal/log replay off (ext3/4
`noload`, xfs `norecovery`, btrfs `rescue=nologreplay`), plus nodev,nosuid,noexec, on a private
0700 directory, and unmounted before the next one. Filesystems that are already mounted are
left alone (the running system is not a reinstall candidate). LVM: a logical volume that is not
active is activated for the look with every LV of its volume group listed in
activation/read_only_volume_list (a read-only device-mapper table; activation writes no LVM
metadata), and deactivated again afterwards. LUKS: the container is only recognised (it is a
candidate that needs its passphrase); with the passphrase it is opened `--readonly`, looked
into the same way and closed. Anything that fails on the way (unknown filesystem, mount
refused, unreadable file, a file too big to be a saved kickstart) means that volume is simply
not offered: fail closed."""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from installer.model.machine import Machine

# Where the install's save step writes the replayable kickstart, relative to the target root
# (installer.steps.save.INSTALLED_KS; tests/probe/test_previous.py keeps the two equal).
SAVED_KS = "root/installer-ks.cfg"
MAX_KS_BYTES = 1 << 20  # a saved kickstart is a few KiB; anything larger is not one of ours

# Mount options that make mounting a read: no journal or log replay, nothing executable.
READ_ONLY_OPTIONS = {
    "ext4": "ro,noload",
    "ext3": "ro,noload",
    "ext2": "ro",
    "xfs": "ro,norecovery",
    "btrfs": "ro,rescue=nologreplay",
}
SAFE_FLAGS = "nodev,nosuid,noexec"
LUKS, LVM_PV = "crypto_LUKS", "LVM2_member"


@dataclass(frozen=True)
class PreviousInstall:
    device: str  # the block device of the root filesystem holding the saved kickstart
    disks: tuple[str, ...]  # kernel names of the disks that device lives on (PVs and LUKS followed)
    kickstart: str  # the saved kickstart (hashes only; never a LUKS passphrase)
    hostname: str | None = None  # /etc/hostname of that system
    installed: str | None = None  # UTC date-time the kickstart was saved (ISO 8601, seconds)
    encrypted: bool = False  # the root is inside LUKS: replaying it needs the passphrase again

    def describe(self) -> str:
        when = f" installed {self.installed}" if self.installed else ""
        lock = ", encrypted" if self.encrypted else ""
        return f"{self.hostname or 'unnamed system'} on {', '.join(self.disks)}{when}{lock}"


@dataclass(frozen=True)
class LockedVolume:
    """A LUKS container on a disk: it may hold a previous install; only its passphrase can tell."""

    device: str
    disk: str


@dataclass
class Found:
    installs: list[PreviousInstall] = field(default_factory=list)
    locked: list[LockedVolume] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "DEVICE: why" for volumes not offered


def run_cmd(argv: list[str], input_text: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(argv, input=input_text, capture_output=True, text=True, timeout=60, check=False)


def mount_options(fstype: str | None) -> str | None:
    """The read-only mount options for fstype, None when it is not a filesystem we look into."""
    ro = READ_ONLY_OPTIONS.get(fstype or "")
    return f"{ro},{SAFE_FLAGS}" if ro else None


def mounted_sources(mounts_text: str | None = None) -> set[str]:
    """Real paths of every block device mounted now (from /proc/self/mounts)."""
    if mounts_text is None:
        try:
            mounts_text = Path("/proc/self/mounts").read_text()
        except OSError:
            return set()
    out = set()
    for line in mounts_text.splitlines():
        source = line.split(" ", 1)[0]
        if source.startswith("/dev/"):
            out.add(os.path.realpath(source.replace("\\040", " ")))
    return out


def read_saved(root: Path) -> tuple[str, str | None, str | None] | None:
    """(kickstart text, hostname, install date) from a mounted root, None when it holds no saved kickstart."""
    ks = root / SAVED_KS
    try:
        if ks.is_symlink() or not ks.is_file():
            return None
        st = ks.stat()
        if st.st_size > MAX_KS_BYTES:
            return None
        text = ks.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if not text.startswith("# Kickstart written by azl-install"):
        return None
    hostname = None
    host = root / "etc/hostname"
    try:
        if not host.is_symlink() and host.is_file() and host.stat().st_size < 4096:
            hostname = host.read_text(errors="replace").strip() or None
    except OSError:
        hostname = None
    if hostname is None:
        m = re.search(r"^network\b.*--hostname=(\S+)", text, re.MULTILINE)
        hostname = m.group(1).strip("'\"") if m else None
    when = _dt.datetime.fromtimestamp(st.st_mtime, _dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return text, hostname, when


class Scanner:
    """Looks into volumes one at a time; `run` is the command runner (tests pass their own)."""

    def __init__(self, machine: Machine, run=run_cmd, mounts_text: str | None = None, workdir: str | None = None):
        self.machine = machine
        self.run = run
        self.busy = mounted_sources(mounts_text)
        self.workdir = workdir
        self.found = Found()

    # -- one filesystem

    def look(self, device: str, fstype: str | None, disks: tuple[str, ...], encrypted: bool = False) -> None:
        opts = mount_options(fstype)
        if opts is None:
            return
        if os.path.realpath(device) in self.busy:
            self.found.skipped.append(f"{device}: mounted (in use)")
            return
        where = tempfile.mkdtemp(prefix="azl-previous-", dir=self.workdir)
        try:
            os.chmod(where, 0o700)
            proc = self.run(["mount", "-t", fstype, "-o", opts, device, where])
            if proc.returncode != 0:
                self.found.skipped.append(f"{device}: cannot mount read-only ({proc.stderr.strip()[:200]})")
                return
            try:
                hit = self._search(Path(where), fstype)
            finally:
                if self.run(["umount", where]).returncode != 0:
                    self.run(["umount", "-l", where])
            if hit is not None:
                text, hostname, when = hit
                self.found.installs.append(PreviousInstall(device, disks, text, hostname, when, encrypted))
        finally:
            try:
                os.rmdir(where)
            except OSError:
                pass

    @staticmethod
    def _search(root: Path, fstype: str) -> tuple[str, str | None, str | None] | None:
        hit = read_saved(root)
        if hit is None and fstype == "btrfs":  # the root may be a subvolume of the top level
            try:
                subdirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink())
            except OSError:
                return None
            for sub in subdirs[:32]:
                hit = read_saved(sub)
                if hit is not None:
                    break
        return hit

    # -- what the disks hold

    def scan(self) -> Found:
        pvs: dict[str, str] = {}  # PV device -> disk name
        for disk in self.machine.target_disks:
            if disk.readonly:
                continue
            volumes = [(p.path, p.fstype) for p in disk.partitions] or [(disk.path, disk.fstype)]
            for path, fstype in volumes:
                if fstype == LUKS:
                    self.found.locked.append(LockedVolume(path, disk.name))
                elif fstype == LVM_PV:
                    pvs[os.path.realpath(path)] = disk.name
                else:
                    self.look(path, fstype, (disk.name,))
        if pvs:
            self.scan_lvm(pvs)
        return self.found

    def scan_lvm(self, pvs: dict[str, str], encrypted: bool = False) -> None:
        """Look into the LVs of volume groups whose PVs are in pvs (device -> disk name)."""
        proc = self.run(["lvm", "lvs", "--readonly", "--noheadings", "--separator", "|", "-o",
                         "vg_name,lv_name,lv_attr,devices"])
        if proc.returncode != 0:
            self.found.skipped.append(f"LVM: cannot list logical volumes ({proc.stderr.strip()[:200]})")
            return
        vgs: dict[str, dict] = {}
        for line in proc.stdout.splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4 or not parts[0]:
                continue
            vg, lv, attr, devices = parts
            entry = vgs.setdefault(vg, {"lvs": {}, "disks": set(), "foreign": False})
            entry["lvs"][lv] = attr
            for dev in filter(None, (d.split("(")[0] for d in devices.split(","))):
                disk = pvs.get(os.path.realpath(dev))
                if disk is None:
                    entry["foreign"] = True
                else:
                    entry["disks"].add(disk)
        for vg, entry in sorted(vgs.items()):
            if not entry["disks"]:
                continue
            if entry["foreign"]:  # part of it is on a disk we were not asked about: not ours to offer
                self.found.skipped.append(f"volume group {vg}: spans disks outside the target disks")
                continue
            disks = tuple(sorted(entry["disks"]))
            for lv, attr in sorted(entry["lvs"].items()):
                if attr[:1] not in ("-", "o", "V", "r", "m", "C"):
                    continue  # pools, snapshots, images and logs hold no root filesystem of ours
                self.look_lv(vg, lv, attr, disks, encrypted)

    def look_lv(self, vg: str, lv: str, attr: str, disks: tuple[str, ...], encrypted: bool) -> None:
        path = f"/dev/{vg}/{lv}"
        active = len(attr) > 4 and attr[4] == "a"
        if not active:
            config = "activation { read_only_volume_list = [ \"" + vg + "\" ] }"
            proc = self.run(["lvm", "lvchange", "-ay", "-K", "--config", config, f"{vg}/{lv}"])
            if proc.returncode != 0:
                self.found.skipped.append(f"{path}: cannot activate read-only ({proc.stderr.strip()[:200]})")
                return
        try:
            proc = self.run(["blkid", "-p", "-o", "value", "-s", "TYPE", path])
            fstype = proc.stdout.strip() if proc.returncode == 0 else None
            self.look(path, fstype, disks, encrypted)
        finally:
            if not active:
                self.run(["lvm", "lvchange", "-an", f"{vg}/{lv}"])

    # -- LUKS, with its passphrase

    def unlock_and_scan(self, volume: LockedVolume, passphrase: str) -> bool:
        """Open the container read-only, look inside (a filesystem or LVM), close it. False: wrong passphrase."""
        name = f"azl-previous-{os.getpid()}"
        proc = self.run(["cryptsetup", "open", "--readonly", "--type", "luks", "--key-file=-", volume.device, name],
                        input_text=passphrase)
        if proc.returncode != 0:
            return False
        inner = f"/dev/mapper/{name}"
        try:
            blk = self.run(["blkid", "-p", "-o", "value", "-s", "TYPE", inner])
            fstype = blk.stdout.strip() if blk.returncode == 0 else None
            if fstype == LVM_PV:
                self.scan_lvm({os.path.realpath(inner): volume.disk}, encrypted=True)
                vgs = self.run(["lvm", "pvs", "--readonly", "--noheadings", "-o", "vg_name", inner])
                for vg in filter(None, (v.strip() for v in vgs.stdout.splitlines())):
                    self.run(["lvm", "vgchange", "-an", vg])
            else:
                self.look(inner, fstype, (volume.disk,), encrypted=True)
        finally:
            self.run(["cryptsetup", "close", name])
        return True


def find_previous(machine: Machine, run=run_cmd) -> Found:
    """Every system azl-install installed on machine's target disks (read-only; see the module text)."""
    if shutil.which("mount", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None:
        return Found(skipped=["mount is not available"])
    return Scanner(machine, run=run).scan()
