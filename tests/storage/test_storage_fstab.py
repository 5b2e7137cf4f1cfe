"""fstab/crypttab rendering (pure)."""

import pytest

from installer.storage.fstab import CrypttabEntry, fstab_entry, mount_order_key, render_crypttab, render_fstab


def test_fstab_orders_parents_first_and_uses_conventional_fields():
    entries = [
        fstab_entry("UUID=e", "/boot/efi", "efi"),
        fstab_entry("UUID=s", None, "swap"),
        fstab_entry("UUID=b", "/boot", "xfs"),
        fstab_entry("UUID=r", "/", "ext4"),
        fstab_entry("UUID=h", "/home", "ext4", "noatime"),
    ]
    body = [line for line in render_fstab(entries).splitlines() if not line.startswith("#")]
    assert body == [
        "UUID=r / ext4 defaults 0 1",
        "UUID=b /boot xfs defaults 0 0",
        "UUID=h /home ext4 noatime 0 2",
        "UUID=e /boot/efi vfat umask=0077,shortname=winnt 0 2",
        "UUID=s none swap defaults 0 0",
    ]


def test_btrfs_subvolume_options_are_kept():
    e = fstab_entry("UUID=v", "/home", "btrfs", "subvol=home,compress=zstd:1")
    assert e.line() == "UUID=v /home btrfs subvol=home,compress=zstd:1 0 0"


def test_mountpoint_required_for_filesystems():
    with pytest.raises(ValueError):
        fstab_entry("UUID=x", None, "xfs")


def test_crypttab_luks_uuid_none():
    text = render_crypttab([CrypttabEntry("luks-2222", "UUID=2222"), CrypttabEntry("luks-1111", "UUID=1111")])
    assert text.splitlines()[1:] == ["luks-1111 UUID=1111 none", "luks-2222 UUID=2222 none"]
    assert render_crypttab([]) == ""


def test_mount_order_key():
    points = ["/var/log", "/boot/efi", "/", "/var", "/boot", "none"]
    assert sorted(points, key=mount_order_key) == ["/", "/boot", "/var", "/boot/efi", "/var/log", "none"]
