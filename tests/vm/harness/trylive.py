"""`make try`: boot the installation medium (build/azl-install.iso, built or reused) as a CD-ROM
with a blank 20 GB disk; GRUB's menu and then the live system's serial console, with the
installer on it, are this terminal (tests/vm/try.sh)."""
import os
import sys

from . import iso
from .guest import run_dir
from .qemu import VM, Disk, sparse_disk


def main() -> int:
    medium = iso.build_iso()
    workdir = run_dir("try")
    disk = sparse_disk(workdir / "disk.img", os.environ.get("AZL_TRY_DISK_SIZE", "20G"))
    vm = VM(name="azl-try", workdir=workdir, disks=[Disk(disk, bus="virtio", serial="try-disk")],
            firmware=os.environ.get("AZL_TRY_FIRMWARE", "uefi"), cdrom=medium.iso)
    cmd = vm.command(serial="mon:stdio")
    print(f"azl try: {medium.iso} in the CD-ROM drive; GRUB's menu, then the serial console follow "
          "(Ctrl-a x quits QEMU).\n"
          f"azl try: blank target disk {disk}; the first boot under TCG takes about two minutes.",
          file=sys.stderr)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
