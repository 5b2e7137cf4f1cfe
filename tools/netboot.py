#!/usr/bin/env python3
"""Lay out the network-boot tree from the live build (the same kernel, initrd and squashfs as the ISO).

    python3 tools/netboot.py --from build/iso-root --base-url http://10.0.0.1/azl [--repo build/iso/tree]
                             [--ks URL] [--arg ARG ...] OUT

OUT then holds, for any HTTP server to serve at BASE-URL (and a TFTP server for the first stage):

    images/pxeboot/vmlinuz       the kernel          (Ironic's anaconda deploy interface and Anaconda's
    images/pxeboot/initrd.img    the initramfs        layout: the same paths as a Fedora install tree)
    LiveOS/squashfs.img          the live root with the installer
    boot.ipxe                    iPXE script (BIOS and UEFI); `set base URL` before chaining it overrides BASE-URL
    grub.cfg                     GRUB network-boot menu (grubx64.efi / i386-pc pxe core): http:// bases, and
                                 no iPXE ${...} variables in --ks/--arg
    netboot.json                 the files with sizes and sha256, and the kernel command line
    (with --repo: the package repository at the top, so inst.repo=BASE-URL works)

Files are hard-linked when OUT is on the same filesystem as the inputs, copied otherwise. Nothing
here is specific to a build system: the inputs are three files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import urllib.parse
from pathlib import Path

# Kernel arguments besides root=: dracut's live root with an overlay in RAM, consoles as on the ISO
# (tools/iso/medium.toml), the network up in the initramfs so dracut can fetch the squashfs.
DEFAULT_ARGS = ["rd.live.image", "rd.live.overlay.overlayfs=1", "console=tty0", "console=ttyS0,115200"]
NET_ARGS = ["rd.neednet=1", "ip=dhcp"]
# How the live root arrives: "initrd" - the boot loader fetches LiveOS/squashfs.img over HTTP as a second
# initramfs member /squashfs.img (works with the media initramfs of make iso: no network in dracut needed;
# iPXE's BIOS loader and GRUB's newc: build the cpio member); "http" - dracut's livenet fetches it
# (root=live:URL; needs an initramfs with the livenet and network modules).
IN_INITRD = "/squashfs.img"
LAYOUT = {"kernel": "images/pxeboot/vmlinuz", "initrd": "images/pxeboot/initrd.img",
          "squashfs": "LiveOS/squashfs.img"}
# A URL or argument goes into iPXE and GRUB scripts unquoted: no spaces, quotes, ; or shell/script syntax.
SAFE = re.compile(r"^[A-Za-z0-9._~:/?\[\]@!&()*+,=%${}-]+$")


class NetbootError(Exception):
    pass


def check_base(url: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NetbootError(f"--base-url {url}: an http:// or https:// URL with a host is needed")
    if not SAFE.match(url) or "$" in url or "&" in url:
        raise NetbootError(f"--base-url {url}: characters that boot scripts cannot carry")
    if parts.query or parts.fragment:
        raise NetbootError(f"--base-url {url}: no ?query or #fragment (paths are appended to it)")
    return parts


def check_arg(arg: str, what: str) -> str:
    if not arg or not SAFE.match(arg) or "&&" in arg:
        raise NetbootError(f"{what} {arg!r}: characters that boot scripts cannot carry")
    return arg


def kernel_args(base: str, ks: str | None, repo: bool, extra: list[str], live_root: str = "initrd") -> list[str]:
    if live_root == "http":
        args = [f"root=live:{base}/{LAYOUT['squashfs']}", *DEFAULT_ARGS, *NET_ARGS]
    else:
        args = [f"root=live:{IN_INITRD}", *DEFAULT_ARGS]
    if repo:
        args.append(f"inst.repo={base}")
    if ks:
        args += [f"inst.ks={ks}", "inst.cmdline"]
    return args + extra


def ipxe_script(base: str, args: list[str], live_root: str = "initrd") -> str:
    """iPXE: the base URL is a variable (set before chaining to override it); ${base} is expanded by iPXE."""
    line = " ".join(a.replace(base, "${base}") for a in args)
    squash = [f"initrd ${{base}}/{LAYOUT['squashfs']} {IN_INITRD}"] if live_root == "initrd" else []
    return "\n".join([
        "#!ipxe",
        "# azl-install network boot (tools/netboot.py). Override the server with: set base URL; chain URL/boot.ipxe",
        f"isset ${{base}} || set base {base}",
        "isset ${ip} || dhcp",
        "echo Booting the Azure Linux installer from ${base}",
        f"kernel ${{base}}/{LAYOUT['kernel']} initrd=initrd.img {line}",
        f"initrd --name initrd.img ${{base}}/{LAYOUT['initrd']}",
        *squash,
        "boot",
        "",
    ])


def grub_device(parts: urllib.parse.SplitResult) -> str:
    """GRUB's name for the HTTP server: (http,HOST) or (http,HOST,PORT)."""
    host = parts.hostname or ""
    return f"(http,{host})" if parts.port in (None, 80) else f"(http,{host},{parts.port})"


def grub_cfg(base: str, parts: urllib.parse.SplitResult, args: list[str], live_root: str = "initrd") -> str:
    dev = grub_device(parts)
    path = parts.path.rstrip("/")
    squash = f" newc:{IN_INITRD.lstrip('/')}:{dev}{path}/{LAYOUT['squashfs']}" if live_root == "initrd" else ""
    return "\n".join([
        "# azl-install network boot (tools/netboot.py): GRUB for UEFI (grubx64.efi) and BIOS (pxe core).",
        "set timeout=5",
        "set default=install",
        "serial --unit=0 --speed=115200",
        "terminal_input console serial",
        "terminal_output console serial",
        "menuentry 'Install Azure Linux (network)' --id install {",
        f"    echo 'Loading the installer from {base} ...'",
        f"    linux {dev}{path}/{LAYOUT['kernel']} {' '.join(args)}",
        f"    initrd {dev}{path}/{LAYOUT['initrd']}{squash}",
        "}",
        "",
    ])


def place(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    tmp.replace(dest)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def write_tree(out: Path, *, kernel: Path, initrd: Path, squashfs: Path, base_url: str,
               ks: str | None = None, repo: Path | None = None, extra: list[str] | None = None,
               live_root: str = "initrd") -> dict:
    base = base_url.rstrip("/")
    parts = check_base(base)
    if live_root not in ("initrd", "http"):
        raise NetbootError(f"--live-root {live_root}: initrd or http")
    if ks:
        check_arg(ks, "--ks")
    for a in extra or []:
        check_arg(a, "--arg")
    for what, p in (("kernel", kernel), ("initrd", initrd), ("squashfs", squashfs)):
        if not p.is_file():
            raise NetbootError(f"the {what} {p} does not exist (run make iso first)")
    out.mkdir(parents=True, exist_ok=True)
    for what, src in (("kernel", kernel), ("initrd", initrd), ("squashfs", squashfs)):
        place(src, out / LAYOUT[what])
    if repo is not None:
        if not (repo / "repodata" / "repomd.xml").is_file():
            raise NetbootError(f"--repo {repo}: no repodata/repomd.xml there")
        for p in sorted(repo.rglob("*")):
            rel = p.relative_to(repo)
            if p.is_file() and rel.parts[0] not in ("LiveOS", "images", "boot", "EFI"):
                place(p, out / rel)
    args = kernel_args(base, ks, repo is not None, list(extra or []), live_root)
    (out / "boot.ipxe").write_text(ipxe_script(base, args, live_root))
    # GRUB fetches over http only, and would expand iPXE's ${...} variables as its own (to nothing).
    grub = parts.scheme == "http" and not any("${" in a for a in args)
    if grub:
        (out / "grub.cfg").write_text(grub_cfg(base, parts, args, live_root))
    else:
        (out / "grub.cfg").unlink(missing_ok=True)
    manifest = {
        "base_url": base,
        "kernel_args": args,
        "files": {rel: {"bytes": (out / rel).stat().st_size, "sha256": sha256(out / rel)}
                  for rel in LAYOUT.values()},
        "grub": grub,
        "live_root": live_root,
    }
    (out / "netboot.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path, help="the tree to write (e.g. build/netboot)")
    ap.add_argument("--base-url", required=True, help="where OUT will be served, e.g. http://10.0.0.1/azl")
    ap.add_argument("--from", dest="src", type=Path,
                    help="a directory with vmlinuz, initrd.img and squashfs.img (make iso's build/iso-root)")
    ap.add_argument("--kernel", type=Path)
    ap.add_argument("--initrd", type=Path)
    ap.add_argument("--squashfs", type=Path)
    ap.add_argument("--repo", type=Path, help="a package repository directory to serve at the base URL too")
    ap.add_argument("--ks", help="inst.ks= URL for unattended installs (iPXE expands ${...}, e.g. ${net0/mac:hexhyp})")
    ap.add_argument("--arg", action="append", default=[], help="one more kernel argument (repeatable)")
    ap.add_argument("--live-root", choices=("initrd", "http"), default="initrd",
                    help="initrd (default): the boot loader fetches the squashfs with the initramfs, for the "
                         "media initramfs of make iso; http: dracut's livenet fetches it (root=live:URL)")
    a = ap.parse_args(argv)
    src = a.src
    kernel = a.kernel or (src / "vmlinuz" if src else None)
    initrd = a.initrd or (src / "initrd.img" if src else None)
    squashfs = a.squashfs or (src / "squashfs.img" if src else None)
    if not (kernel and initrd and squashfs):
        ap.error("give --from DIR or all of --kernel, --initrd and --squashfs")
    try:
        manifest = write_tree(a.out, kernel=kernel, initrd=initrd, squashfs=squashfs, base_url=a.base_url,
                              ks=a.ks, repo=a.repo, extra=a.arg, live_root=a.live_root)
    except NetbootError as exc:
        print(f"netboot: {exc}", file=sys.stderr)
        return 2
    total = sum(f["bytes"] for f in manifest["files"].values())
    sizes = ", ".join(f"{rel} {f['bytes']}" for rel, f in manifest["files"].items())
    print(f"netboot: {a.out} for {manifest['base_url']}: {total} bytes to boot ({sizes})")
    if not manifest["grub"]:
        print("netboot: no grub.cfg: GRUB fetches over http:// only and cannot expand iPXE variables such as "
              "${net0/mac:hexhyp} (for GRUB use a fixed --ks URL and --arg inst.ks.sendmac)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
