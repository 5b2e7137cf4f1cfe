"""Finding systems azl-install installed earlier (installer.probe.previous).

Unit: the look over a scripted command runner whose `mount` fills the private directory with a
made-up root, so every command the scan would run is seen (read-only options, unmount after
each mount, LVM activated read-only and deactivated, LUKS only recognised, fail closed).
Root: real filesystems (ext4, xfs, btrfs, LVM) on loop devices, whose bytes must not change."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from installer.model.machine import Disk, Machine, Partition
from installer.probe import previous
from installer.probe.previous import SAVED_KS, LockedVolume, Scanner, mount_options, mounted_sources, read_saved

HEADER = "# Kickstart written by azl-install for Azure Linux 4.0 (kickstart syntax F43).\n"
KS = HEADER + "cmdline\nnetwork --hostname=lab7.example.test\nignoredisk --only-use=vda\n"
GiB = 1 << 30


def test_the_saved_kickstart_is_where_the_save_step_writes_it():
    from installer.steps.save import INSTALLED_KS

    assert "/" + SAVED_KS == INSTALLED_KS


@pytest.mark.parametrize("fstype, must", [("ext4", "noload"), ("ext3", "noload"), ("xfs", "norecovery"),
                                          ("btrfs", "nologreplay")])
def test_every_filesystem_is_mounted_read_only_without_journal_replay(fstype, must):
    opts = mount_options(fstype).split(",")
    assert opts[0] == "ro" and must in ",".join(opts)
    assert {"nodev", "nosuid", "noexec"} <= set(opts)


@pytest.mark.parametrize("fstype", [None, "vfat", "ntfs", "swap", "crypto_LUKS", "LVM2_member", "iso9660", "zfs"])
def test_other_contents_are_not_mounted(fstype):
    assert mount_options(fstype) is None


def make_root(tmp_path: Path, ks: str | None = KS, hostname: str | None = "lab7") -> Path:
    root = tmp_path / "root-fs"
    (root / "root").mkdir(parents=True)
    (root / "etc").mkdir()
    if ks is not None:
        (root / SAVED_KS).write_text(ks)
    if hostname is not None:
        (root / "etc/hostname").write_text(hostname + "\n")
    return root


def test_read_saved_returns_the_text_hostname_and_date(tmp_path):
    root = make_root(tmp_path)
    os.utime(root / SAVED_KS, (1764576000, 1764576000))
    assert read_saved(root) == (KS, "lab7", "2025-12-01 08:00 UTC")


def test_read_saved_takes_the_hostname_from_the_kickstart_when_etc_hostname_is_missing(tmp_path):
    assert read_saved(make_root(tmp_path, hostname=None))[1] == "lab7.example.test"


@pytest.mark.parametrize("case", ["missing", "foreign", "symlink", "huge", "binary"])
def test_read_saved_offers_nothing_it_cannot_trust(tmp_path, case):
    root = make_root(tmp_path, ks=None)
    ks = root / SAVED_KS
    if case == "foreign":
        ks.write_text("# written by someone else\ncmdline\n")
    elif case == "symlink":
        (root / "elsewhere.cfg").write_text(KS)
        ks.symlink_to(root / "elsewhere.cfg")
    elif case == "huge":
        ks.write_text(HEADER + "#" * (previous.MAX_KS_BYTES + 1))
    elif case == "binary":
        ks.write_bytes(HEADER.encode() + b"\xff\xfe\x00")
    assert read_saved(root) is None


def test_mounted_sources_reads_block_devices_only():
    text = "/dev/sda2 / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/mapper/vg-home /home xfs rw 0 0\n"
    got = mounted_sources(text)
    assert os.path.realpath("/dev/sda2") in got and os.path.realpath("/dev/mapper/vg-home") in got
    assert len(got) == 2


class FakeHost:
    """A command runner: `mount DEV DIR` fills DIR with the root DEV holds (or fails); `umount` empties it."""

    def __init__(self, roots: dict, lvs: str = "", lvs_rc: int = 0, blkid: dict | None = None,
                 refuse: set = frozenset()):
        self.roots = roots
        self.lvs = lvs
        self.lvs_rc = lvs_rc
        self.blkid = blkid or {}
        self.refuse = refuse
        self.calls: list[list[str]] = []
        self.mounted: dict[str, str] = {}

    def __call__(self, argv, input_text=None):
        self.calls.append(list(argv))
        ok = SimpleNamespace(returncode=0, stdout="", stderr="")
        if argv[0] == "mount":
            dev, where = argv[-2], argv[-1]
            if dev in self.refuse or dev not in self.roots:
                return SimpleNamespace(returncode=32, stdout="", stderr=f"mount: {dev}: wrong fs type")
            shutil.copytree(self.roots[dev], where, dirs_exist_ok=True, symlinks=True)
            self.mounted[where] = dev
        elif argv[0] == "umount":
            where = argv[-1]
            for child in Path(where).iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
            self.mounted.pop(where, None)
        elif argv[:2] == ["lvm", "lvs"]:
            return SimpleNamespace(returncode=self.lvs_rc, stdout=self.lvs, stderr="" if not self.lvs_rc else "no")
        elif argv[0] == "blkid":
            fstype = self.blkid.get(argv[-1])
            return SimpleNamespace(returncode=0 if fstype else 2, stdout=(fstype or "") + "\n", stderr="")
        return ok

    def mounts(self):
        return [c for c in self.calls if c[0] == "mount"]


def machine(*disks) -> Machine:
    return Machine(disks=list(disks))


def part(disk: str, n: int, fstype: str | None) -> Partition:
    return Partition(name=f"{disk}{n}", path=f"/dev/{disk}{n}", number=n, size=GiB, fstype=fstype)


def test_a_plain_root_partition_is_found_and_every_mount_is_undone(tmp_path):
    root = make_root(tmp_path)
    host = FakeHost({"/dev/vda3": root, "/dev/vda2": tmp_path / "empty"})
    (tmp_path / "empty").mkdir()
    m = machine(Disk(name="vda", path="/dev/vda", size=20 * GiB,
                     partitions=[part("vda", 1, "vfat"), part("vda", 2, "ext4"), part("vda", 3, "xfs")]))
    found = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path)).scan()
    assert [(i.device, i.disks, i.hostname, i.kickstart) for i in found.installs] == [
        ("/dev/vda3", ("vda",), "lab7", KS)]
    assert [c[-2] for c in host.mounts()] == ["/dev/vda2", "/dev/vda3"]  # vfat is not looked into
    for call in host.mounts():
        assert call[1:4] == ["-t", call[2], "-o"] and call[4].startswith("ro,")
    assert len([c for c in host.calls if c[0] == "umount"]) == 2 and not host.mounted
    assert not list(tmp_path.glob("azl-previous-*"))  # the private directories are gone


def test_a_volume_that_cannot_be_mounted_is_not_offered(tmp_path):
    host = FakeHost({"/dev/sda1": make_root(tmp_path)}, refuse={"/dev/sda1"})
    m = machine(Disk(name="sda", path="/dev/sda", size=GiB, partitions=[part("sda", 1, "ext4")]))
    found = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path)).scan()
    assert found.installs == [] and "cannot mount read-only" in found.skipped[0]
    assert not [c for c in host.calls if c[0] == "umount"]


def test_mounted_volumes_and_the_live_medium_are_left_alone(tmp_path):
    root = make_root(tmp_path)
    host = FakeHost({"/dev/sda1": root, "/dev/sdb1": root})
    m = machine(Disk(name="sda", path="/dev/sda", size=GiB, partitions=[part("sda", 1, "ext4")]),
                Disk(name="sdb", path="/dev/sdb", size=GiB, partitions=[part("sdb", 1, "ext4")],
                     is_live_medium=True))
    found = Scanner(m, run=host, mounts_text="/dev/sda1 / ext4 rw 0 0\n", workdir=str(tmp_path)).scan()
    assert found.installs == [] and host.mounts() == []
    assert found.skipped == ["/dev/sda1: mounted (in use)"]


def test_an_inactive_lvm_root_is_activated_read_only_and_deactivated_again(tmp_path):
    root = make_root(tmp_path)
    lvs = ("  azurelinux|root|-wi-------|/dev/vda3(0)\n  azurelinux|swap|-wi-------|/dev/vda3(2560)\n"
           "  azurelinux|pool|twi-------|/dev/vda3(3000)\n")
    host = FakeHost({"/dev/azurelinux/root": root}, lvs=lvs,
                    blkid={"/dev/azurelinux/root": "xfs", "/dev/azurelinux/swap": "swap"})
    m = machine(Disk(name="vda", path="/dev/vda", size=20 * GiB,
                     partitions=[part("vda", 1, "vfat"), part("vda", 2, "xfs"), part("vda", 3, "LVM2_member")]))
    found = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path)).scan()
    assert [(i.device, i.disks) for i in found.installs] == [("/dev/azurelinux/root", ("vda",))]
    lvm = [c for c in host.calls if c[0] == "lvm"]
    assert lvm[0][:3] == ["lvm", "lvs", "--readonly"]
    activations = [c for c in lvm if c[1] == "lvchange" and "-ay" in c]
    assert [c[-1] for c in activations] == ["azurelinux/root", "azurelinux/swap"]  # not the thin pool
    for c in activations:
        assert 'read_only_volume_list = [ "azurelinux" ]' in c[c.index("--config") + 1]
    assert [c[-1] for c in lvm if c[1] == "lvchange" and "-an" in c] == ["azurelinux/root", "azurelinux/swap"]


def test_an_active_lv_is_read_where_it_is_and_left_active(tmp_path):
    host = FakeHost({"/dev/vg0/root": make_root(tmp_path)}, lvs="  vg0|root|-wi-ao----|/dev/sda2(0)\n",
                    blkid={"/dev/vg0/root": "ext4"})
    m = machine(Disk(name="sda", path="/dev/sda", size=GiB, partitions=[part("sda", 2, "LVM2_member")]))
    found = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path)).scan()
    assert len(found.installs) == 1
    assert not [c for c in host.calls if c[:2] == ["lvm", "lvchange"]]


def test_a_volume_group_reaching_other_disks_is_not_offered(tmp_path):
    host = FakeHost({"/dev/vg0/root": make_root(tmp_path)},
                    lvs="  vg0|root|-wi-a-----|/dev/sda2(0),/dev/sdz1(0)\n", blkid={"/dev/vg0/root": "ext4"})
    m = machine(Disk(name="sda", path="/dev/sda", size=GiB, partitions=[part("sda", 2, "LVM2_member")]))
    found = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path)).scan()
    assert found.installs == [] and host.mounts() == []
    assert "spans disks outside" in found.skipped[0]


def test_lvm_that_cannot_be_listed_offers_nothing(tmp_path):
    host = FakeHost({}, lvs_rc=5)
    m = machine(Disk(name="sda", path="/dev/sda", size=GiB, partitions=[part("sda", 2, "LVM2_member")]))
    found = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path)).scan()
    assert found.installs == [] and "cannot list" in found.skipped[0]


def test_luks_is_recognised_and_opened_read_only_only_with_its_passphrase(tmp_path):
    root = make_root(tmp_path)
    host = FakeHost({}, blkid={})
    m = machine(Disk(name="vda", path="/dev/vda", size=GiB, partitions=[part("vda", 3, "crypto_LUKS")]))
    scanner = Scanner(m, run=host, mounts_text="", workdir=str(tmp_path))
    found = scanner.scan()
    assert found.installs == [] and found.locked == [LockedVolume("/dev/vda3", "vda")]
    assert host.calls == []  # recognising it runs nothing
    inner = f"/dev/mapper/azl-previous-{os.getpid()}"
    host.roots[inner] = root
    host.blkid[inner] = "ext4"
    assert scanner.unlock_and_scan(found.locked[0], "the-passphrase")
    opened = host.calls[0]
    assert opened[:3] == ["cryptsetup", "open", "--readonly"] and "the-passphrase" not in opened
    assert host.calls[-1] == ["cryptsetup", "close", f"azl-previous-{os.getpid()}"]
    assert [(i.device, i.encrypted) for i in scanner.found.installs] == [(inner, True)]


def test_a_wrong_luks_passphrase_opens_nothing(tmp_path):
    def refuse(argv, input_text=None):
        return SimpleNamespace(returncode=2, stdout="", stderr="No key available with this passphrase.")
    scanner = Scanner(machine(), run=refuse, mounts_text="", workdir=str(tmp_path))
    assert not scanner.unlock_and_scan(LockedVolume("/dev/vda3", "vda"), "wrong")
    assert scanner.found.installs == []


# --- root: real filesystems on loop devices; their bytes must not change --------------------------

def _need_root(*tools):
    if os.geteuid() != 0:
        pytest.skip("needs root (loop devices, mount)")
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fill(dev: str, tmp_path: Path, ks: str) -> None:
    where = tmp_path / "fill"
    where.mkdir(exist_ok=True)
    subprocess.run(["mount", dev, str(where)], check=True)
    try:
        (where / "root").mkdir()
        (where / SAVED_KS).write_text(ks)
        (where / "etc").mkdir()
        (where / "etc/hostname").write_text("looped\n")
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def loop(tmp_path):
    devices = []

    def attach(name: str, size: int = 320 << 20) -> tuple[str, Path]:
        image = tmp_path / f"{name}.img"
        with open(image, "wb") as fh:
            fh.truncate(size)
        dev = subprocess.run(["losetup", "-f", "--show", str(image)], check=True, capture_output=True,
                             text=True).stdout.strip()
        devices.append(dev)
        return dev, image
    yield attach
    for dev in devices:
        subprocess.run(["losetup", "-d", dev], check=False)


@pytest.mark.root
@pytest.mark.parametrize("fstype, mkfs", [("ext4", ["mkfs.ext4", "-q"]), ("xfs", ["mkfs.xfs", "-q"]),
                                          ("btrfs", ["mkfs.btrfs", "-q"])])
def test_real_filesystems_are_found_without_changing_a_byte(tmp_path, loop, fstype, mkfs):
    _need_root("losetup", mkfs[0])
    dev, image = loop(fstype)
    subprocess.run([*mkfs, dev], check=True, capture_output=True)
    _fill(dev, tmp_path, KS)
    before = _sha(image)
    m = machine(Disk(name=Path(dev).name, path=dev, size=320 << 20, fstype=fstype))
    found = Scanner(m, workdir=str(tmp_path)).scan()
    assert [(i.device, i.hostname, i.kickstart) for i in found.installs] == [(dev, "looped", KS)], found.skipped
    assert _sha(image) == before
    assert os.path.realpath(dev) not in mounted_sources()


@pytest.mark.root
def test_a_real_inactive_lvm_root_is_found_read_only_and_left_inactive(tmp_path, loop):
    _need_root("losetup", "lvm", "mkfs.ext4")
    if shutil.which("dmsetup") is None or subprocess.run(["dmsetup", "targets"], capture_output=True).returncode:
        pytest.skip("no device-mapper in this kernel/container (the cfg-replay VM proof reads an LVM root)")
    dev, image = loop("lvm")
    vg = f"azlprev{os.getpid()}"
    run = lambda *a: subprocess.run(["lvm", *a], check=True, capture_output=True)  # noqa: E731
    run("pvcreate", "-q", dev)
    run("vgcreate", "-q", vg, dev)
    try:
        run("lvcreate", "-q", "-y", "-n", "root", "-L", "200m", "-Wn", "-Zn", vg)
        subprocess.run(["udevadm", "settle"], check=False)
        subprocess.run(["mkfs.ext4", "-q", f"/dev/{vg}/root"], check=True, capture_output=True)
        _fill(f"/dev/{vg}/root", tmp_path, KS)
        run("vgchange", "-q", "-an", vg)
        before = _sha(image)
        m = machine(Disk(name=Path(dev).name, path=dev, size=320 << 20, fstype="LVM2_member"))
        found = Scanner(m, workdir=str(tmp_path)).scan()
        assert [(i.device, i.disks) for i in found.installs] == [(f"/dev/{vg}/root", (Path(dev).name,))], \
            found.skipped
        attr = subprocess.run(["lvm", "lvs", "--noheadings", "-o", "lv_attr", f"{vg}/root"], check=True,
                              capture_output=True, text=True).stdout.strip()
        assert attr[4] != "a", attr  # deactivated again
        assert _sha(image) == before
    finally:
        subprocess.run(["lvm", "vgchange", "-q", "-an", vg], check=False, capture_output=True)
        subprocess.run(["lvm", "vgremove", "-q", "-f", vg], check=False, capture_output=True)
