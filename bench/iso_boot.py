#!/usr/bin/env python3
"""The installation medium: boot time and size against its own parts, in one run.

Boot: QEMU start until the installer's first screen (the console launcher's "Press Enter to
  install" prompt on the serial console, which the installer's TUI follows on Enter),
  (a) the ISO in the CD-ROM drive, the firmware loading GRUB from it (its menu timeout
      included, as a user meets it), then the kernel and the dracut initramfs finding the
      medium by label and mounting LiveOS/squashfs.img;
  (b) the same kernel and initramfs given to QEMU directly (-kernel/-initrd/-append with the
      default entry's command line), the ISO still in the drive for the live root.
Same QEMU settings (q35, TCG, 2 CPUs, 2 GiB, SeaBIOS or OVMF), one blank disk. The ratio a/b is
what the medium (firmware, GRUB, its menu) adds.

Size: the ISO file against LiveOS/squashfs.img + kernel + initramfs: what the boot loaders, the
package repository and the ISO 9660 structures add.

    sudo .venv/bin/python bench/iso_boot.py [--firmware bios|uefi]
"""

from __future__ import annotations

import argparse
import fcntl
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "vm"))

from harness import iso
from harness.guest import run_dir
from harness.qemu import VM, Disk, sparse_disk

FIRST_SCREEN = "Press Enter to install from this console."


def boot(medium: iso.IsoBuild, name: str, firmware: str, direct: bool) -> float:
    workdir = run_dir(name)
    disk = sparse_disk(workdir / "disk.img", "20G")
    kw = {}
    if direct:
        cmdline = iso.load_medium().cmdline(iso.load_medium().default)
        kw = {"kernel": medium.kernel, "initrd": medium.initrd, "append": cmdline}
    vm = VM(name=name, workdir=workdir, disks=[Disk(disk, serial="bench-disk")], firmware=firmware,
            cdrom=medium.iso, **kw)
    with vm:
        return vm.wait_for(FIRST_SCREEN, 900)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--firmware", default="bios", choices=("bios", "uefi"))
    args = ap.parse_args()
    medium = iso.build_iso()
    parts = {p.name: p.stat().st_size for p in (medium.squashfs, medium.kernel, medium.initrd)}
    size = medium.iso.stat().st_size
    with open("/tmp/azl-vm.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)     # QEMU guests run one at a time on this machine
        t_iso = boot(medium, "bench-iso-boot", args.firmware, direct=False)
        t_direct = boot(medium, "bench-direct-boot", args.firmware, direct=True)
    print(f"boot to the installer's first screen ({args.firmware}):")
    print(f"  ISO as CD-ROM (firmware + GRUB + menu)  {t_iso:7.1f} s")
    print(f"  direct kernel, same live root           {t_direct:7.1f} s")
    print(f"  ratio ISO / direct                      {t_iso / t_direct:7.2f}")
    print("size:")
    for name, n in parts.items():
        print(f"  {name:<38}  {n / 1e6:7.1f} MB")
    print(f"  {medium.iso.name:<38}  {size / 1e6:7.1f} MB")
    print(f"  ratio ISO / (squashfs + kernel + initrd) {size / sum(parts.values()):6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
