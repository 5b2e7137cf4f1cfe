"""azl-install reinstall: the saved kickstart of an earlier install as the plan (unit: the
machine and the look at its disks are given; the look itself is tests/probe/test_previous.py)."""

from __future__ import annotations

import io

import pytest

from installer.cli import main
from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.kickstart.replay import fill_passphrase, needs_passphrase, replay_plan
from installer.model.machine import Machine, Partition
from installer.model.secrets import hash_password
from installer.probe import previous as previous_mod
from installer.probe.previous import Found, LockedVolume, PreviousInstall
from tests.paths import PROFILES

MiB = 1 << 20
HASH = hash_password("Root-pw-4711x")


def saved(extra_storage: str = "ignoredisk --only-use=vda\n", encrypted: bool = False) -> str:
    ks = (f"cmdline\nrootpw --iscrypted '{HASH}'\nnetwork --hostname=lab1.example.test\n{extra_storage}"
          f"zerombr\nclearpart --all --initlabel\nautopart --type=lvm{' --encrypted --passphrase=Secret-99x' if encrypted else ''}\n")
    return dump_kickstart(parse_kickstart(ks, "first.ks").plan)


def test_a_saved_kickstart_that_named_no_disk_stays_on_the_disks_it_lives_on():
    plan = replay_plan(saved(extra_storage=""), "/dev/vda3:/root/installer-ks.cfg", ("vda",)).plan
    assert plan.storage.selected_disks == ["vda"]
    plan = replay_plan(saved(), "x", ("sdz",)).plan
    assert plan.storage.selected_disks == ["vda"]  # what it named is kept; validation checks it exists


def test_the_passphrase_is_the_only_thing_given_back():
    text = saved(encrypted=True)
    assert "Secret-99x" not in text
    plan = replay_plan(text, "x", ("vda",)).plan
    assert needs_passphrase(plan)
    assert fill_passphrase(plan, "Again-secret-1") == 1
    assert not needs_passphrase(plan)
    assert plan.storage.autopart.encryption.passphrase.reveal() == "Again-secret-1"
    assert not needs_passphrase(replay_plan(saved(), "x", ("vda",)).plan)


def installed_machine() -> Machine:
    m = Machine.load(PROFILES / "vm-ci-guest.json")
    vda = m.disk("vda")
    vda.ptable = "gpt"
    vda.partitions = [Partition(name="vda1", path="/dev/vda1", number=1, start=MiB, size=600 * MiB, fstype="vfat"),
                      Partition(name="vda2", path="/dev/vda2", number=2, start=601 * MiB, size=vda.size // 2,
                                fstype="LVM2_member")]
    return m


@pytest.fixture
def host(monkeypatch):
    """This machine and what the look at its disks finds, given by the test."""
    state = {"machine": installed_machine(), "found": Found(), "unlock": None}

    class FakeScanner:
        def __init__(self, machine, **kw):
            self.found = state["found"]

        def scan(self):
            return self.found

        def unlock_and_scan(self, volume, passphrase):
            state["unlocked_with"] = passphrase
            if state["unlock"] is None:
                return False
            self.found.installs.append(state["unlock"])
            return True

    monkeypatch.setattr("installer.probe.udev.probe_machine", lambda **kw: state["machine"])
    monkeypatch.setattr(previous_mod, "Scanner", FakeScanner)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: nothing can be typed
    return state


def prev(encrypted=False, disks=("vda",), device="/dev/azurelinux/root") -> PreviousInstall:
    return PreviousInstall(device, disks, saved(encrypted=encrypted), "lab1.example.test", "2026-12-01 08:00 UTC",
                           encrypted)


def test_nothing_found_exits_5_and_changes_nothing(host, capsys):
    assert main(["reinstall", "--yes"]) == 5
    assert "no system installed by azl-install was found" in capsys.readouterr().err


def test_list_shows_what_was_found(host, capsys):
    host["found"] = Found(installs=[prev()], locked=[LockedVolume("/dev/sda2", "sda")])
    assert main(["reinstall", "--list"]) == 0
    out = capsys.readouterr().out
    assert "/dev/azurelinux/root: lab1.example.test on vda installed 2026-12-01 08:00 UTC" in out
    assert "/dev/sda2: encrypted (LUKS) on sda" in out


def test_several_earlier_installs_need_a_disk_chosen(host, capsys):
    host["found"] = Found(installs=[prev(), prev(disks=("sda",), device="/dev/sda3")])
    assert main(["reinstall", "--yes"]) == 2
    assert "choose one with --disk" in capsys.readouterr().err
    assert main(["reinstall", "--disk", "nosuchdisk", "--yes"]) == 2
    capsys.readouterr()
    host["found"].locked.append(LockedVolume("/dev/sda2", "sda"))
    assert main(["reinstall", "--disk", "sda", "--list"]) == 0  # the earlier install there, and its LUKS
    out = capsys.readouterr().out
    assert out.splitlines() == ["/dev/sda3: lab1.example.test on sda installed 2026-12-01 08:00 UTC",
                                "/dev/sda2: encrypted (LUKS) on sda; its passphrase is needed to look inside"]


def test_unconfirmed_reinstall_shows_what_it_erases_and_stops(host, capsys):
    host["found"] = Found(installs=[prev()])
    assert main(["reinstall"]) == 1
    err = capsys.readouterr().err
    assert "Reinstalling lab1.example.test on vda" in err
    assert "ERASES data on these disks" in err and "vda" in err
    assert "Nothing was changed" in err


def test_an_encrypted_install_without_its_passphrase_stops(host, capsys):
    host["found"] = Found(installs=[prev(encrypted=True)])
    assert main(["reinstall", "--yes"]) == 1
    assert "--passphrase-file" in capsys.readouterr().err


def test_a_locked_volume_is_opened_with_the_passphrase_file_and_it_serves_the_new_volumes(host, tmp_path, capsys):
    secret = tmp_path / "pass"
    secret.write_text("Lab-passphrase-5\n")
    host["found"] = Found(locked=[LockedVolume("/dev/vda2", "vda")])
    assert main(["reinstall", "--passphrase-file", str(secret), "--yes"]) == 1  # the passphrase opens nothing
    assert host["unlocked_with"] == "Lab-passphrase-5"
    assert "the passphrase opens none of: /dev/vda2" in capsys.readouterr().err
    host["unlock"] = prev(encrypted=True)
    assert main(["reinstall", "--passphrase-file", str(secret), "--dry-run", "--log-dir", str(tmp_path / "log"),
                 "--target", str(tmp_path / "sysroot")]) == 0
    err = capsys.readouterr().err
    assert "Reinstalling lab1.example.test on vda" in err and "Lab-passphrase-5" not in err
