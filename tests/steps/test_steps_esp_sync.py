"""The files that keep the spare ESPs of a RAID1 /boot in step with /boot/efi after updates."""

import shutil
import subprocess

import pytest

from installer.steps import esp_sync


def test_the_apt_hook_parses_and_runs_the_sync_command_after_dpkg(tmp_path):
    if shutil.which("apt-config") is None:
        pytest.skip("apt-config is not installed here")
    conf = tmp_path / "99azl-esp-sync"
    conf.write_text(esp_sync.APT_HOOK)
    proc = subprocess.run(["apt-config", "-c", str(conf), "dump", "DPkg::Post-Invoke"], capture_output=True,
                          text=True, check=True)
    assert f'"if [ -x {esp_sync.SYNC} ]; then {esp_sync.SYNC} || true; fi"' in proc.stdout


def test_dnf_action_lines_have_the_plugins_field_counts():
    dnf5 = [x for x in esp_sync.DNF5_ACTION.splitlines() if x and not x.startswith("#")]
    assert dnf5 == [f"post_transaction::::{esp_sync.SYNC}"]   # callback:filter:direction:options:command
    dnf4 = [x for x in esp_sync.DNF4_ACTION.splitlines() if x and not x.startswith("#")]
    assert [x.split(":", 2)[:2] for x in dnf4] == [["/boot/efi/*", "in"]]   # filter:state:command


def test_the_hooks_never_fail_the_package_operation():
    for text in (esp_sync.DEBIAN_KERNEL_HOOK, esp_sync.KERNEL_INSTALL_PLUGIN):
        assert text.rstrip().endswith("exit 0")
    assert "|| true" in esp_sync.APT_HOOK and "|| true" in esp_sync.DNF4_ACTION


def test_the_spares_are_listed_by_uuid_for_the_sync_command():
    assert esp_sync.conf_text(["AAAA-1111", "BBBB-2222"]).splitlines()[-1] == 'SPARES="AAAA-1111 BBBB-2222"'
    assert "[ -r /etc/azl-esp-sync.conf ] && . /etc/azl-esp-sync.conf" in esp_sync.SYNC_SCRIPT
    assert esp_sync.CONF == "/etc/azl-esp-sync.conf"
