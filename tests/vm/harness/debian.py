"""Debian root filesystems built with debootstrap, without loop devices."""
import os
import shutil
import subprocess
from pathlib import Path

from .paths import BUILD, SUITE, debian_mirror

DEB_CACHE = BUILD / "debcache"

# Module trees a VM never needs; dropping them keeps images and payload writes small.
PRUNE_MODULES = [
    "sound", "drivers/gpu", "drivers/media", "drivers/net/wireless", "drivers/net/ethernet",
    "drivers/net/can", "drivers/net/usb", "drivers/net/wwan", "drivers/net/ieee802154",
    "drivers/net/hamradio", "drivers/net/arcnet", "drivers/net/fddi", "drivers/net/plip",
    "drivers/net/ppp", "drivers/net/slip", "drivers/net/wan", "drivers/net/dsa", "drivers/net/phy",
    "drivers/net/pcs", "drivers/net/mdio", "drivers/net/ipa",
    "drivers/infiniband", "drivers/staging", "drivers/bluetooth", "drivers/iio", "drivers/isdn",
    "drivers/hwmon", "drivers/mtd", "drivers/leds", "drivers/comedi", "drivers/video",
    "drivers/thunderbolt", "drivers/nfc", "drivers/power", "drivers/spi", "drivers/i2c",
    "drivers/misc", "drivers/mfd", "drivers/regulator", "drivers/pinctrl", "drivers/gpio",
    "drivers/edac", "drivers/watchdog", "drivers/memstick", "drivers/w1", "drivers/target",
    "drivers/fpga", "drivers/extcon", "drivers/soundwire", "drivers/counter", "drivers/most",
    "drivers/ntb", "drivers/parport", "drivers/pcmcia", "drivers/atm", "drivers/usb/serial",
    "drivers/usb/gadget", "drivers/usb/misc", "drivers/input/touchscreen", "drivers/input/joystick",
    "drivers/input/tablet", "drivers/input/misc", "drivers/hid/intel-ish-hid", "drivers/platform/chrome",
    "drivers/net/wireguard", "drivers/scsi/qla2xxx", "drivers/scsi/lpfc", "drivers/scsi/mpt3sas",
    "drivers/scsi/megaraid", "drivers/scsi/bfa", "drivers/scsi/qedf", "drivers/scsi/qedi",
    "drivers/scsi/be2iscsi", "drivers/scsi/csiostor", "drivers/scsi/aacraid", "drivers/scsi/smartpqi",
    "drivers/scsi/fnic", "drivers/scsi/pm8001", "drivers/scsi/mpi3mr", "drivers/scsi/qla4xxx",
    "drivers/scsi/hisi_sas", "drivers/scsi/aic7xxx", "drivers/scsi/elx",
    "net/wireless", "net/mac80211", "net/bluetooth", "net/nfc", "net/sunrpc", "net/ceph", "net/rds",
    "fs/nfs", "fs/nfsd", "fs/ceph", "fs/smb", "fs/cifs", "fs/ocfs2", "fs/gfs2", "fs/dlm", "fs/ubifs",
    "fs/f2fs", "fs/jfs", "fs/nilfs2", "fs/afs", "fs/coda", "fs/orangefs", "fs/erofs",
]

STRIP_PATHS = [
    "usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/linda",
    "var/cache/apt", "var/lib/apt/lists", "var/cache/debconf/templates.dat-old",
    "usr/share/locale", "usr/share/i18n/locales", "usr/share/bug", "usr/share/groff",
    "var/log/apt", "var/log/dpkg.log", "var/log/bootstrap.log", "usr/share/common-licenses",
]


def run(cmd, **kw):
    kw.setdefault("check", True)
    return subprocess.run(cmd, **kw)


def chroot(root: Path, *cmd, env=None, **kw):
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive",
         "LANG": "C.UTF-8", "HOME": "/root"}
    e.update(env or {})
    return run(["chroot", str(root), *cmd], env=e, **kw)


def debootstrap(root: Path, packages: list[str], log: Path, cache: str = "shared") -> None:
    """debootstrap with a .deb cache per caller (concurrent builds never share one)."""
    cache_dir = DEB_CACHE / cache
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = ["debootstrap", "--variant=minbase", f"--cache-dir={cache_dir}",
           "--include=" + ",".join(packages), SUITE, str(root), debian_mirror()]
    # INITRD=No: the kernel's postinst skips its initramfs; callers build their own.
    env = {**os.environ, "INITRD": "No"}
    with open(log, "ab") as f:
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
    if r.returncode:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        raise RuntimeError(f"debootstrap failed ({r.returncode}):\n" + "\n".join(tail))


def kernel_version(root: Path) -> str:
    mods = sorted(p.name for p in (root / "lib/modules").iterdir())
    if not mods:
        raise RuntimeError(f"no kernel in {root}")
    return mods[-1]


def prune_modules(root: Path) -> None:
    kver = kernel_version(root)
    base = root / "lib/modules" / kver / "kernel"
    for rel in PRUNE_MODULES:
        p = base / rel
        if p.exists():
            shutil.rmtree(p)
    chroot(root, "depmod", "-a", kver)


def strip(root: Path, keep_locale=("C.UTF-8",)) -> None:
    for rel in STRIP_PATHS:
        p = root / rel
        if p.is_dir():
            shutil.rmtree(p)
            p.mkdir(parents=True, exist_ok=True) if rel.startswith("var/") else None
        elif p.exists():
            p.unlink()
    (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)
    for pyc in root.glob("usr/lib/python3*/**/__pycache__"):
        shutil.rmtree(pyc, ignore_errors=True)
    dpkg_excludes = (root / "etc/dpkg/dpkg.cfg.d/azl-nodoc")
    dpkg_excludes.parent.mkdir(parents=True, exist_ok=True)
    dpkg_excludes.write_text(
        "path-exclude /usr/share/doc/*\npath-exclude /usr/share/man/*\n"
        "path-exclude /usr/share/info/*\npath-exclude /usr/share/locale/*\n")


def write(root: Path, rel: str, text: str, mode=0o644) -> Path:
    p = root / rel.lstrip("/")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    os.chmod(p, mode)
    return p


def enable_unit(root: Path, unit: str, target="multi-user.target") -> None:
    wants = root / "etc/systemd/system" / f"{target}.wants"
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / unit
    if not link.exists():
        link.symlink_to(f"/etc/systemd/system/{unit}")


def dir_size(root: Path) -> int:
    out = run(["du", "-s", "--block-size=1", "-x", str(root)], capture_output=True, text=True).stdout
    return int(out.split()[0])


def make_ext4(root: Path, image: Path, label: str, extra_bytes=256 << 20) -> None:
    size = int(dir_size(root) * 1.25) + extra_bytes
    if image.exists():
        image.unlink()
    with open(image, "wb") as f:
        f.truncate(size)
    run(["mkfs.ext4", "-q", "-F", "-L", label, "-E", "root_owner=0:0", "-d", str(root), str(image)],
        stdout=subprocess.DEVNULL)
