"""azl-install-iso remaster: an existing dmsquash ISO with azl-install added to its live root.

    1. read the ISO: volume label and date, boot records, LiveOS/squashfs.img, boot menus;
    2. stage the payload in a directory: the installer (from this source tree with pyinstall,
       or the payload of given RPMs), iso-overlay/, and the wheels of its dependencies that
       the live root lacks;
    3. lay the payload over the live root (liveroot.py: squashfs, erofs, or ext4 in squashfs)
       and rebuild the image with its own compression;
    4. with --ks: the kickstart at /ks.cfg on the medium and a boot entry with
       inst.ks=hd:LABEL=<label>:/ks.cfg in every menu (GRUB, ISOLINUX, the EFI image's GRUB),
       plus --ks-append arguments (e.g. inst.cmdline), the default with --ks-default;
       --append adds kernel arguments to every live entry;
    5. write the ISO with the input's boot records (iso.py).

No loop mounts. Files from RPMs are unpacked (rpm2cpio), not registered in the live root's rpm
database: the medium is read-only and discarded at each boot.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import bootcfg, iso, liveroot, pyinstall

SOURCE_TREE = Path(__file__).resolve().parent.parent
SQUASHFS_PATH = "/LiveOS/squashfs.img"
KS_PATH = "/ks.cfg"

def _epoch(pvd: iso.Pvd) -> int:
    """Timestamp of everything added: SOURCE_DATE_EPOCH, else the input ISO's own date (so the
    same inputs give the same ISO, and no original file is newer than it)."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    return int(env) if env else pvd.epoch()


class RemasterError(RuntimeError):
    pass


@dataclass
class Options:
    input: Path
    output: Path
    ks: Path | None = None
    append: list[str] = field(default_factory=list)
    ks_append: list[str] = field(default_factory=list)
    ks_default: bool = False
    rpms: list[Path] = field(default_factory=list)
    source: Path | None = SOURCE_TREE
    overlay: Path | None = SOURCE_TREE / "iso-overlay"
    wheels: Path | None = SOURCE_TREE / "build" / "wheels"
    extra_wheels: list[Path] = field(default_factory=list)
    validate_ks: bool = True
    workdir: Path | None = None
    log: object = print


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _wheel_fits(wheel: Path, site: str) -> bool:
    """A pure wheel fits any Python 3; a cpXY one only the root's interpreter."""
    with zipfile.ZipFile(wheel) as z:
        info = next(n for n in z.namelist() if n.endswith(".dist-info/WHEEL"))
        pure = "Root-Is-Purelib: true" in z.read(info).decode()
    if pure:
        return True
    ver = re.search(r"python3\.(\d+)", site)
    return bool(ver) and f"-cp3{ver.group(1)}-" in wheel.name and "x86_64" in wheel.name


def stage_payload(stage: Path, root: liveroot.Root, o: Options) -> dict:
    """The files to add, below stage/, and a report of what they are."""
    report: dict = {"rpms": [], "wheels": [], "tree": None, "overlay": 0}
    if o.rpms:
        for rpm in o.rpms:
            cpio = subprocess.run(["rpm2cpio", str(rpm)], check=True, capture_output=True).stdout
            subprocess.run(["cpio", "-idm", "--quiet", "--no-absolute-filenames"], input=cpio, cwd=stage, check=True)
            report["rpms"].append(rpm.name)
        return report
    site, bindir = liveroot.sitelib_for(root)
    report.update(sitelib=site, bindir=bindir)
    if o.source:
        report["tree"] = pyinstall.install_tree(o.source, stage, site, bindir, only=("installer", "screens"))
    if o.overlay and o.overlay.is_dir():
        for src in sorted(o.overlay.rglob("*")):
            rel = src.relative_to(o.overlay)
            if rel.as_posix() == "README.md" or (src.is_dir() and not src.is_symlink()):
                continue
            dst = stage / rel
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_symlink():
                dst.symlink_to(os.readlink(src))
            else:
                shutil.copy2(src, dst)
            report["overlay"] += 1
    have = liveroot.installed_distributions(root)
    candidates = sorted(o.wheels.glob("*.whl")) if o.wheels and o.wheels.is_dir() else []
    for wheel in candidates:
        name = _normalize(wheel.name.split("-")[0])
        if name in have or not _wheel_fits(wheel, site):
            continue
        pyinstall.install_wheel(wheel, stage, site, bindir, platlib=True)
        report["wheels"].append(wheel.name)
        have.add(name)
    for wheel in o.extra_wheels:
        pyinstall.install_wheel(wheel, stage, site, bindir)
        report["wheels"].append(wheel.name)
    # What the installer imports and a wheel cannot bring (blivet needs the root's libblockdev).
    staged = {p.name for p in (stage / site.lstrip("/")).glob("*")}
    report["missing"] = [m for m in ("gi", "blivet", "pyudev", "pykickstart", "textual")
                         if m not in staged and not liveroot.has_module(root, m)]
    return report


def validate_kickstart(ks: Path, source: Path | None) -> None:
    """Refuse to embed a kickstart the installer would reject (azl-install validate)."""
    cwd = source if source and (source / "installer").is_dir() else None
    proc = subprocess.run([sys.executable, "-m", "installer", "validate", str(ks)], cwd=cwd,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RemasterError(f"the kickstart is not valid:\n{proc.stdout}{proc.stderr}".rstrip())


def _patch_menus(o: Options, files: list[str], work: Path, label: str) -> tuple[dict[str, Path], list[str]]:
    """Menus with the kickstart entry and --append arguments, as ISO path -> patched local file."""
    out: dict[str, Path] = {}
    notes: list[str] = []
    ks_arg = bootcfg.ks_argument(label, KS_PATH)
    for path in files:
        local = work / "menus" / path.lstrip("/")
        text = local.read_text(errors="surrogateescape")
        new = text
        if path.endswith("grub.cfg"):
            if "root=live:" not in text:
                continue
            new, _ = bootcfg.grub_append(new, o.append)
            if o.ks:  # a copy of the first live entry, which has the --append arguments now
                new = bootcfg.grub_add_entry(new, ks_arg.replace("\\", "\\\\"), o.ks_append, default=o.ks_default)
        else:
            if "root=live:" not in text:
                continue
            new, _ = bootcfg.syslinux_append(new, o.append)
            if o.ks:
                new = bootcfg.syslinux_add_entry(new, ks_arg, o.ks_append, default=o.ks_default)
        if new != text:
            local.write_text(new, errors="surrogateescape")
            out[path] = local
            notes.append(path)
    return out, notes


def _patch_efi_image(o: Options, src_iso: Path, efi_path: str, work: Path, label: str) -> Path | None:
    """The EFI El Torito image, when it is a file on the ISO with its own GRUB menu (Fedora's
    images/efiboot.img), patched with mtools; None when it has no live menu (grub-mkrescue's
    efi.img only finds the ISO's /boot/grub/grub.cfg)."""
    img = work / "efi" / "efiboot.img"
    iso.extract(src_iso, [(efi_path, img)])
    listing = subprocess.run(["mdir", "-/", "-b", "-i", str(img), "::/"], capture_output=True, text=True,
                             check=False).stdout.split()
    cfgs = [p for p in listing if p.lower().endswith("/grub.cfg")]
    changed = False
    for cfg in cfgs:
        local = work / "efi" / "grub.cfg"
        subprocess.run(["mcopy", "-n", "-o", "-i", str(img), cfg, str(local)], check=True, capture_output=True)
        text = local.read_text(errors="surrogateescape")
        if "root=live:" not in text:
            continue
        new, _ = bootcfg.grub_append(text, o.append)
        if o.ks:
            new = bootcfg.grub_add_entry(new, bootcfg.ks_argument(label, KS_PATH).replace("\\", "\\\\"),
                                         o.ks_append, default=o.ks_default)
        local.write_text(new, errors="surrogateescape")
        r = subprocess.run(["mcopy", "-o", "-i", str(img), str(local), cfg], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            raise RemasterError(f"{efi_path}: cannot write {cfg} into the EFI image: {r.stderr.strip()}")
        changed = True
    return img if changed else None


def remaster(o: Options) -> dict:
    log = o.log
    if not o.input.is_file():
        raise RemasterError(f"{o.input}: no such ISO")
    if o.output.resolve() == o.input.resolve():
        raise RemasterError("the output must be a new file, not the input")
    if o.ks:
        if not o.ks.is_file():
            raise RemasterError(f"{o.ks}: no such kickstart")
        if o.validate_ks:
            validate_kickstart(o.ks, o.source)
    pvd = iso.read_pvd(o.input)
    boot = iso.boot_summary(o.input)
    files = iso.find_files(o.input, r".*")
    if SQUASHFS_PATH not in files:
        raise RemasterError(f"{o.input}: no {SQUASHFS_PATH}: not a dmsquash live ISO")
    o.output.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".remaster-", dir=o.workdir or o.output.parent))
    try:
        menus = [f for f in files if re.search(r"/(grub\.cfg|isolinux\.cfg|syslinux\.cfg)$", f)]
        log(f"remaster: {o.input.name} (label {pvd.volume_id}): extracting the live image")
        iso.extract(o.input, [(SQUASHFS_PATH, work / "squashfs.img")]
                    + [(m, work / "menus" / m.lstrip("/")) for m in menus])
        epoch = _epoch(pvd)
        image = liveroot.LiveImage.open(work / "squashfs.img", work / "live", epoch)
        stage = work / "stage"
        stage.mkdir()
        report = stage_payload(stage, image.root, o)
        log(f"remaster: adding {sum(1 for _ in stage.rglob('*'))} entries to the {image.kind} live root")
        image.root.add_tree(stage)
        shutil.rmtree(stage)
        new_img = work / "squashfs.new.img"
        image.rebuild(new_img, epoch)
        replace: dict[str, Path] = {SQUASHFS_PATH: new_img}
        if o.ks:
            shutil.copy2(o.ks, work / "ks.cfg")
            replace[KS_PATH] = work / "ks.cfg"
        patched, notes = _patch_menus(o, menus, work, pvd.volume_id)
        replace.update(patched)
        efi_paths = [e["path"] for e in boot["entries"] if e["platform"] == "UEFI" and e["path"]]
        for efi in efi_paths:
            if (o.ks or o.append) and efi in files:
                img = _patch_efi_image(o, o.input, efi, work, pvd.volume_id)
                if img:
                    replace[efi] = img
                    notes.append(f"{efi} (EFI image)")
        if (o.ks or o.append) and not notes:
            raise RemasterError("no boot menu with a live entry (root=live:) to add the kickstart or arguments to")
        log(f"remaster: writing {o.output}")
        dropped = iso.write_modified(o.input, o.output, replace, epoch)
        after = iso.boot_summary(o.output)
        if [(e["platform"], e["path"]) for e in after["entries"]] != [(e["platform"], e["path"]) for e in boot["entries"]]:
            raise RemasterError(f"the boot records changed: {boot['entries']} -> {after['entries']}")
        report.update(kind=image.kind, label=pvd.volume_id, menus=notes, dropped_boot_records=dropped,
                      boot=[f"{e['platform']} {e['path']}" for e in after["entries"]],
                      ks=KS_PATH if o.ks else None, output=str(o.output), size=o.output.stat().st_size)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


def format_report(report: dict) -> str:
    return json.dumps(report, indent=1, sort_keys=True)
