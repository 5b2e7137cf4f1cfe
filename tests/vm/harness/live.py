"""The live test environment: a Debian root image with the installer's
dependencies, booted directly (kernel + initrd) in QEMU.

The installer's own code is never baked in: the guest mounts the working
tree over virtio-9p at boot (see guest/azl-harness-job), so editing
installer/ needs no rebuild.
"""
import inspect
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import debian
from .cache import cached, input_hash
from .paths import GUEST_FILES, REPO

LIVE_PACKAGES = [
    "systemd-sysv", "udev", "dbus", "kmod", "procps", "iproute2", "less",
    "python3", "python3-venv", "python3-pyudev", "python3-parted", "python3-bytesize",
    "python3-gi", "python3-blockdev", "gir1.2-blockdev-2.0",
    "libblockdev-part2", "libblockdev-fs2", "libblockdev-lvm2", "libblockdev-crypto2",
    "libblockdev-swap2", "libblockdev-loop2", "libblockdev-mdraid2", "libblockdev-btrfs2",
    "libblockdev-dm2",
    "parted", "fdisk", "gdisk", "e2fsprogs", "xfsprogs", "dosfstools", "ntfs-3g", "lvm2",
    "cryptsetup", "mdadm", "btrfs-progs", "dnf", "rpm", "squashfs-tools", "zstd", "tar",
    "openssh-client", "linux-image-amd64", "initramfs-tools", "kpartx", "efibootmgr",
]

WHEEL_REQUIREMENTS = ["pykickstart>=3.66", "textual>=8.2.5,<9", "rich"]
BLIVET = "blivet==3.7.1"

# Drivers the live initrd needs to find its root on any bus the harness uses.
INITRD_MODULES = [
    "virtio_pci", "virtio_blk", "virtio_scsi", "nvme", "ahci", "sd_mod", "usb_storage", "uas",
    "xhci_pci", "xhci_hcd", "ehci_pci", "ext4", "9p", "9pnet_virtio",
]

LIVE_LABEL = "AZL-LIVE"


@dataclass
class LiveEnv:
    dir: Path

    @property
    def kernel(self) -> Path:
        return self.dir / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.dir / "initrd.img"

    @property
    def root_image(self) -> Path:
        return self.dir / "root.img"


def build_wheels() -> Path:
    key = input_hash("wheels-v2", WHEEL_REQUIREMENTS, BLIVET, "py3.11")

    def build(out: Path):
        py = "/usr/bin/python3"
        subprocess.run([py, "-m", "pip", "wheel", "-q", "-w", str(out), *WHEEL_REQUIREMENTS],
                       check=True)
        subprocess.run([py, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), BLIVET],
                       check=True)
    return cached("wheels", key, build)


def _guest_files() -> list[Path]:
    return sorted(p for p in GUEST_FILES.rglob("*") if p.is_file())


def base_key() -> str:
    return input_hash("live-base-v2", LIVE_PACKAGES, INITRD_MODULES,
                      debian.PRUNE_MODULES, debian.STRIP_PATHS, inspect.getsource(_configure),
                      files=[Path(debian.__file__)])


def build_base(log=print) -> Path:
    """Stage 1 (minutes): the Debian root filesystem with every package and wheel."""
    def build(out: Path):
        root = out / "rootfs"
        log(f"live: debootstrap into {root}")
        debian.debootstrap(root, LIVE_PACKAGES, out / "build.log", cache="live")
        _configure(root)
        kver = debian.kernel_version(root)
        shutil.copy(root / f"boot/vmlinuz-{kver}", out / "vmlinuz")
        shutil.copy(root / f"boot/initrd.img-{kver}", out / "initrd.img")
        debian.strip(root)
    return cached("live-base", base_key(), build)


def build_live(log=print) -> LiveEnv:
    """Stage 2 (seconds): the bootable root image, the harness's guest files laid
    over stage 1. Changing tests/vm/guest/ only reruns this stage."""
    wheels = build_wheels()
    base = build_base(log)
    key = input_hash("live-v3", (base / ".azl-inputs").read_text(), (wheels / ".azl-inputs").read_text(),
                     files=_guest_files() + _udev_policy_files() + [Path(__file__)])

    def build(out: Path):
        root = out / "rootfs"
        subprocess.run(["cp", "-al", str(base / "rootfs"), str(root)], check=True)
        _install_guest_files(root)
        _install_udev_policy(root)
        _install_venv(root, wheels)
        log("live: mkfs.ext4 -d")
        debian.make_ext4(root, out / "root.img", LIVE_LABEL, extra_bytes=512 << 20)
        shutil.rmtree(root)
        for f in ("vmlinuz", "initrd.img"):
            shutil.copy(base / f, out / f)
    return LiveEnv(cached("live", key, build))


def _udev_policy_files() -> list[Path]:
    return sorted((REPO / "iso-overlay/etc/udev/rules.d").glob("*.rules"))


def _install_udev_policy(root: Path) -> None:
    """The medium's udev policy (no automatic md assembly), so installs in this environment meet
    the disks as they do on the ISO."""
    for f in _udev_policy_files():
        dst = root / "etc/udev/rules.d" / f.name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if dst.exists() or dst.is_symlink():
            dst.unlink()
        shutil.copy(f, dst)
        dst.chmod(0o644)


def _install_guest_files(root: Path) -> None:
    for f in GUEST_FILES.iterdir():
        if f.suffix == ".service":
            dst = root / "etc/systemd/system" / f.name
        elif f.is_file():
            dst = root / "usr/local/sbin" / f.name
        else:
            continue
        if dst.exists() or dst.is_symlink():
            dst.unlink()   # hard-linked from stage 1: never write through
        shutil.copy(f, dst)
        dst.chmod(0o644 if f.suffix == ".service" else 0o755)
    for f in GUEST_FILES.glob("*.service"):
        debian.enable_unit(root, f.name)


def _install_venv(root: Path, wheels: Path) -> None:
    """/opt/azl-venv over the system site-packages, from the host-built wheels."""
    if (root / "opt/azl-venv").exists():
        shutil.rmtree(root / "opt/azl-venv")   # only unlinks: never write through stage 1's links
    shutil.copytree(wheels, root / "opt/wheels", ignore=shutil.ignore_patterns(".azl-inputs"))
    debian.chroot(root, "python3", "-m", "venv", "--system-site-packages", "/opt/azl-venv")
    whl = sorted(str(Path("/opt/wheels") / p.name) for p in wheels.iterdir() if p.suffix == ".whl")
    debian.chroot(root, "/opt/azl-venv/bin/pip", "install", "-q", "--no-index", "--no-deps", *whl)
    shutil.rmtree(root / "opt/wheels")
    debian.write(root, "usr/local/bin/azl-install",
                 "#!/bin/sh\nexport PYTHONPATH=/run/azl/src${PYTHONPATH:+:$PYTHONPATH}\n"
                 "exec /opt/azl-venv/bin/python3 -m installer \"$@\"\n", mode=0o755)


def _configure(root: Path) -> None:
    debian.write(root, "etc/hostname", "azl-live\n")
    debian.write(root, "etc/hosts", "127.0.0.1 localhost\n127.0.1.1 azl-live\n")
    debian.write(root, "etc/fstab", "# root comes from the kernel command line\n")
    debian.write(root, "etc/machine-id", "")
    debian.write(root, "etc/initramfs-tools/conf.d/azl-live", "MODULES=list\nCOMPRESS=zstd\n")
    debian.write(root, "etc/initramfs-tools/modules", "\n".join(INITRD_MODULES) + "\n")
    # Root has no password: the live image is only ever run inside a throwaway VM.
    debian.chroot(root, "passwd", "-d", "root", stdout=subprocess.DEVNULL)
    for unit in ("apt-daily.timer", "apt-daily-upgrade.timer", "e2scrub_all.timer",
                 "fstrim.timer", "mdmonitor.service", "mdadm-waitidle.service",
                 "lvm2-monitor.service", "systemd-timesyncd.service"):
        mask = root / "etc/systemd/system" / unit
        if not mask.exists():
            mask.symlink_to("/dev/null")
    debian.prune_modules(root)
    kver = debian.kernel_version(root)
    (root / f"boot/initrd.img-{kver}").unlink(missing_ok=True)
    debian.chroot(root, "update-initramfs", "-c", "-k", kver, stdout=subprocess.DEVNULL)
