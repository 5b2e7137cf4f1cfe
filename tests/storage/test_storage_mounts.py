"""Target-tree mount bookkeeping that needs no root: which mounts lie under the target root."""

from installer.storage.mounts import mounts_under, target_path

MOUNTINFO = """\
22 1 8:1 / / rw - ext4 /dev/vda rw
30 22 0:5 / /dev rw - devtmpfs udev rw
61 22 253:2 / /mnt/sysroot rw - xfs /dev/mapper/azl-root rw
62 61 8:2 / /mnt/sysroot/boot rw - xfs /dev/vda2 rw
63 62 8:1 / /mnt/sysroot/boot/efi rw - vfat /dev/vda1 rw
64 61 0:22 / /mnt/sysroot/proc rw - proc proc rw
65 61 0:5 / /mnt/sysroot/dev rw - devtmpfs udev rw
66 22 8:3 / /mnt/sysroot2 rw - ext4 /dev/vdb1 rw
67 61 8:4 / /mnt/sysroot/my\\040data rw - ext4 /dev/vdb2 rw
"""


def test_mounts_under_lists_only_the_target_tree_in_kernel_order():
    assert mounts_under("/mnt/sysroot", MOUNTINFO) == [
        "/mnt/sysroot", "/mnt/sysroot/boot", "/mnt/sysroot/boot/efi", "/mnt/sysroot/proc",
        "/mnt/sysroot/dev", "/mnt/sysroot/my data"]


def test_mounts_under_nothing_mounted():
    assert mounts_under("/mnt/elsewhere", MOUNTINFO) == []


def test_target_path():
    assert target_path("/mnt/sysroot", "/") == "/mnt/sysroot"
    assert target_path("/mnt/sysroot", "/boot/efi") == "/mnt/sysroot/boot/efi"
