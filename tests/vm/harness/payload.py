"""The bootable test OS the installer installs: a small Debian system
offered as a liveimg tarball and a squashfs (the RPM form is in rpmrepo)."""
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import debian
from .cache import cached, input_hash

PAYLOAD_PACKAGES = [
    "linux-image-amd64", "systemd-sysv", "libpam-systemd", "udev", "dbus", "kmod", "procps", "iproute2",
    "openssh-server", "network-manager", "grub-efi-amd64-bin", "grub-pc-bin", "grub-common",
    "initramfs-tools", "cryptsetup-initramfs", "lvm2", "mdadm", "xfsprogs", "btrfs-progs",
    "dosfstools", "e2fsprogs", "policycoreutils", "selinux-utils", "sudo", "chrony", "zstd",
]
TARBALL = "testos.tar.zst"
SQUASHFS = "testos.squashfs"


@dataclass
class Payload:
    dir: Path

    @property
    def tarball(self) -> Path:
        return self.dir / TARBALL

    @property
    def squashfs(self) -> Path:
        return self.dir / SQUASHFS

    @property
    def size(self) -> int:
        return int((self.dir / "rootfs.size").read_text())

    @property
    def kernel_version(self) -> str:
        return (self.dir / "kernel.version").read_text().strip()


def payload_key() -> str:
    return input_hash("payload-v1", PAYLOAD_PACKAGES, debian.PRUNE_MODULES, debian.STRIP_PATHS,
                      files=[Path(__file__), Path(debian.__file__)])


def build_payload(log=print) -> Payload:
    def build(out: Path):
        root = out / "rootfs"
        log(f"payload: debootstrap into {root}")
        debian.debootstrap(root, PAYLOAD_PACKAGES, out / "build.log")
        _configure(root)
        (out / "kernel.version").write_text(debian.kernel_version(root) + "\n")
        (out / "rootfs.size").write_text(f"{debian.dir_size(root)}\n")
        log("payload: tarball + squashfs")
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "--acls", "-C", str(root),
                        "-I", "zstd -T0 -6", "-cf", str(out / TARBALL), "."], check=True)
        subprocess.run(["mksquashfs", str(root), str(out / SQUASHFS), "-comp", "zstd",
                        "-noappend", "-quiet", "-no-progress"], check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(root)
    return Payload(cached("payload", payload_key(), build))


def _configure(root: Path) -> None:
    debian.prune_modules(root)
    for p in (root / "boot").glob("initrd.img-*"):
        p.unlink()   # every install regenerates it for its own storage stack
    debian.write(root, "etc/machine-id", "")
    debian.write(root, "etc/hostname", "localhost\n")
    debian.write(root, "etc/fstab", "# written by the installer\n")
    debian.write(root, "etc/initramfs-tools/conf.d/azl-testos", "COMPRESS=zstd\n")
    debian.strip(root)
