"""The live test environment boots, runs a script and reports its status."""
import pytest

from harness.guest import run_guest
from harness.qemu import Disk, GuestTimeout, sparse_disk
from harness.paths import BUILD

pytestmark = pytest.mark.vm

SCRIPT = r"""
set -e
python3 -c 'import blivet, pykickstart, textual, rich; print("blivet", blivet.__version__)'
python3 -c 'from gi.repository import BlockDev; print("blockdev ok")'
test -f /run/azl/src/installer/__init__.py && echo "installer tree mounted"
python3 -c 'import installer; print("installer from", installer.__file__)'
for t in parted sfdisk sgdisk mkfs.xfs mkfs.vfat mkfs.btrfs mkfs.ntfs lvm cryptsetup mdadm dnf rpm \
         mksquashfs zstd; do command -v $t >/dev/null || { echo "missing $t"; exit 1; }; done
echo "disks: $(lsblk -dno SERIAL | sort | tr '\n' ' ')"
modprobe -n -a xfs btrfs vfat dm_crypt raid1
blank=$(lsblk -dpno NAME,SERIAL | awk '$2 == "blank1" {print $1}')
mkfs.vfat "$blank" >/dev/null && mkdir -p /mnt/v && mount "$blank" /mnt/v && echo hi > /mnt/v/f &&
    umount /mnt/v && echo "filesystems ok"
exit 7
"""


def test_live_env_runs_a_script_and_returns_its_status(live_env, vm_timer):
    blank = sparse_disk(BUILD / "runs-disks" / "live-blank.img", "2G")
    r = run_guest(live_env, SCRIPT, [Disk(blank, bus="nvme", serial="blank1")], name="live-smoke",
                  timeout=240)
    vm_timer.add("boot", "live-smoke", r.boot_seconds or 0)
    assert r.rc == 7, r.output + r.tail
    assert "blivet 3.7.1" in r.output
    assert "blockdev ok" in r.output
    assert "installer from /run/azl/src/installer/__init__.py" in r.output
    assert "filesystems ok" in r.output
    assert "blank1" in r.output and "azl-live-root" in r.output
    assert "azl-harness: job start" in r.serial_log.read_text()
    assert r.boot_seconds is not None and r.boot_seconds < 120


def test_boot_timeout_reports_where_the_boot_stopped(live_env):
    with pytest.raises(GuestTimeout) as err:
        run_guest(live_env, "sleep 600", name="live-timeout", timeout=12)
    msg = str(err.value)
    assert "timed out after" in msg and "serial log" in msg
    # the excerpt is the real console: the kernel or initramfs had started printing
    tail = msg.split("(tail) ---\n", 1)[1]
    assert tail.strip(), msg
