"""The harness's own proof: a reference install (the hand-written script, UEFI virtio) boots and
passes the checks; a broken one fails them with the guest's console in the message.

The BIOS SATA reference (scenarios/ref-bios.toml) is left out of the default run: the checks it
exercises run on every installer scenario, and cfg-bios boots the installer's own BIOS SATA
install. AZL_VM_ONLY=ref-bios runs it when the reference script itself changes."""
import os

import pytest
from harness import scenario

pytestmark = pytest.mark.vm

REFERENCE = ["ref-uefi", "ref-broken"]
# AZL_VM_ONLY=ref-uefi,ref-bios installs (and tests) just those: a developer shortcut.
ONLY = [n for n in os.environ.get("AZL_VM_ONLY", "").split(",") if n]


@pytest.fixture(scope="session")
def reference_installs(live_env, test_payload, ssh_key, vm_timer):
    """One live boot (under OVMF) runs every reference install; the script is told
    each target's firmware, so the BIOS install shares the boot."""
    scs = {sc.name: sc for sc in scenario.load_all(ONLY or REFERENCE)}
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install(live_env, test_payload, list(scs.values()), pub, vm_timer,
                     boot_name="reference", live_firmware="uefi")
    return scs


@pytest.mark.parametrize("name", [n for n in ONLY or REFERENCE if n != "ref-broken"])
def test_reference_install_boots_and_passes_checks(reference_installs, ssh_key, vm_timer, name):
    sc = reference_installs[name]
    facts = scenario.verify_install(sc, ssh_key, vm_timer)
    assert facts["firmware"].strip() == sc.firmware


def test_broken_reference_install_fails_with_serial_excerpt(reference_installs, ssh_key, vm_timer):
    if "ref-broken" not in reference_installs:
        pytest.skip(f"AZL_VM_ONLY={os.environ.get('AZL_VM_ONLY')}")
    sc = reference_installs["ref-broken"]
    with pytest.raises(AssertionError) as err:
        scenario.verify_install(sc, ssh_key, vm_timer)
    msg = str(err.value)
    assert "did not come up" in msg
    assert "serial log" in msg
    # the excerpt shows the initramfs giving up on the bogus root device
    assert "00000000-0000-4000-8000-000000000bad" in msg or "Gave up waiting" in msg, msg
