"""Boot the live environment with a blank 20 GB disk, its serial console on
this terminal and the installer started on it (tests/vm/try.sh)."""
import os
import sys

from . import live
from .guest import live_vm, run_dir
from .paths import BUILD
from .payload import Payload
from .qemu import Disk, sparse_disk


def main() -> int:
    env = live.build_live()
    workdir = run_dir("try")
    disk = sparse_disk(workdir / "disk.img", os.environ.get("AZL_TRY_DISK_SIZE", "20G"))
    payload = BUILD / "payload"
    vm = live_vm(env, "azl-try", [Disk(disk, bus="virtio", serial="try-disk")],
                 firmware=os.environ.get("AZL_TRY_FIRMWARE", "uefi"), mode="try",
                 payload=payload if (payload / ".azl-inputs").exists() else None, workdir=workdir)
    cmd = vm.command(serial="mon:stdio")
    print("azl try: the live environment's serial console follows (Ctrl-a x quits QEMU).\n"
          f"azl try: blank target disk {disk}; first boot under TCG takes about a minute.",
          file=sys.stderr)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    sys.exit(main())
