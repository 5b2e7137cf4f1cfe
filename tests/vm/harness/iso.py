"""The installation medium: build/azl-install.iso, a hybrid (CD-ROM and USB stick, UEFI and
BIOS) ISO with the layout of a dmsquash live ISO.

    LiveOS/squashfs.img     the live root: stage 1 of the live env (build/live-base) with
                            NetworkManager and sshd added (build/iso-base), the installer
                            installed as a package (a wheel of this tree, with textual and its
                            dependencies, in /opt/azl-venv) and iso-overlay/; no 9p
    boot/vmlinuz, boot/initrd.img
                            the live kernel and a dracut initramfs with dmsquash-live
                            (root=live:CDLABEL=<label>)
    boot/grub/grub.cfg      rendered from tools/iso/medium.toml (label, entries, kernel args)
    repodata/, *.rpm        the signed test package repository (build/rpmrepo): the live env
                            bind-mounts the medium at /run/install/repo, the product's ISO
                            repository (the default source, and inst.repo=cdrom)

Entry points (stable, for make iso, the VM tests and the remaster/netboot code):

    python3 -m harness.iso build          (from tests/vm; prints the paths)
    harness.iso.build_iso() -> IsoBuild(iso, kernel, initrd, squashfs, label, dir)
    harness.iso.build_live_root() -> LiveRoot(kernel, initrd, squashfs, dir)

Four cached steps (harness/cache.py): iso-base (the live base plus ISO_PACKAGES), iso-initrd
(dracut; changes only with the live base),
iso-root (the squashfs; reruns when installer/, screens/ or iso-overlay/ change) and iso
(grub-mkrescue). The same inputs give the same bytes: every timestamp is SOURCE_DATE_EPOCH,
squashfs entries are sorted, .pyc files are hash-based.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import debian, live
from .cache import cached, input_hash
from .paths import BUILD, REPO

MEDIUM = REPO / "tools" / "iso" / "medium.toml"
OVERLAY = REPO / "iso-overlay"
ISO_NAME = "azl-install.iso"
# Every timestamp on the medium: a fixed date, so the same inputs give the same ISO.
SOURCE_DATE_EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))   # 2026-01-01

# dracut and its live modules, from Debian: dracut-core does not conflict with the live base's
# initramfs-tools (only the `dracut` package does), so the live root stays as it is.
DRACUT_DEBS = ["dracut-core", "dracut-live"]
DRACUT_MODULES = ["dmsquash-live", "overlayfs"]
DRACUT_OMIT = ["plymouth", "network", "network-legacy", "network-manager", "ifcfg", "nfs", "iscsi",
               "nbd", "fcoe", "crypt", "lvm", "mdraid", "dmraid", "multipath", "btrfs", "resume",
               "i18n", "kernel-modules-extra"]
# Drivers to find the medium on any bus: CD-ROM (AHCI, SCSI, USB), USB stick, virtio, NVMe.
DRACUT_DRIVERS = ["sr_mod", "cdrom", "isofs", "squashfs", "overlay", "loop", "ahci", "ata_piix",
                  "virtio_pci", "virtio_scsi", "virtio_blk", "nvme", "sd_mod", "usb_storage", "uas",
                  "xhci_pci", "xhci_hcd", "ehci_pci", "uhci_hcd"]
# What the medium's live root has beyond the harness's live base: NetworkManager (DHCP on every
# wired interface at boot, ip= keyfiles, network --activate) and sshd for inst.sshd, which only
# azl-install sshd-setup starts, with host keys made at that boot: none are baked into the image.
ISO_PACKAGES = ["network-manager", "openssh-server", "python3-yaml", "kbd"]  # yaml: image configurations; kbd: loadkeys
SQUASHFS_OPTS = ["-comp", "zstd", "-Xcompression-level", "15", "-b", "1M", "-no-xattrs",
                 "-noappend", "-no-progress", "-quiet"]
# Build-host directories the live root does not need.
SQUASH_EXCLUDE = ["boot", "var/cache/apt", "var/lib/apt/lists"]


# ---------------------------------------------------------------------------- boot menu data

@dataclass
class Entry:
    id: str
    title: str
    args: list[str]


@dataclass
class Medium:
    label: str
    timeout: int
    default: str
    kernel_args: list[str]
    entries: list[Entry]
    serial_unit: int = 0
    serial_speed: int = 115200

    def entry(self, id: str) -> Entry:
        for e in self.entries:
            if e.id == id:
                return e
        raise KeyError(f"no boot entry {id!r} in {MEDIUM}")

    def cmdline(self, id: str, extra: list[str] = ()) -> str:
        """The kernel command line of an entry (with `extra` appended)."""
        base = [a.replace("{label}", self.label) for a in self.kernel_args]
        return " ".join(base + self.entry(id).args + list(extra))


class MediumError(ValueError):
    pass


def load_medium(path: Path = MEDIUM) -> Medium:
    data = tomllib.loads(Path(path).read_text())
    try:
        entries = [Entry(id=e["id"], title=e["title"], args=list(e.get("args", [])))
                   for e in data["entries"]]
        serial = data.get("serial", {})
        m = Medium(label=data["label"], timeout=int(data["timeout"]), default=data["default"],
                   kernel_args=list(data["kernel_args"]), entries=entries,
                   serial_unit=int(serial.get("unit", 0)), serial_speed=int(serial.get("speed", 115200)))
    except KeyError as exc:
        raise MediumError(f"{path}: missing key {exc}") from None
    problems = []
    if not 1 <= len(m.label) <= 32 or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-" for c in m.label):
        problems.append(f"label {m.label!r}: 1-32 of A-Z 0-9 _ -")
    ids = [e.id for e in m.entries]
    if len(set(ids)) != len(ids):
        problems.append(f"entry ids repeat: {ids}")
    if m.default not in ids:
        problems.append(f"default {m.default!r} is not an entry id {ids}")
    for e in m.entries:
        for a in [*m.kernel_args, *e.args]:
            if any(c in a for c in "'\"\\$;\n"):
                problems.append(f"entry {e.id}: kernel argument {a!r} has a quote, $, ; or newline")
        if "'" in e.title or "\n" in e.title:
            problems.append(f"entry {e.id}: title has a quote or newline")
    if problems:
        raise MediumError(f"{path}: " + "; ".join(problems))
    return m


def grub_cfg(m: Medium, kernel="/boot/vmlinuz", initrd="/boot/initrd.img") -> str:
    """GRUB's configuration for the medium: the same menu on serial and on the screen."""
    default = [e.id for e in m.entries].index(m.default)
    lines = [
        "# Generated from tools/iso/medium.toml by tests/vm/harness/iso.py: edit that file.",
        "insmod all_video",
        f"serial --unit={m.serial_unit} --speed={m.serial_speed}",
        "terminal_input serial console",
        "terminal_output serial console",
        f"set default={default}",
        f"set timeout={m.timeout}",
        "set timeout_style=menu",
        f"search --no-floppy --set=root --label {m.label}",
        "",
    ]
    for e in m.entries:
        lines += [f"menuentry '{e.title}' --id {e.id} {{",
                  f"\tlinux {kernel} {m.cmdline(e.id)}",
                  f"\tinitrd {initrd}",
                  "}"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- build steps

@dataclass
class LiveRoot:
    dir: Path

    @property
    def kernel(self) -> Path:
        return self.dir / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.dir / "initrd.img"

    @property
    def squashfs(self) -> Path:
        return self.dir / "squashfs.img"

    @property
    def digest(self) -> str:
        """Content hash of the live root tree (paths, modes, owners, link targets, file bytes)."""
        return (self.dir / "tree.sha256").read_text().strip()


@dataclass
class IsoBuild:
    dir: Path
    label: str

    @property
    def iso(self) -> Path:
        return self.dir / ISO_NAME

    @property
    def kernel(self) -> Path:
        return self.dir / "tree" / "boot" / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.dir / "tree" / "boot" / "initrd.img"

    @property
    def squashfs(self) -> Path:
        return self.dir / "tree" / "LiveOS" / "squashfs.img"

    @property
    def manifest(self) -> dict:
        """sha256 of every file on the medium, by path."""
        return json.loads((self.dir / "manifest.json").read_text())


def _env() -> dict:
    return {**os.environ, "SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH), "PYTHONHASHSEED": "0",
            "TZ": "UTC", "LC_ALL": "C"}


def _source_files() -> list[Path]:
    """What the installer wheel is built from."""
    files = [REPO / "pyproject.toml", REPO / "README.md"]
    for pkg in ("installer", "screens"):
        files += sorted(p for p in (REPO / pkg).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    return files


def _rel_files(base: Path, files: list[Path]) -> list[tuple[str, str]]:
    return [(str(f.relative_to(base)), hashlib.sha256(f.read_bytes()).hexdigest()) for f in files]


def build_installer_wheel() -> Path:
    """A wheel of this tree (azl_install-*.whl), built from a clean copy of its sources."""
    key = input_hash("installer-wheel-v1", _rel_files(REPO, _source_files()))

    def build(out: Path):
        src = out / "src"
        for f in _source_files():
            dst = src / f.relative_to(REPO)
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dst)
        subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                        "-w", str(out), str(src)], check=True, env=_env(), stdout=subprocess.DEVNULL)
        shutil.rmtree(src)
    return cached("installer-wheel", key, build)


def build_dracut_debs() -> Path:
    """dracut-core and dracut-live from the host's Debian mirror (apt-get download)."""
    key = input_hash("iso-debs-v1", DRACUT_DEBS, debian.SUITE)

    def build(out: Path):
        subprocess.run(["apt-get", "download", "-q", *DRACUT_DEBS], cwd=out, check=True,
                       stdout=subprocess.DEVNULL)
    return cached("iso-debs", key, build)


def _initrd_key(base: Path, debs: Path) -> str:
    return input_hash("iso-initrd-v1", (base / ".azl-inputs").read_text(),
                      (debs / ".azl-inputs").read_text(), DRACUT_MODULES, DRACUT_OMIT, DRACUT_DRIVERS,
                      inspect.getsource(_make_initrd))


def _make_initrd(root: Path, out: Path) -> None:
    debs = sorted(p.name for p in (root / "tmp/debs").glob("*.deb"))
    debian.chroot(root, "dpkg", "-i", *[f"/tmp/debs/{d}" for d in debs], stdout=subprocess.DEVNULL)
    kver = debian.kernel_version(root)
    mounts = [("proc", "proc", ["-t", "proc"]), ("sys", "sysfs", ["-t", "sysfs"]),
              ("dev", "/dev", ["--bind"])]    # dracut reads /proc/mounts and uses /dev/fd
    done = []
    try:
        for where, what, how in mounts:
            subprocess.run(["mount", *how, what, str(root / where)], check=True)
            done.append(root / where)
        debian.chroot(root, "dracut", "--quiet", "--force", "--no-hostonly", "--reproducible",
                      "--no-early-microcode", "--compress", "zstd", "--kver", kver,
                      "--add", " ".join(DRACUT_MODULES), "--omit", " ".join(DRACUT_OMIT),
                      "--add-drivers", " ".join(DRACUT_DRIVERS), "/tmp/initrd.img",
                      env={"SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH)})
    finally:
        for m in reversed(done):
            subprocess.run(["umount", "-l", str(m)], check=False)
    shutil.copy(root / "tmp/initrd.img", out / "initrd.img")
    os.chmod(out / "initrd.img", 0o644)
    shutil.copy(root / f"boot/vmlinuz-{kver}", out / "vmlinuz")


def build_initrd(log=print) -> Path:
    """The live kernel and its dracut initramfs (dmsquash-live), made in a copy of the live base."""
    base = live.build_base(log)
    debs = build_dracut_debs()

    def build(out: Path):
        root = out / "rootfs"
        log("iso: dracut initramfs (dmsquash-live)")
        subprocess.run(["cp", "-a", str(base / "rootfs"), str(root)], check=True)   # dpkg writes in place
        shutil.copytree(debs, root / "tmp/debs", ignore=shutil.ignore_patterns(".azl-inputs"))
        try:
            _make_initrd(root, out)
        finally:
            shutil.rmtree(root)
    return cached("iso-initrd", _initrd_key(base, debs), build)


def _add_packages(root: Path, packages: list[str]) -> None:
    """apt-get install in the chroot (the host's mirror, its resolver); no service starts there."""
    policy = root / "usr/sbin/policy-rc.d"
    policy.write_text("#!/bin/sh\nexit 101\n")
    policy.chmod(0o755)
    resolv = root / "etc/resolv.conf"
    saved = resolv.read_bytes() if resolv.is_file() and not resolv.is_symlink() else None
    resolv.unlink(missing_ok=True)
    shutil.copy("/etc/resolv.conf", resolv)
    try:
        debian.chroot(root, "apt-get", "-q", "update", stdout=subprocess.DEVNULL)
        debian.chroot(root, "apt-get", "-q", "-y", "--no-install-recommends", "install", *packages,
                      stdout=subprocess.DEVNULL)
        debian.chroot(root, "apt-get", "clean")
    finally:
        policy.unlink()
        resolv.unlink()
        if saved is not None:
            resolv.write_bytes(saved)
    for rel in ("var/lib/apt/lists", "var/log/apt"):
        shutil.rmtree(root / rel, ignore_errors=True)
    (root / "var/lib/apt/lists/partial").mkdir(parents=True, exist_ok=True)
    for log in ("var/log/dpkg.log", "var/log/alternatives.log"):
        (root / log).unlink(missing_ok=True)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    debian.chroot(root, "systemctl", "disable", "ssh.service", stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL)


def build_iso_base(log=print) -> Path:
    """The live base with ISO_PACKAGES (a full copy: dpkg writes files in place)."""
    base = live.build_base(log)
    key = input_hash("iso-base-v1", (base / ".azl-inputs").read_text(), ISO_PACKAGES,
                     inspect.getsource(_add_packages))

    def build(out: Path):
        log(f"iso: live base + {' '.join(ISO_PACKAGES)}")
        subprocess.run(["cp", "-a", str(base / "rootfs"), str(out / "rootfs")], check=True)
        _add_packages(out / "rootfs", ISO_PACKAGES)
    return cached("iso-base", key, build)


def _overlay_files() -> list[Path]:
    return sorted(p for p in OVERLAY.rglob("*") if p.is_file() or p.is_symlink())


def _install_overlay(root: Path) -> None:
    """iso-overlay/ over the root; files hard-linked from the live base are replaced, never written."""
    for src in sorted(OVERLAY.rglob("*")):
        rel = src.relative_to(OVERLAY)
        if rel.parts[0] == "README.md":
            continue
        dst = root / rel
        if src.is_dir() and not src.is_symlink():
            dst.mkdir(parents=True, exist_ok=True)
            continue
        if dst.exists() or dst.is_symlink():
            dst.unlink()
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dst)


def _install_installer(root: Path, wheels: Path, installer_wheel: Path) -> None:
    """/opt/azl-venv (over the system site-packages) with the installer and its wheels;
    azl-install on PATH. Bytecode is hash-based so it does not depend on file dates."""
    venv = root / "opt/azl-venv"
    if venv.exists():
        shutil.rmtree(venv)
    stage = root / "opt/wheels"
    shutil.copytree(wheels, stage, ignore=shutil.ignore_patterns(".azl-inputs"))
    for w in installer_wheel.glob("*.whl"):
        shutil.copy(w, stage / w.name)
    env = {"SOURCE_DATE_EPOCH": str(SOURCE_DATE_EPOCH), "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    debian.chroot(root, "python3", "-m", "venv", "--system-site-packages", "/opt/azl-venv", env=env)
    whl = sorted(f"/opt/wheels/{p.name}" for p in stage.iterdir() if p.suffix == ".whl")
    debian.chroot(root, "/opt/azl-venv/bin/pip", "install", "-q", "--no-index", "--no-deps",
                  "--no-compile", "--disable-pip-version-check", *whl, env=env)
    shutil.rmtree(stage)
    for cache in list(venv.rglob("__pycache__")):
        shutil.rmtree(cache)
    # pip's RECORD lists the .pyc files it did not write; the installer never uninstalls here.
    # -f: the venv's own start-up (setuptools' .pth imports _distutils_hack) leaves a few
    # timestamp-based .pyc behind, which compileall would otherwise keep.
    debian.chroot(root, "/opt/azl-venv/bin/python3", "-m", "compileall", "-q", "-f",
                  "--invalidation-mode", "unchecked-hash", "/opt/azl-venv/lib",
                  "/usr/lib/python3.11", "/usr/lib/python3/dist-packages", env=env,
                  stdout=subprocess.DEVNULL)
    link = root / "usr/local/bin/azl-install"
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to("/opt/azl-venv/bin/azl-install")


def tree_digest(root: Path, exclude: list[str] = ()) -> str:
    """sha256 over every entry below root (sorted): path, type, mode, owner, link target, bytes.
    Timestamps are left out: the squashfs gets SOURCE_DATE_EPOCH for all of them."""
    h = hashlib.sha256()
    skip = {root / e for e in exclude}
    for dirpath, dirnames, filenames in os.walk(root):
        d = Path(dirpath)
        dirnames[:] = sorted(n for n in dirnames if d / n not in skip)
        for name in sorted(dirnames + filenames):
            p = d / name
            if p in skip:
                continue
            st = p.lstat()
            h.update(f"{p.relative_to(root)}\0{st.st_mode:o}\0{st.st_uid}:{st.st_gid}\0".encode())
            if p.is_symlink():
                h.update(os.readlink(p).encode())
            elif p.is_file():
                with open(p, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
            h.update(b"\n")
    return h.hexdigest()


def _root_key(base: Path, wheels: Path, installer_wheel: Path, initrd: Path) -> str:
    return input_hash("iso-root-v2", (base / ".azl-inputs").read_text(),
                      (wheels / ".azl-inputs").read_text(), (installer_wheel / ".azl-inputs").read_text(),
                      (initrd / ".azl-inputs").read_text(), SQUASHFS_OPTS, SQUASH_EXCLUDE,
                      SOURCE_DATE_EPOCH, inspect.getsource(_install_installer),
                      inspect.getsource(_install_overlay), _rel_files(OVERLAY, _overlay_files()))


def build_live_root(log=print) -> LiveRoot:
    """The live root as LiveOS/squashfs.img, with the kernel and initramfs that boot it."""
    base = build_iso_base(log)
    wheels = live.build_wheels()
    installer_wheel = build_installer_wheel()
    initrd = build_initrd(log)

    def build(out: Path):
        make_live_root(out, log)
    return LiveRoot(cached("iso-root", _root_key(base, wheels, installer_wheel, initrd), build))


def make_live_root(out: Path, log=print) -> None:
    """The iso-root step into `out` (squashfs.img, tree.sha256, vmlinuz, initrd.img), from the
    cached steps it builds on; tests call it again to compare."""
    base, wheels = build_iso_base(log), live.build_wheels()
    installer_wheel, initrd = build_installer_wheel(), build_initrd(log)
    root = out / "rootfs"
    subprocess.run(["cp", "-al", str(base / "rootfs"), str(root)], check=True)
    try:
        log("iso: installer package and iso-overlay into the live root")
        _install_installer(root, wheels, installer_wheel)
        _install_overlay(root)
        (out / "tree.sha256").write_text(tree_digest(root, SQUASH_EXCLUDE) + "\n")
        log("iso: mksquashfs")   # SOURCE_DATE_EPOCH (in _env) sets every timestamp in it
        subprocess.run(["mksquashfs", str(root), str(out / "squashfs.img"), *SQUASHFS_OPTS,
                        "-all-root", "-e", *SQUASH_EXCLUDE], check=True, env=_env(),
                       stdout=subprocess.DEVNULL)
    finally:
        shutil.rmtree(root)
    for f in ("vmlinuz", "initrd.img"):
        os.link(initrd / f, out / f)


def _manifest(tree: Path) -> dict:
    out = {}
    for p in sorted(tree.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(tree))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def build_iso(log=print, medium_path: Path = MEDIUM) -> IsoBuild:
    """build/azl-install.iso (a hard link to build/iso/azl-install.iso) and its parts."""
    from . import rpmrepo
    medium = load_medium(medium_path)
    root = build_live_root(log)
    repo = rpmrepo.build_repo()
    key = input_hash("iso-v1", (root.dir / ".azl-inputs").read_text(), (repo.dir / ".azl-inputs").read_text(),
                     grub_cfg(medium), medium.label, SOURCE_DATE_EPOCH, inspect.getsource(_mkrescue))

    def build(out: Path):
        tree = out / "tree"
        (tree / "LiveOS").mkdir(parents=True)
        (tree / "boot/grub").mkdir(parents=True)
        os.link(root.squashfs, tree / "LiveOS/squashfs.img")
        os.link(root.kernel, tree / "boot/vmlinuz")
        os.link(root.initrd, tree / "boot/initrd.img")
        (tree / "boot/grub/grub.cfg").write_text(grub_cfg(medium))
        _lay_repo(tree, repo)
        (out / "manifest.json").write_text(json.dumps(_manifest(tree), indent=1, sort_keys=True) + "\n")
        log("iso: grub-mkrescue")
        _mkrescue(tree, out / ISO_NAME, medium.label, out / "mkrescue.log")
    iso = IsoBuild(cached("iso", key, build), medium.label)
    top = BUILD / ISO_NAME
    if not top.exists() or not os.path.samefile(top, iso.iso):
        tmp = BUILD / f".{ISO_NAME}.tmp"
        tmp.unlink(missing_ok=True)
        os.link(iso.iso, tmp)
        tmp.rename(top)
    return iso


def _lay_repo(tree: Path, repo) -> None:
    """The package repository at the medium's top, as the product's ISO repository expects it
    (/run/install/repo), with its signing key under the product's name for it."""
    for p in sorted(repo.repo.iterdir()):
        if p.name == "azl-test.repo":
            continue
        (shutil.copytree if p.is_dir() else os.link)(p, tree / p.name)
    os.link(repo.public_key, tree / "RPM-GPG-KEY-azurelinux")


def vanilla_grub_cfg(m: Medium) -> str:
    """A distribution's live menu: one entry that starts the live system, no installer."""
    args = " ".join(a.replace("{label}", m.label) for a in m.kernel_args)
    return "\n".join([
        f"serial --unit={m.serial_unit} --speed={m.serial_speed}",
        "terminal_input serial console",
        "terminal_output serial console",
        "set default=0",
        f"set timeout={m.timeout}",
        f"search --no-floppy --set=root --label {m.label}",
        "menuentry 'Start the live system' --id live {",
        f"\tlinux /boot/vmlinuz {args}",
        "\tinitrd /boot/initrd.img",
        "}",
    ]) + "\n"


def build_vanilla_iso(log=print) -> Path:
    """What a distribution's own live ISO is to `azl-install-iso remaster`: the medium's live root
    without the installer and the overlay (build/iso-base), the same kernel and dracut initramfs,
    the package repository and a GRUB menu with one live entry (build/iso-vanilla/vanilla.iso)."""
    from . import rpmrepo
    medium = load_medium()
    base, initrd, repo = build_iso_base(log), build_initrd(log), rpmrepo.build_repo()
    key = input_hash("iso-vanilla-v1", *((d / ".azl-inputs").read_text() for d in (base, initrd, repo.dir)),
                     vanilla_grub_cfg(medium), SQUASHFS_OPTS, SQUASH_EXCLUDE, SOURCE_DATE_EPOCH,
                     inspect.getsource(_mkrescue), inspect.getsource(_lay_repo))

    def build(out: Path):
        tree = out / "tree"
        (tree / "LiveOS").mkdir(parents=True)
        (tree / "boot/grub").mkdir(parents=True)
        log("iso: vanilla live root (mksquashfs)")
        subprocess.run(["mksquashfs", str(base / "rootfs"), str(tree / "LiveOS/squashfs.img"), *SQUASHFS_OPTS,
                        "-all-root", "-e", *SQUASH_EXCLUDE], check=True, env=_env(), stdout=subprocess.DEVNULL)
        os.link(initrd / "vmlinuz", tree / "boot/vmlinuz")
        os.link(initrd / "initrd.img", tree / "boot/initrd.img")
        (tree / "boot/grub/grub.cfg").write_text(vanilla_grub_cfg(medium))
        _lay_repo(tree, repo)
        _mkrescue(tree, out / "vanilla.iso", medium.label, out / "mkrescue.log")
        shutil.rmtree(tree)
    return cached("iso-vanilla", key, build) / "vanilla.iso"


def _mkrescue(tree: Path, iso: Path, label: str, logfile: Path) -> None:
    """A hybrid ISO: El Torito BIOS (grub i386-pc) and UEFI (an EFI system image with grub
    x86_64-efi), with an MBR/GPT so the same file boots from a USB stick."""
    for platform in ("i386-pc", "x86_64-efi"):
        if not Path("/usr/lib/grub", platform).is_dir():
            raise RuntimeError(f"GRUB for {platform} is missing (tools/setup.sh installs grub-pc-bin "
                               "and grub-efi-amd64-bin)")
    # grub-mkrescue formats its EFI image with mformat, whose volume serial is random: a shim
    # first on PATH fixes it, so the same tree gives the same bytes.
    shim = logfile.parent / "mkrescue-bin"
    shim.mkdir(exist_ok=True)
    (shim / "mformat").write_text(f'#!/bin/sh\nexec {shutil.which("mformat")} -N 415a4c31 "$@"\n')
    (shim / "mformat").chmod(0o755)
    env = {**_env(), "PATH": f"{shim}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    with open(logfile, "wb") as f:
        r = subprocess.run(["grub-mkrescue", "-o", str(iso), str(tree), "--",
                            "-volid", label, "-volume_date", "all_file_dates", f"={SOURCE_DATE_EPOCH}",
                            "-volume_date", "uuid", time.strftime("%Y%m%d%H%M%S00", time.gmtime(SOURCE_DATE_EPOCH)),
                            "-boot_image", "any", "gpt_disk_guid=volume_date_uuid"],
                           stdout=f, stderr=subprocess.STDOUT, env=env)
    shutil.rmtree(shim)
    if r.returncode:
        raise RuntimeError(f"grub-mkrescue failed ({r.returncode}):\n" + logfile.read_text()[-3000:])


def main(argv=None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    what = args[0] if args else "build"
    if what == "build":
        iso = build_iso()
        print(json.dumps({"iso": str(BUILD / ISO_NAME), "kernel": str(iso.kernel), "initrd": str(iso.initrd),
                          "squashfs": str(iso.squashfs), "label": iso.label,
                          "size": iso.iso.stat().st_size}, indent=1))
        return 0
    if what == "grub-cfg":
        sys.stdout.write(grub_cfg(load_medium()))
        return 0
    print("usage: python3 -m harness.iso [build|grub-cfg]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
