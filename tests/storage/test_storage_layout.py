"""Product default layout and Anaconda-like swap sizing (pure, no blivet)."""

import pytest

from installer.model.product import load_product
from installer.storage.layout import GiB, MiB, autopart_requests, minimum_mib, platform_requests, recommended_swap_mib

STORAGE = load_product().storage


@pytest.mark.parametrize("ram_gib, swap_mib", [
    (1, 2048),          # < 2 GiB: twice the RAM
    (1.5, 3072),
    (2, 2048),          # 2-8 GiB: same as RAM
    (4, 4096),
    (7.5, 7680),
    (8, 4096),          # 8-64 GiB: half the RAM
    (32, 16384),
    (63, 32256),
    (64, 32768),        # 64 GiB and above: 32 GiB
    (512, 32768),
])
def test_recommended_swap_follows_anaconda_table(ram_gib, swap_mib):
    assert recommended_swap_mib(int(ram_gib * GiB)) == swap_mib


def test_uefi_lvm_default_layout():
    reqs = autopart_requests(STORAGE, firmware="uefi", memory=4 * GiB)
    assert [(r.role, r.mountpoint, r.fstype, r.size_mib, r.where) for r in reqs] == [
        ("platform", "/boot/efi", "efi", 600, "partition"),
        ("boot", "/boot", "xfs", 1024, "partition"),
        ("root", "/", "xfs", 2048, "lv"),
    ]
    root = reqs[-1]
    assert root.grow and root.maxsize_mib == 15360
    assert minimum_mib(reqs) == 600 + 1024 + 2048


def test_bios_gets_biosboot_only_on_gpt():
    assert [(r.fstype, r.size_mib) for r in platform_requests("bios", STORAGE, "gpt")] == [("biosboot", 1)]
    assert platform_requests("bios", STORAGE, "msdos") == []


def test_swap_only_when_asked_and_sized_from_memory():
    without = autopart_requests(STORAGE, firmware="uefi", memory=16 * GiB)
    assert not [r for r in without if r.role == "swap"]
    withswap = autopart_requests(STORAGE, firmware="uefi", memory=16 * GiB, noswap=False)
    swap = [r for r in withswap if r.role == "swap"]
    assert [(s.fstype, s.size_mib, s.where) for s in swap] == [("swap", 8192, "lv")]


def test_plain_ext4_puts_everything_on_partitions():
    reqs = autopart_requests(STORAGE, firmware="bios", memory=1 * GiB, scheme="plain", fstype="ext4",
                             noswap=False, nohome=False)
    assert {r.where for r in reqs} == {"partition"}
    assert [(r.mountpoint, r.fstype) for r in reqs if r.role in ("boot", "root", "home")] == [
        ("/boot", "ext4"), ("/", "ext4"), ("/home", "ext4")]
    assert [r.size_mib for r in reqs if r.role == "swap"] == [2048]


def test_btrfs_uses_subvolumes_and_keeps_boot_on_product_fs():
    reqs = autopart_requests(STORAGE, firmware="uefi", memory=4 * GiB, scheme="btrfs", nohome=False)
    assert [(r.mountpoint, r.fstype, r.where) for r in reqs if r.role in ("root", "home")] == [
        ("/", "btrfs", "subvolume"), ("/home", "btrfs", "subvolume")]
    assert [r.fstype for r in reqs if r.role == "boot"] == ["xfs"]
    # subvolumes share one volume: the minimum counts the largest, not the sum
    assert minimum_mib(reqs) == 600 + 1024 + 2048


def test_noboot_and_unknown_scheme():
    assert not [r for r in autopart_requests(STORAGE, firmware="uefi", memory=GiB, noboot=True) if r.role == "boot"]
    with pytest.raises(ValueError):
        autopart_requests(STORAGE, firmware="uefi", memory=GiB, scheme="zfs")
    assert MiB * 1024 == GiB
