"""The storage actions and fstab/crypttab that `azl-install plan` shows for each sample kickstart,
computed by blivet on sparse files shaped like the matching recorded profile."""

import pytest

from installer.storage.preview import preview_storage
from installer.kickstart.files import load_kickstart
from installer.model.machine import Machine

from paths import KICKSTARTS, PROFILES

OLD_NVME = ["destroy format lvmpv on nvme0n1p3", "destroy partition nvme0n1p3", "destroy format xfs on nvme0n1p2",
            "destroy partition nvme0n1p2", "destroy format efi on nvme0n1p1", "destroy partition nvme0n1p1",
            "destroy format gpt partition table on nvme0n1", "create format gpt partition table on nvme0n1",
            "create partition nvme0n1p1 (600 MiB)", "create partition nvme0n1p2 (1024 MiB)",
            "create partition nvme0n1p3 (475.35 GiB)"]
ESP_BOOT_NVME = ["create format xfs on nvme0n1p2 (/boot)", "create format efi on nvme0n1p1 (/boot/efi)"]

SAMPLES = {
    "minimal": ("nvme-uefi", OLD_NVME + [
        "create format lvmpv on nvme0n1p3", "create volume group azl (475.35 GiB)",
        "create logical volume azl-root (15 GiB)", "create format xfs on azl-root (/)"] + ESP_BOOT_NVME, [
        "UUID=<new:azl-root> / xfs defaults 0 0",
        "UUID=<new:nvme0n1p2> /boot xfs defaults 0 0",
        "UUID=<new:nvme0n1p1> /boot/efi vfat umask=0077,shortname=winnt 0 2"], []),
    "server-luks-static": ("nvme-uefi", OLD_NVME + [
        "create format luks2 on nvme0n1p3", "create LUKS device luks-nvme0n1p3 (475.35 GiB)",
        "create format lvmpv on luks-nvme0n1p3", "create volume group azl (475.35 GiB)",
        "create logical volume azl-swap (8 GiB)", "create format swap on azl-swap",
        "create logical volume azl-home (10 GiB)", "create format xfs on azl-home (/home)",
        "create logical volume azl-log (8 GiB)", "create format xfs on azl-log (/var/log)",
        "create logical volume azl-var (40 GiB)", "create format xfs on azl-var (/var)",
        "create logical volume azl-root (15 GiB)", "create format xfs on azl-root (/)"] + ESP_BOOT_NVME, [
        "UUID=<new:azl-root> / xfs defaults 0 0",
        "UUID=<new:nvme0n1p2> /boot xfs defaults 0 0",
        "UUID=<new:azl-home> /home xfs nodev,nosuid 0 0",
        "UUID=<new:azl-var> /var xfs defaults 0 0",
        "UUID=<new:nvme0n1p1> /boot/efi vfat umask=0077,shortname=winnt 0 2",
        "UUID=<new:azl-log> /var/log xfs nodev,nosuid,noexec 0 0",
        "UUID=<new:azl-swap> none swap defaults 0 0"], ["luks-<new:nvme0n1p3> UUID=<new:nvme0n1p3> none"]),
    "lab-reinstall": ("bios-2sata", [
        "wipe leftover signatures on blank disk sdb (no partition table or data found)", "destroy format lvmpv on sda2", "destroy partition sda2",
        "destroy format ext4 on sda1", "destroy partition sda1", "destroy format msdos partition table on sda",
        "create format gpt partition table on sdb", "create partition sdb1 (931.51 GiB)",
        "create format xfs on sdb1 (/srv)", "create format gpt partition table on sda",
        "create partition sda1 (1024 KiB)", "create partition sda2 (1024 MiB)", "create partition sda3 (930.51 GiB)",
        "create format xfs on sda3 (/)", "create format xfs on sda2 (/boot)", "create format biosboot on sda1"], [
        "UUID=<new:sda3> / xfs defaults 0 0",
        "UUID=<new:sda2> /boot xfs defaults 0 0",
        "UUID=<new:sdb1> /srv xfs defaults 0 0"], []),
    "vm-cloud": ("vm-virtio-usb-live", [
        "wipe leftover signatures on blank disk vda (no partition table or data found)", "create format gpt partition table on vda",
        "create partition vda1 (600 MiB)", "create partition vda2 (1024 MiB)", "create partition vda3 (18.41 GiB)",
        "create format xfs on vda3 (/)", "create format xfs on vda2 (/boot)", "create format efi on vda1 (/boot/efi)"], [
        "UUID=<new:vda3> / xfs defaults 0 0",
        "UUID=<new:vda2> /boot xfs defaults 0 0",
        "UUID=<new:vda1> /boot/efi vfat umask=0077,shortname=winnt 0 2"], []),
}


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_kickstart_storage_preview(name):
    path = KICKSTARTS / f"{name}.ks"
    if not path.exists():
        pytest.skip(f"{path} not written yet")
    profile, actions, fstab, crypttab = SAMPLES[name]
    loaded = load_kickstart(path)
    assert loaded.ok, [str(d) for d in loaded.errors]
    preview = preview_storage(loaded.plan, Machine.load(PROFILES / f"{profile}.json"))
    assert preview.actions == actions
    assert lines(preview.fstab) == fstab
    assert lines(preview.crypttab) == crypttab
    assert "Replace this LUKS passphrase" not in repr(preview.to_dict())
