"""Installer scenarios: each tests/vm/scenarios/*.toml with install = "installer"
boots the live env with its disks and kickstart, runs the installer, then the
installed system is booted alone and checked."""
import pytest

from harness import scenario
from harness.paths import REPO

pytestmark = [pytest.mark.vm, pytest.mark.skip(reason="issue 3: not yet passing end to end: the installer scenario driver has not completed a run yet")]

INSTALLER_SCENARIOS = [sc.name for sc in scenario.load_all() if sc.install == "installer"]


def installer_can_install() -> bool:
    text = (REPO / "installer" / "commands" / "install.py").read_text(errors="replace") \
        if (REPO / "installer" / "commands" / "install.py").exists() else ""
    return bool(text) and "not implemented yet" not in text


@pytest.mark.parametrize("name", INSTALLER_SCENARIOS)
def test_installer_scenario(live_env, test_payload, ssh_key, vm_timer, name):
    if not installer_can_install():
        pytest.skip("`azl-install install` is still a placeholder in installer/commands/install.py")
    sc = scenario.load_all([name])[0]
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install(live_env, test_payload, [sc], pub, vm_timer, boot_name=name)
    scenario.verify_install(sc, ssh_key, vm_timer)
