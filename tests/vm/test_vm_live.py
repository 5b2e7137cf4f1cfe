"""The live test environment boots, runs a script and reports its status."""
import pytest

from harness.guest import live_vm, run_dir, run_guest
from harness.qemu import Disk, GuestTimeout, Share, sparse_disk
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


JOB_START = "azl-harness: job start"


def test_boot_timeout_reports_where_the_boot_stopped(live_env):
    """A guest whose job never ends: once its job has started (a console line, awaited with an
    outer bound only), the power-off wait gives up at once and its error shows the console up to
    the point where the guest stopped (the job-start line), whatever the machine's speed."""
    workdir = run_dir("live-timeout")
    job = workdir / "job"
    (job / "out").mkdir(parents=True)
    (job / "run").write_text("#!/bin/sh\nexec sleep infinity\n")
    (job / "run").chmod(0o755)
    vm = live_vm(live_env, "live-timeout", workdir=workdir, shares=[Share("job", job, readonly=False)])
    with vm:
        vm.wait_for(JOB_START, 900)   # the event; 900 s only bounds a boot that never gets there
        with pytest.raises(GuestTimeout) as err:
            vm.wait_exit(0)           # the job sleeps forever: the guest cannot power off first
    msg = str(err.value)
    assert "timed out after" in msg and "guest did not power off" in msg and "serial log" in msg
    # the excerpt is the real console, up to where the guest stopped
    tail = msg.split("(tail) ---\n", 1)[1]
    assert JOB_START in tail, msg
    assert vm.proc.poll() is not None   # the timeout killed the guest
