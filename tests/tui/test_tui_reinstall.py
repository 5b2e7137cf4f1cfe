"""Reinstall as before: when the disks hold a system azl-install installed, the hub offers its
saved kickstart (F5), through the usual summary with the typed erase confirmation, asking only for
what the saved kickstart cannot hold (the LUKS passphrase)."""

from __future__ import annotations

from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.model.machine import Partition
from installer.model.secrets import hash_password
from installer.probe.previous import PreviousInstall
from tests.tui import machines
from tests.tui.driver import focus_and_type, make_app, sync, wait_for_screen, wait_until

MiB = 1 << 20
PASSPHRASE = "lab-reinstall-passphrase-7"


def saved_kickstart(encrypted: bool = False) -> str:
    """What an earlier install saved as /root/installer-ks.cfg (the save step's writer)."""
    ks = (f"cmdline\nlang en_US.UTF-8\nkeyboard --vckeymap=de\ntimezone Europe/Berlin --utc\n"
          f"network --hostname=lab1.example.test\nrootpw --iscrypted '{hash_password('Root-pw-4711x')}'\n"
          f"ignoredisk --only-use=vda\nzerombr\nclearpart --all --initlabel\n"
          f"autopart --type=lvm{' --encrypted --passphrase=' + PASSPHRASE if encrypted else ''}\npoweroff\n")
    text = dump_kickstart(parse_kickstart(ks, "first.ks").plan)
    assert PASSPHRASE not in text
    return text


def installed_machine():
    """The CI guest whose vda holds the earlier install (ESP, /boot, LVM)."""
    machine = machines.load("vm-ci-guest")
    vda = machine.disk("vda")
    vda.ptable = "gpt"
    vda.partitions = [
        Partition(name="vda1", path="/dev/vda1", number=1, start=MiB, size=600 * MiB, fstype="vfat",
                  partlabel="EFI System Partition"),
        Partition(name="vda2", path="/dev/vda2", number=2, start=601 * MiB, size=1024 * MiB, fstype="xfs"),
        Partition(name="vda3", path="/dev/vda3", number=3, start=1625 * MiB, size=vda.size - 1700 * MiB,
                  fstype="LVM2_member"),
    ]
    return machine


def previous(encrypted: bool = False) -> PreviousInstall:
    return PreviousInstall("/dev/azurelinux/root", ("vda",), saved_kickstart(encrypted), "lab1.example.test",
                           "2026-12-01 08:00 UTC", encrypted)


def finder(*installs):
    seen = []

    def find(machine):
        seen.append(machine)
        return list(installs)
    find.seen = seen
    return find


@sync
async def test_the_hub_offers_the_earlier_install_and_f5_goes_to_the_erase_confirmation(tmp_path):
    find = finder(previous())
    app = make_app("vm-ci-guest", tmp_path, previous_finder=find)
    app.machine = installed_machine()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        hub = app.screen
        await wait_until(pilot, lambda: hub.query_one("#reinstall").display, what="the reinstall offer")
        offer = str(hub.query_one("#previous").render())
        assert "lab1.example.test on vda installed 2026-12-01 08:00 UTC" in offer and "F5" in offer
        await pilot.press("f5")
        await wait_for_screen(pilot, "SummaryScreen")
        summary = app.screen
        await wait_until(pilot, lambda: summary.checked, what="the summary check")
        assert not summary.errors, summary.errors
        assert summary.destructive  # the earlier install is erased: the typed confirmation is required
        assert summary.query_one("#confirm-row").display
        erased = str(summary.query_one("#erase").render())
        assert "vda" in erased
        await pilot.press("f10")  # not confirmed yet: nothing starts
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "SummaryScreen"
        await focus_and_type(pilot, "confirm", "erase")
        await pilot.press("f10")
        await wait_for_screen(pilot, "DoneScreen", timeout=120)
        plan = app.plan
    assert find.seen, "the finder was never asked"
    assert plan.system.hostname == "lab1.example.test"
    assert plan.system.keyboard == "de" and plan.storage.selected_disks == ["vda"]
    assert plan.storage.autopart is not None and plan.storage.autopart.scheme == "lvm"


@sync
async def test_without_an_earlier_install_there_is_no_offer_and_f5_does_nothing(tmp_path):
    app = make_app("vm-ci-guest", tmp_path, previous_finder=finder())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await pilot.pause(0.3)
        hub = app.screen
        assert not hub.query_one("#reinstall").display
        assert not hub.query_one("#previous").display
        assert hub.check_action("reinstall", ()) is False  # not in the footer
        await pilot.press("f5")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "HubScreen"


@sync
async def test_an_encrypted_earlier_install_asks_only_for_the_passphrase(tmp_path):
    app = make_app("vm-ci-guest", tmp_path, previous_finder=finder(previous(encrypted=True)))
    app.machine = installed_machine()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        hub = app.screen
        await wait_until(pilot, lambda: hub.query_one("#reinstall").display, what="the reinstall offer")
        await pilot.press("f5")
        await wait_for_screen(pilot, "PassphraseScreen")
        await focus_and_type(pilot, "passphrase", PASSPHRASE)
        await focus_and_type(pilot, "passphrase-again", PASSPHRASE + "x")
        await pilot.click("#ok")
        await pilot.pause(0.2)
        assert type(app.screen).__name__ == "PassphraseScreen"
        assert "differ" in str(app.screen.query_one("#passphrase-status").render())
        await focus_and_type(pilot, "passphrase-again", PASSPHRASE)
        await pilot.click("#ok")
        await wait_for_screen(pilot, "SummaryScreen")
        summary = app.screen
        await wait_until(pilot, lambda: summary.checked, what="the summary check")
        assert not summary.errors, summary.errors
        plan = app.plan
    ap = plan.storage.autopart
    assert ap.encrypted and ap.encryption.passphrase.reveal() == PASSPHRASE
    assert PASSPHRASE not in dump_kickstart(plan)  # it is asked again, never stored


@sync
async def test_the_app_given_a_machine_profile_does_not_look_at_the_hosts_disks(tmp_path):
    app = make_app("vm-ci-guest", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await pilot.pause(0.3)
        assert app.look_for_previous is False and app.previous == []


@sync
async def test_the_countdown_offers_the_earlier_install_instead(tmp_path):
    """A complete kickstart counts down; F5 stops it and takes the earlier install's way instead."""
    ks = tmp_path / "full.ks"
    ks.write_text(f"rootpw --iscrypted '{hash_password('Root-pw-4711x')}'\nignoredisk --only-use=vda\n"
                  "clearpart --all --initlabel\nautopart --type=plain\n%packages\n@^server\n%end\n")
    plan = parse_kickstart(ks.read_text(), str(ks)).plan
    app = make_app("vm-ci-guest", tmp_path, plan=plan, ks_path=str(ks), autostart=True, countdown_seconds=60,
                   previous_finder=finder(previous()))
    app.machine = installed_machine()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "CountdownScreen")
        countdown = app.screen
        await wait_until(pilot, lambda: countdown.timer is not None and app.previous, what="preview and the find")
        countdown.render_message()
        message = str(countdown.query_one("#message").render())
        assert "F5: reinstall lab1.example.test on vda" in message
        await pilot.press("f5")
        await wait_for_screen(pilot, "SummaryScreen")
        summary = app.screen
        await wait_until(pilot, lambda: summary.checked, what="the summary check")
        assert summary.destructive and not summary.errors, summary.errors
        assert app.plan.storage.autopart.scheme == "lvm"  # the saved kickstart, not the one counting down
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "SummaryScreen"  # the countdown's timer no longer runs


@sync
async def test_a_probe_that_finds_the_same_disks_does_not_look_again(tmp_path):
    from screens.app import MachineChanged

    find = finder(previous())
    app = make_app("vm-ci-guest", tmp_path, previous_finder=find)
    app.machine = installed_machine()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await wait_until(pilot, lambda: app.previous, what="the first look")
        app.post_message(MachineChanged(installed_machine(), "vda changed"))
        await pilot.pause(0.5)
        assert len(find.seen) == 1
        changed = installed_machine()
        changed.disk("vda").partitions.pop()
        app.post_message(MachineChanged(changed, "vda changed"))
        await wait_until(pilot, lambda: len(find.seen) == 2, what="a look at the changed disk")
