"""Every sample kickstart is valid, through the real CLI, against the machine it is written for."""

import pytest

from installer.cli import main

from paths import KICKSTARTS, PROFILES

MATCHING_PROFILE = {
    "minimal.ks": "nvme-uefi.json",
    "server-luks-static.ks": "nvme-uefi.json",
    "lab-reinstall.ks": "bios-2sata.json",
    "vm-cloud.ks": "vm-virtio-usb-live.json",
    "fleet-ironic.ks": "vm-virtio-usb-live.json",
    "fleet-foreman.ks": "vm-virtio-usb-live.json",
}


def test_every_sample_has_a_matching_profile():
    assert sorted(p.name for p in KICKSTARTS.glob("*.ks")) == sorted(MATCHING_PROFILE)


@pytest.mark.parametrize("sample", sorted(MATCHING_PROFILE))
def test_sample_validates_cleanly(sample, capsys):
    code = main(["validate", str(KICKSTARTS / sample), "--machine", str(PROFILES / MATCHING_PROFILE[sample])])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip() == "", f"unexpected diagnostics:\n{out}"


def test_sample_on_the_wrong_machine_is_refused(capsys):
    code = main(["validate", str(KICKSTARTS / "vm-cloud.ks"), "--machine", str(PROFILES / "bios-2sata.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert "vm-cloud.ks:" in out and "vda" in out
