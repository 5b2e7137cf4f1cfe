"""The bootable test OS the installer installs: a small Debian system
offered as a liveimg tarball and a squashfs (the RPM form is in rpmrepo)."""
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from . import debian
from .cache import cached, input_hash

PAYLOAD_PACKAGES = [
    "linux-image-amd64", "systemd-sysv", "libpam-systemd", "udev", "dbus", "kmod", "procps", "iproute2",
    "openssh-server", "network-manager", "grub-efi-amd64-bin", "grub-pc-bin", "grub2-common",
    "initramfs-tools", "cryptsetup-initramfs", "lvm2", "mdadm", "xfsprogs", "btrfs-progs",
    "dosfstools", "e2fsprogs", "policycoreutils", "selinux-utils", "sudo", "chrony", "zstd", "firewalld", "netbase",
]
# Every exec costs ~25 ms under TCG and mkinitramfs adds each module with several: only the
# buses an installed test system boots from (never USB) are listed.
INITRD_MODULES = [
    "virtio_pci", "virtio_blk", "nvme", "ahci", "sd_mod", "ext4", "xfs", "btrfs", "vfat", "nls_cp437", "nls_iso8859_1",
    "dm_mod", "dm_crypt", "raid1", "md_mod",
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
        debian.debootstrap(root, PAYLOAD_PACKAGES, out / "build.log", cache="payload")
        _configure(root)
        (out / "kernel.version").write_text(debian.kernel_version(root) + "\n")
        (out / "rootfs.size").write_text(f"{debian.dir_size(root)}\n")
        log("payload: tarball + squashfs")
        subprocess.run(["tar", "--numeric-owner", "--xattrs", "--acls", "-C", str(root),
                        "-I", "zstd -T0 -6", "-cf", str(out / TARBALL), "."], check=True)
        subprocess.run(["mksquashfs", str(root), str(out / SQUASHFS), "-comp", "zstd", "-Xcompression-level", "6",
                        "-noappend", "-quiet", "-no-progress"], check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(root)
    return Payload(cached("payload", payload_key(), build))


# The payload keeps only these module trees (the live env keeps more).
KEEP_DRIVERS = {"ata", "block", "nvme", "scsi", "usb", "virtio", "md", "net", "char", "input",
                "hid", "acpi", "cdrom", "firmware", "crypto", "dma", "pci", "platform", "tty",
                "nvdimm", "hv", "vhost", "dax", "base", "cpufreq", "mmc"}
KEEP_NET = {"9p", "core", "ipv4", "ipv6", "packet", "unix", "netfilter", "sched", "bridge", "802",
            "llc", "vmw_vsock"}
# xfsprogs depends on libicu (35 MB) for xfs_scrub only; the test OS drops it unless another
# package needs it. python3 stays: firewalld is written in it.
PURGE_UNLESS_NEEDED = {"libicu72": {"xfsprogs"}}


def _slim_modules(root: Path) -> None:
    kernel = root / "lib/modules" / debian.kernel_version(root) / "kernel"
    for sub, keep in (("drivers", KEEP_DRIVERS), ("net", KEEP_NET)):
        for p in (kernel / sub).iterdir():
            if p.is_dir() and p.name not in keep:
                shutil.rmtree(p)
    for p in (kernel / "drivers/net").iterdir():
        if p.is_dir():
            shutil.rmtree(p)   # ethernet/wifi/... drivers; virtio_net.ko sits at the top


def _compress_modules(root: Path) -> None:
    """xz the modules (kmod loads .ko.xz): a third of the bytes every install writes."""
    kernel = root / "lib/modules" / debian.kernel_version(root) / "kernel"
    for junk in ("arch/x86/kvm", "lib/test_bpf.ko"):
        p = kernel / junk
        shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    subprocess.run(f"find {kernel} -name '*.ko' -print0 | xargs -0 -P{os.cpu_count() or 2} -n32 "
                   "xz --check=crc32 -6", shell=True, check=True)


def _configure(root: Path) -> None:
    debian.prune_modules(root)
    _slim_modules(root)
    _compress_modules(root)
    debian.chroot(root, "depmod", "-a", debian.kernel_version(root))
    depends = debian.chroot(root, "dpkg-query", "-W", "-f", "${Package}\\t${Depends}\\n",
                            capture_output=True, text=True).stdout.splitlines()
    for pkg, allowed in PURGE_UNLESS_NEEDED.items():
        users = {line.split("\t")[0] for line in depends if pkg in line.split("\t", 1)[-1]}
        if any(line.split("\t")[0] == pkg for line in depends) and users <= allowed:
            debian.chroot(root, "dpkg", "--purge", "--force-depends", pkg,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for rel in ("usr/lib/udev/hwdb.bin", "usr/lib/udev/hwdb.d", "usr/lib/x86_64-linux-gnu/gconv",
                "usr/lib/grub/x86_64-efi/monolithic"):
        p = root / rel
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()
    for p in (root / "boot").glob("initrd.img-*"):
        p.unlink()   # every install regenerates it for its own storage stack
    debian.write(root, "etc/machine-id", "")
    debian.write(root, "etc/hostname", "localhost\n")
    debian.write(root, "etc/fstab", "# written by the installer\n")
    # Each install regenerates the initramfs under TCG, where MODULES=most (hundreds of
    # modules, thousands of processes) took minutes: list the drivers the VMs use instead.
    debian.write(root, "etc/initramfs-tools/conf.d/azl-testos",
                 "MODULES=list\nCOMPRESS=zstd\nCOMPRESSLEVEL=1\n")
    debian.write(root, "etc/initramfs-tools/modules", "\n".join(INITRD_MODULES) + "\n")
    debian.strip(root)
