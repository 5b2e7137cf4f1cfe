"""Bootloader: kernel command line, initramfs, GRUB and the EFI boot entry, done the
way the target's distribution does them.

- Fedora family (Azure Linux): /etc/kernel/cmdline, kernel-install (dracut + BLS
  entries), grub2-mkconfig; on UEFI the signed shim + GRUB from the packages and an
  efibootmgr entry (grub2-install would replace the signed binaries).
- Debian family: GRUB_CMDLINE_LINUX in /etc/default/grub, update-initramfs,
  grub-install, grub-mkconfig.
UEFI installs also get the removable-media fallback (EFI/BOOT/BOOTX64.EFI) so the
disk boots on firmware without a boot entry. When /boot is on RAID1, either disk boots
alone: BIOS installs put GRUB on every member disk; UEFI installs copy the mounted
ESP's EFI tree onto the spare ESP that storage made on each other member disk (and
give each its own boot entry when efivars are writable).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from installer import chroot
from installer.context import InstallContext, StepError
from installer.model.secrets import is_grub_hash
from installer.model.syntax import kernel_arg_problems, sh_quote, split_kernel_args
from installer.steps import esp_sync, selinux

TITLE = "Installing the bootloader"
ESP = "/boot/efi"
EFIVARS = "/sys/firmware/efi/efivars"
INITRAMFS_DONE = "bootloader:grub-config"  # ctx.start's `until` for the initramfs: waited for inside apply()
PRESERVED_ARGS = ("console", "net.ifnames", "biosdevname", "nomodeset", "fips", "ipv6.disable")


@dataclass
class Node:
    name: str
    path: str
    type: str
    uuid: str | None = None
    fstype: str | None = None
    parents: list["Node"] = field(default_factory=list)  # what it is built on (lsblk -s children)

    def walk(self):
        yield self
        for p in self.parents:
            yield from p.walk()


@dataclass
class BootLayout:
    root: Node | None = None
    boot: Node | None = None
    esp: Node | None = None
    root_spec: str | None = None  # fs_spec of / in the target's fstab
    root_flags: str | None = None  # btrfs subvolume
    lvm: list[str] = field(default_factory=list)  # vg/lv of the root stack

    def disks(self, node: Node | None) -> list[str]:
        if node is None:
            return []
        return list(dict.fromkeys(n.path for n in node.walk() if n.type == "disk"))


# ------------------------------------------------------------------ discovery
def _lsblk(ctx: InstallContext, device: str) -> Node | None:
    proc = ctx.run(["lsblk", "--json", "--inverse", "--output", "NAME,PATH,TYPE,UUID,FSTYPE", device],
                   check=False)
    try:
        data = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        return None

    def build(d: dict) -> Node:
        return Node(d.get("name", ""), d.get("path") or f"/dev/{d.get('name')}", d.get("type", ""),
                    d.get("uuid"), d.get("fstype"), [build(c) for c in d.get("children") or []])

    devices = data.get("blockdevices") or []
    return build(devices[0]) if devices else None


def _source(ctx: InstallContext, mountpoint: str) -> str | None:
    where = str(ctx.path(mountpoint)).rstrip("/") or "/"
    proc = ctx.run(["findmnt", "--noheadings", "--raw", "--output", "SOURCE", "--mountpoint", where], check=False)
    lines = (proc.stdout or "").split()
    return lines[0].split("[", 1)[0] if lines else None


def _fstab_root(ctx: InstallContext) -> tuple[str | None, str | None]:
    path = chroot.resolve(ctx.target, "/etc/fstab")
    if not path.exists():
        return None, None
    for line in path.read_text(errors="replace").splitlines():
        words = line.split()
        if len(words) >= 4 and not words[0].startswith("#") and words[1] == "/":
            subvol = next((o.split("=", 1)[1] for o in words[3].split(",") if o.startswith("subvol=")), None)
            return words[0], (f"subvol={subvol}" if subvol else None)
    return None, None


def discover(ctx: InstallContext) -> BootLayout:
    layout = BootLayout()
    root_dev = ctx.root_device or _source(ctx, "/")
    layout.root = _lsblk(ctx, root_dev) if root_dev else None
    boot_dev = _source(ctx, "/boot")
    layout.boot = _lsblk(ctx, boot_dev) if boot_dev else layout.root
    esp_dev = _source(ctx, ESP)
    layout.esp = _lsblk(ctx, esp_dev) if esp_dev else None
    layout.root_spec, layout.root_flags = _fstab_root(ctx)
    if layout.root_spec is None and layout.root is not None and layout.root.uuid:
        layout.root_spec = f"UUID={layout.root.uuid}"
    if layout.root is not None:
        for node in layout.root.walk():
            if node.type == "lvm":
                proc = ctx.run(["lvs", "--noheadings", "--options", "vg_name,lv_name", node.path], check=False)
                words = (proc.stdout or "").split()
                if len(words) == 2:
                    layout.lvm.append(f"{words[0]}/{words[1]}")
    return layout


# ------------------------------------------------------------------ kernel command line
def kernel_args(ctx: InstallContext, layout: BootLayout, fam: str) -> list[str]:
    args: list[str] = []
    if fam == "fedora":
        if layout.root_spec:
            args.append(f"root={layout.root_spec}")
        args.append("ro")
        if layout.root_flags:
            args.append(f"rootflags={layout.root_flags}")
        if layout.root is not None:
            for node in layout.root.walk():
                if node.type == "crypt":
                    luks = next((p for p in node.parents if p.fstype == "crypto_LUKS" and p.uuid), None)
                    if luks:
                        args.append(f"rd.luks.uuid=luks-{luks.uuid}")
            args += [f"rd.lvm.lv={lv}" for lv in layout.lvm]
    args += _split(ctx.product.bootloader.get("append", ""))
    args += _split(ctx.plan.bootloader.append)
    args += ctx.kernel_args
    have = {a.split("=", 1)[0] for a in args}
    for word in _split(ctx.cmdline()):
        key = word.split("=", 1)[0]
        if key in PRESERVED_ARGS and (key == "console" or key not in have):
            if kernel_arg_problems(word):
                ctx.warn(f"the installer's boot option {word!r} is not carried to the installed system: "
                         "GRUB would interpret its special characters")
                continue
            args.append(word)
    return list(dict.fromkeys(args))


def _split(text: str | None) -> list[str]:
    return split_kernel_args(text) if text else []


# ------------------------------------------------------------------ config files
def default_grub_text(existing: str, values: dict[str, str]) -> str:
    out, seen = [], set()
    for line in existing.splitlines():
        key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith("#") else None
        if key in values:
            if key not in seen:
                out.append(f"{key}={values[key]}")
                seen.add(key)
            continue
        out.append(line)
    out += [f"{k}={v}" for k, v in values.items() if k not in seen]
    return "\n".join(out) + "\n"


def grub_values(ctx: InstallContext, args: list[str], fam: str) -> dict[str, str]:
    boot = ctx.plan.bootloader
    cmdline = [a for a in args if not a.startswith("root=") and a != "ro"] if fam == "fedora" else args
    values = {"GRUB_CMDLINE_LINUX": sh_quote(" ".join(cmdline))}
    if boot.timeout is not None:
        values["GRUB_TIMEOUT"] = str(boot.timeout)
    serial = next((a for a in args if a.startswith("console=ttyS")), None)
    if serial:
        port, _, speed = serial.split("=", 1)[1].partition(",")
        unit = port.removeprefix("ttyS")
        baud = re.match(r"\d*", speed).group(0) or "115200"  # 115200n8: the speed, then parity and bits
        values["GRUB_TERMINAL"] = sh_quote("serial console")
        values["GRUB_SERIAL_COMMAND"] = sh_quote(f"serial --unit={unit} --speed={baud}")
    if fam == "fedora":
        values["GRUB_ENABLE_BLSCFG"] = "true"
    return values


# ------------------------------------------------------------------ the step
def describe(ctx: InstallContext) -> list[str]:
    boot = ctx.plan.bootloader
    firmware = ctx.machine.firmware
    out = []
    if boot.disabled:
        out.append("no bootloader (bootloader --disabled)")
    elif boot.location == "none":
        out.append("write the boot configuration but install GRUB nowhere (bootloader --location=none)")
    elif firmware == "uefi":
        out.append(f"install GRUB for UEFI on the EFI system partition ({ESP}), with the removable-media "
                   "fallback and an EFI boot entry")
        spares = _known_spare_esps(ctx)
        if spares:
            out.append(f"copy {ESP}/EFI (EFI/BOOT fallback and the distribution's directory) to the EFI system "
                       f"partition{'s' if len(spares) > 1 else ''} {', '.join(spares)}, so that each RAID1 disk "
                       "boots alone (through its own EFI/BOOT/BOOTX64.EFI and boot entry); keep them current "
                       f"after kernel and bootloader updates ({esp_sync.SYNC}, run by package hooks)")
    else:
        disks = getattr(ctx.storage, "boot_disks", None)
        where = ", ".join(disks) if disks else "the disk(s) holding /boot"
        mirrored = " (each disk of the RAID1 /boot)" if disks and len(disks) > 1 else ""
        out.append(f"install GRUB for BIOS on {where}{mirrored}")
    if firmware == "uefi":
        out.append(f"make the directory under the {ESP} mount immutable, so that nothing is written there "
                   "while the ESP is not mounted")
    extra = " ".join(_split(ctx.product.bootloader.get("append", "")) + _split(boot.append))
    out.append("kernel command line: root=UUID=... " + extra + (" selinux=0 (Fedora family)"
               if ctx.plan.security.selinux == "disabled" else ""))
    if boot.timeout is not None:
        out.append(f"menu timeout {boot.timeout} s")
    if boot.password_hash:
        out.append("GRUB superuser 'root' with the bootloader password (hash in user.cfg, mode 0600)")
    out.append("regenerate the initramfs (dracut or update-initramfs) so LUKS, LVM and RAID come up")
    return out


def apply(ctx: InstallContext) -> None:
    boot = ctx.plan.bootloader
    if boot.password_hash is not None and not is_grub_hash(boot.password_hash):
        raise StepError("bootloader --password: the hash is not in grub2-mkpasswd-pbkdf2's format "
                        "(grub.pbkdf2.sha512.ITERATIONS.SALT.HASH); nothing was written")
    fam = chroot.family(ctx.target)
    for arg in selinux.kernel_args(ctx):
        if arg not in ctx.kernel_args:
            ctx.kernel_args.append(arg)
    layout = discover(ctx)
    args = kernel_args(ctx, layout, fam)
    problems = kernel_arg_problems(" ".join(args))
    if problems:  # validation refuses these in bootloader --append; BLS option lines are expanded by GRUB
        raise StepError("the kernel command line cannot be written: " + "; ".join(problems))
    ctx.info("kernel command line: " + " ".join(args))
    if fam == "fedora":
        ctx.write("/etc/kernel/cmdline", " ".join(args) + "\n", 0o644)
    grub_default = chroot.resolve(ctx.target, "/etc/default/grub")
    existing = grub_default.read_text(errors="replace") if grub_default.exists() else ""
    ctx.write("/etc/default/grub", default_grub_text(existing, grub_values(ctx, args, fam)), 0o644)
    _mdadm_conf(ctx, layout, fam)
    _initramfs(ctx, fam)  # in the background: GRUB's installation does not need it
    if layout.esp is not None:
        _guard_esp_mountpoint(ctx)
    if not boot.disabled and boot.location != "none":
        if ctx.machine.firmware == "uefi":
            _install_uefi(ctx, layout, fam)
        else:
            _install_bios(ctx, layout)
    ctx.wait_background(INITRAMFS_DONE)  # grub.cfg lists the initramfs files that exist
    if boot.disabled:
        ctx.info("bootloader --disabled: no bootloader installed")
        return
    _grub_config(ctx, fam)
    if boot.location != "none" and ctx.machine.firmware == "uefi":
        _fill_spare_esps(ctx, layout, fam)


def _mdadm_conf(ctx: InstallContext, layout: BootLayout, fam: str) -> None:
    arrays = [n for node in (layout.root, layout.boot) if node for n in node.walk() if n.type.startswith("raid")]
    if not arrays:
        return
    conf = "/etc/mdadm/mdadm.conf" if fam == "debian" else "/etc/mdadm.conf"
    host = chroot.resolve(ctx.target, conf)
    existing = host.read_text(errors="replace") if host.exists() else ""
    if "ARRAY" in existing:
        return
    proc = ctx.run(["mdadm", "--detail", "--scan"], check=False)
    lines = [line for line in (proc.stdout or "").splitlines() if line.startswith("ARRAY")]
    if lines:
        ctx.write(conf, existing + "# RAID arrays found at install time (azl-install)\n" + "\n".join(lines) + "\n", 0o644)


def _initramfs(ctx: InstallContext, fam: str) -> None:
    """Make the initramfs (and, with kernel-install, the boot entries) of every kernel. With one
    kernel it runs in the background while GRUB is installed; apply() waits for it (INITRAMFS_DONE)
    before grub-mkconfig, and a failure fails this step."""
    kernels = chroot.kernels(ctx.target)
    if not kernels:
        ctx.warn("the target has no kernel: no initramfs or boot entries were made")
        return
    if fam == "fedora" and chroot.find_tool(ctx.target, "kernel-install"):
        cmds = [["kernel-install", "add", kver, f"/lib/modules/{kver}/vmlinuz"] for kver in kernels]
    elif chroot.find_tool(ctx.target, "dracut"):
        cmds = [["dracut", "--force", f"/boot/initramfs-{kver}.img", kver] for kver in kernels]
    elif chroot.find_tool(ctx.target, "update-initramfs"):
        cmds = [["update-initramfs", "-u" if chroot.exists(ctx.target, f"/boot/initrd.img-{kver}") else "-c",
                 "-k", kver] for kver in kernels]
    else:
        raise StepError("the target has no initramfs tool (kernel-install, dracut or update-initramfs)")
    if len(cmds) == 1:
        ctx.start(cmds[0], chroot=True, until=INITRAMFS_DONE)
        return
    for cmd in cmds:  # one after another: they share /boot and the CPU
        ctx.run(cmd, chroot=True)


def _grub_tool(ctx: InstallContext, *names: str) -> str:
    tool = chroot.find_tool(ctx.target, *names)
    if tool is None:
        raise StepError(f"the target has no {' or '.join(names)}: install GRUB in the payload "
                        "(grub2-tools / grub-common) or use bootloader --location=none")
    return os.path.basename(tool)


def _efivars_writable() -> bool:
    return os.path.isdir(EFIVARS) and os.access(EFIVARS, os.W_OK) and "efivarfs" in _mount_types(EFIVARS)


def _mount_types(path: str) -> str:
    try:
        for line in Path("/proc/self/mounts").read_text().splitlines():
            words = line.split()
            if len(words) > 3 and words[1] == path and "rw" in words[3].split(","):
                return words[2]
    except OSError:
        pass
    return ""


def _install_uefi(ctx: InstallContext, layout: BootLayout, fam: str) -> None:
    if not chroot.resolve(ctx.target, ESP).is_dir():
        raise StepError(f"UEFI install without an EFI system partition mounted at {ESP}")
    bootloader_id = chroot.os_release(ctx.target).get("ID") or ctx.product.os_release_id
    packaged = _packaged_loader(ctx, bootloader_id) if fam == "fedora" else None
    if packaged is not None:
        # Signed shim + GRUB from the packages: grub2-install would replace them with unsigned ones.
        _grub_stub(ctx, layout, os.path.dirname(packaged))
        _fallback_from_packages(ctx, bootloader_id)
        loader = packaged
    else:
        grub_install = _grub_tool(ctx, "grub2-install", "grub-install")
        common = [grub_install, "--target=x86_64-efi", f"--efi-directory={ESP}", "--no-nvram"]
        ctx.run([*common, f"--bootloader-id={bootloader_id}"], chroot=True)
        ctx.run([*common, "--removable"], chroot=True)
        loader = f"{ESP}/EFI/{bootloader_id}/grubx64.efi"
    if _efivars_writable() and not ctx.dry_run:
        if not _have_efibootmgr():
            ctx.warn("efibootmgr is not in the live environment: no EFI boot entry made; "
                     "the firmware will start the fallback loader EFI/BOOT/BOOTX64.EFI")
            return
        # efibootmgr puts each new entry first in BootOrder: the spares' go in before the mounted ESP's
        for device in reversed(_known_spare_esps(ctx)):
            _efi_entry(ctx, _lsblk(ctx, device), loader, device)
        _efi_entry(ctx, layout.esp, loader)
    else:
        ctx.info("EFI variables are not writable here: no boot entry made; the disk boots through "
                 "EFI/BOOT/BOOTX64.EFI")


def _packaged_loader(ctx: InstallContext, bootloader_id: str) -> str | None:
    for loader in (f"{ESP}/EFI/{bootloader_id}/shimx64.efi", f"{ESP}/EFI/BOOT/BOOTX64.EFI",
                   f"{ESP}/EFI/BOOT/bootx64.efi"):
        if chroot.exists(ctx.target, loader):
            return loader
    return None


def _grub_stub(ctx: InstallContext, layout: BootLayout, loader_dir: str) -> None:
    """The signed GRUB reads grub.cfg next to itself: point it at the real one under /boot."""
    boot = layout.boot
    separate = layout.boot is not layout.root
    if boot is None or not boot.uuid:
        ctx.warn("cannot find the /boot filesystem's UUID: no grub.cfg written on the ESP")
        return
    prefix = "($dev)/grub2" if separate else "($dev)/boot/grub2"
    ctx.write(f"{loader_dir}/grub.cfg",
              f"search --no-floppy --fs-uuid --set=dev {boot.uuid}\nset prefix={prefix}\nexport $prefix\n"
              "configfile $prefix/grub.cfg\n", 0o700)


def _fallback_from_packages(ctx: InstallContext, bootloader_id: str) -> None:
    if _packaged_loader(ctx, "BOOT"):
        return
    ctx.warn(f"the payload's shim has no EFI/BOOT/BOOTX64.EFI fallback; install shim-x64 fully "
             f"(only EFI/{bootloader_id} is present)")


def _efi_entry(ctx: InstallContext, part: Node | None, loader: str, spare: str | None = None) -> None:
    """A boot entry for the loader on the ESP `part` (the mounted one, or the spare copy on another disk)."""
    if part is None:
        ctx.warn(f"cannot find the device of {spare or ESP}: no EFI boot entry made")
        return
    disk = next((n for n in part.walk() if n.type == "disk"), None)
    number = _partition_number(part.name)
    if disk is None or number is None:
        ctx.warn(f"{part.path} is not a plain disk partition: no EFI boot entry made")
        return
    label = ctx.product.name if spare is None else f"{ctx.product.name} ({os.path.basename(disk.path)})"
    path = "\\" + loader.removeprefix(ESP).lstrip("/").replace("/", "\\")
    ctx.run(["efibootmgr", "--quiet", "--create", "--disk", disk.path, "--part", str(number),
             "--label", label, "--loader", path], check=False)


def _have_efibootmgr() -> bool:
    return shutil.which("efibootmgr") is not None


def _partition_number(name: str) -> int | None:
    try:
        return int(Path(f"/sys/class/block/{name}/partition").read_text().strip())
    except (OSError, ValueError):
        return None


def _known_spare_esps(ctx: InstallContext) -> list[str]:
    """The ESPs storage made on the other disks of a RAID1 /boot (unmounted, not in fstab)."""
    return list(getattr(ctx.storage, "spare_esps", None) or [])


def _fill_spare_esps(ctx: InstallContext, layout: BootLayout, fam: str) -> None:
    spares = _known_spare_esps(ctx)
    if not spares:
        mirrored = layout.disks(layout.boot) if _on_raid1(layout.boot) else []
        if len(mirrored) > 1:
            ctx.warn(f"/boot is on RAID1 over {', '.join(mirrored)} but only the disk holding {ESP} has an EFI "
                     "system partition: the others cannot boot alone")
        return
    source = chroot.resolve(ctx.target, f"{ESP}/EFI")
    if not source.is_dir():
        raise StepError(f"{ESP}/EFI is missing after the GRUB installation: nothing to copy to {', '.join(spares)}")
    scratch = chroot.resolve(ctx.target, "/tmp")
    scratch.mkdir(parents=True, exist_ok=True)
    for device in spares:
        where = tempfile.mkdtemp(prefix="azl-esp-", dir=scratch)
        try:
            ctx.run(["mount", "-t", "vfat", device, where])
            try:
                copied = copy_efi_tree(source, Path(where) / "EFI")
            finally:
                ctx.run(["umount", where])
        finally:
            _remove_empty_dir(where)
        ctx.info(f"copied {ESP}/EFI ({copied} files) to {device}: that disk boots through its own "
                 "EFI/BOOT/BOOTX64.EFI")
    uuids = []
    for device in spares:
        node = _lsblk(ctx, device)
        if node is None or not node.uuid:
            ctx.warn(f"cannot read the filesystem UUID of {device}: later kernel and bootloader updates "
                     f"will not be copied to it (add it to {esp_sync.CONF})")
        else:
            uuids.append(node.uuid)
    if uuids:
        esp_sync.install(ctx, fam, uuids)


def _guard_esp_mountpoint(ctx: InstallContext) -> None:
    """Make the directory under the ESP's mount (on / or /boot) immutable: when the ESP is not mounted
    at boot (its disk lost or late), a kernel or GRUB update then fails on /boot/efi instead of
    writing into the root filesystem where the firmware never looks."""
    parent = "/boot" if _source(ctx, "/boot") else "/"
    under = tempfile.mkdtemp(prefix="azl-esp-under-")
    try:
        if ctx.run(["mount", "--bind", str(ctx.path(parent)), under], check=False).returncode != 0:
            ctx.warn(f"cannot reach the directory under the {ESP} mount (mount --bind failed): "
                     "not made immutable")
            return
        try:
            _make_immutable(ctx, os.path.join(under, os.path.relpath(ESP, parent)), parent)
        finally:
            ctx.run(["umount", under])
    finally:
        _remove_empty_dir(under)


def _make_immutable(ctx: InstallContext, hidden: str, parent: str) -> None:
    if not ctx.dry_run and (not os.path.isdir(hidden) or os.listdir(hidden)):
        ctx.warn(f"the directory under the {ESP} mount is missing or not empty: not made immutable")
        return
    if ctx.run(["chattr", "+i", hidden], check=False).returncode != 0:
        ctx.warn(f"cannot make the {ESP} mount point immutable (chattr +i): if the ESP is ever not "
                 f"mounted, updates would write into the {parent} filesystem")
        return
    ctx.info(f"{ESP} mount point made immutable on the {parent} filesystem: writes there fail unless "
             "the ESP is mounted")


def _on_raid1(node: Node | None) -> bool:
    return node is not None and any(n.type == "raid1" for n in node.walk())


def copy_efi_tree(source: Path, dest: Path) -> int:
    """Copy the files under source to dest (content only: FAT keeps no owners or modes). Returns the count."""
    count = 0
    for top, dirs, files in os.walk(source):
        here = dest / os.path.relpath(top, source)
        here.mkdir(parents=True, exist_ok=True)
        dirs.sort()
        for name in sorted(files):
            shutil.copyfile(os.path.join(top, name), here / name)
            count += 1
    return count


def _remove_empty_dir(path: str) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass  # still mounted or not empty: never delete what may be an ESP's content; unmount_all catches a mount


def _install_bios(ctx: InstallContext, layout: BootLayout) -> None:
    grub_install = _grub_tool(ctx, "grub2-install", "grub-install")
    disks = ctx.boot_disks or layout.disks(layout.boot)
    if ctx.plan.bootloader.boot_drive and not ctx.boot_disks and len(disks) <= 1:
        disk = ctx.machine.disk(ctx.plan.bootloader.boot_drive)
        disks = [disk.path] if disk else disks
    if not disks:
        raise StepError("cannot tell which disk holds /boot: GRUB was not installed")
    for disk in disks:
        ctx.run([grub_install, "--target=i386-pc", disk], chroot=True)
    ctx.info("GRUB installed on " + ", ".join(disks))


def _grub_config(ctx: InstallContext, fam: str) -> None:
    mkconfig = _grub_tool(ctx, "grub2-mkconfig", "grub-mkconfig")
    out = "/boot/grub2/grub.cfg" if mkconfig.startswith("grub2") else "/boot/grub/grub.cfg"
    chroot.resolve(ctx.target, os.path.dirname(out)).mkdir(parents=True, exist_ok=True)
    _grub_superuser(ctx, os.path.dirname(out), fam)
    ctx.run([mkconfig, "-o", out], chroot=True)


# GRUB reads user.cfg from its own directory at boot, so the hash stays in a 0600 file and never
# enters grub.cfg. Fedora's grub2-tools ship such a generator as 01_users; other targets get this one.
USERS_SCRIPT = r"""#!/bin/sh -e
# The GRUB superuser (written by azl-install): its password hash is in user.cfg, mode 0600.
cat << 'EOF'
if [ -f ${prefix}/user.cfg ]; then
  source ${prefix}/user.cfg
  if [ -n "${GRUB2_PASSWORD}" ]; then
    set superusers="root"
    export superusers
    password_pbkdf2 root ${GRUB2_PASSWORD}
  fi
fi
EOF
"""


def _grub_superuser(ctx: InstallContext, grub_dir: str, fam: str) -> None:
    """bootloader --password: GRUB asks for user root and this password before an entry is edited or
    its command line used (Fedora's menu entries are --unrestricted: they boot without it)."""
    hashed = ctx.plan.bootloader.password_hash
    if not hashed:
        return
    ctx.write(f"{grub_dir}/user.cfg", f"GRUB2_PASSWORD={hashed}\n", 0o600)
    if not chroot.exists(ctx.target, "/etc/grub.d/01_users"):
        ctx.write("/etc/grub.d/01_users", USERS_SCRIPT, 0o755)
    ctx.info(f"GRUB superuser 'root' set from bootloader --password ({grub_dir}/user.cfg, mode 0600)")
    if fam != "fedora":
        ctx.warn("bootloader --password on a non-Fedora target: its menu entries are not marked "
                 "--unrestricted, so GRUB asks for the password before booting any of them")
