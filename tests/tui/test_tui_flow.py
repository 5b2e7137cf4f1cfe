"""Drive whole dry-run installs through the TUI with the keyboard and check the plan it built."""

from __future__ import annotations

import base64
import re

from installer.model.secrets import verify
from tests.tui.driver import screen_name, sync, pick, choose, toggle, begin_and_install, done, focus_and_type, make_app, open_area, wait_for_screen, wait_until

ROOT_PW = "Correct-Horse-7-Battery"
# a well-formed ed25519 public key (length-prefixed type + 32 bytes), base64-encoded
KEY_BLOB = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(range(32))).decode()
SSH_KEY = f"ssh-ed25519 {KEY_BLOB} azadmin@laptop"
USER_PW = "Another-Long-9-Secret"


async def set_root_and_admin(pilot, *, user: str = "azadmin", key: str | None = None) -> None:
    await open_area(pilot, 6, "UsersSpoke")
    await focus_and_type(pilot, "root-pw", ROOT_PW)
    await focus_and_type(pilot, "root-pw2", ROOT_PW)
    await focus_and_type(pilot, "user-gecos", "Az Admin")
    await focus_and_type(pilot, "user-name", user)
    await focus_and_type(pilot, "user-pw", USER_PW)
    await focus_and_type(pilot, "user-pw2", USER_PW)
    if key:
        await focus_and_type(pilot, "ssh-keys", key)
    await done(pilot)


def assert_hashes(plan) -> None:
    acc = plan.accounts
    assert acc.root_password_hash and acc.root_password_hash.startswith("$")
    assert ROOT_PW not in acc.root_password_hash and verify(ROOT_PW, acc.root_password_hash)
    admin = acc.users[0]
    assert admin.password_hash and verify(USER_PW, admin.password_hash)
    assert USER_PW not in repr(plan) and ROOT_PW not in repr(plan)


@sync
async def test_virtio_usb_live_default_flow(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        assert app.screen.query_one("#begin").disabled
        # destination: the only target disk is preselected; the USB live medium is not selectable
        await open_area(pilot, 3, "DestinationSpoke")
        disks = app.screen.query_one("#disks")
        assert list(disks.selected) == ["vda"]
        assert disks.get_option("sdb").disabled
        await done(pilot)
        await set_root_and_admin(pilot, key=SSH_KEY)
        await open_area(pilot, 5, "NetworkSpoke")
        await focus_and_type(pilot, "hostname", "vm1.example.com")
        await done(pilot)
        await wait_until(pilot, lambda: not app.screen.query_one("#begin").disabled, what="Begin enabled")
        await begin_and_install(pilot)
        plan = app.plan
        log = app.screen.query_one("#report").lines
    st = plan.storage
    assert st.selected_disks == ["vda"] and st.clearpart.mode == "all" and st.clearpart.drives == ["vda"]
    assert st.autopart is not None and st.autopart.scheme == "lvm" and not st.autopart.encrypted
    assert plan.system.hostname == "vm1.example.com"
    assert str(plan.system.origin_of("hostname")) == "tui"
    assert_hashes(plan)
    assert [u.name for u in plan.accounts.users] == ["azadmin"] and "wheel" in plan.accounts.users[0].groups
    assert [(k.username, k.key.split()[0]) for k in plan.accounts.ssh_keys] == [("azadmin", "ssh-ed25519")]
    # the dry run's report ends with the kickstart, hashes only
    text = "\n".join(log)
    assert "rootpw --iscrypted" in text and ROOT_PW not in text and USER_PW not in text
    assert "sdb" not in " ".join(st.clearpart.drives)


@sync
async def test_nvme_uefi_encrypted_btrfs_static_network(tmp_path):
    app = make_app("nvme-uefi", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await choose(pilot, "scheme", "scheme-btrfs")
        await toggle(pilot, "encrypt")
        await focus_and_type(pilot, "passphrase", "disk-Pass-phrase-1")
        await focus_and_type(pilot, "passphrase-confirm", "disk-Pass-phrase-2")
        await pilot.press("escape")
        assert "do not match" in str(app.screen.query_one("#status").render())
        await focus_and_type(pilot, "passphrase-confirm", "disk-Pass-phrase-1")
        await done(pilot)
        await set_root_and_admin(pilot)
        await open_area(pilot, 5, "NetworkSpoke")
        await focus_and_type(pilot, "hostname", "nvme-box")
        await choose(pilot, "v4", "v4-static")
        await focus_and_type(pilot, "ip4", "192.0.2.10/24")
        await focus_and_type(pilot, "gw4", "198.51.100.1")
        await pilot.press("escape")
        assert "outside" in str(app.screen.query_one("#status").render())
        await focus_and_type(pilot, "gw4", "192.0.2.1")
        await focus_and_type(pilot, "dns", "192.0.2.53 2001:db8::53")
        await done(pilot)
        await open_area(pilot, 2, "TimeSpoke")
        await focus_and_type(pilot, "tz-filter", "Europe/Berl")
        await done(pilot)
        await begin_and_install(pilot)
        plan = app.plan
    ap = plan.storage.autopart
    assert ap.scheme == "btrfs" and ap.encrypted and ap.encryption.passphrase.reveal() == "disk-Pass-phrase-1"
    assert plan.storage.selected_disks == ["nvme0n1"]
    nic = plan.network.devices[0]
    assert nic.device == app.machine.nics[0].name
    assert (nic.bootproto, nic.ip, nic.netmask, nic.gateway) == ("static", "192.0.2.10", "255.255.255.0", "192.0.2.1")
    assert nic.nameservers == ["192.0.2.53", "2001:db8::53"]
    assert plan.system.timezone == "Europe/Berlin" and plan.system.hostname == "nvme-box"
    assert_hashes(plan)
    assert "disk-Pass-phrase-1" not in repr(plan)


@sync
async def test_bios_two_sata_second_disk_free_space_custom(tmp_path):
    app = make_app("bios-2sata", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        disks = app.screen.query_one("#disks")
        assert list(disks.selected) == []  # two candidates: the user must choose
        await pilot.press("escape")
        assert "select at least one disk" in str(app.screen.query_one("#status").render())
        await pick(pilot, "disks", "sdb")
        assert list(disks.selected) == ["sdb"]
        await pilot.press("f6")
        await wait_for_screen(pilot, "CustomLayoutScreen")
        await focus_and_type(pilot, "row-mount", "/var")
        await focus_and_type(pilot, "row-size", "8192")
        await focus_and_type(pilot, "row-fstype", "ext4")
        await pilot.press("enter")
        await pilot.press("escape")
        await wait_for_screen(pilot, "DestinationSpoke")
        await done(pilot)
        await set_root_and_admin(pilot, user="ops")
        await open_area(pilot, 7, "SecuritySpoke")
        await choose(pilot, "selinux", "selinux-permissive")
        await toggle(pilot, "password-auth")
        await done(pilot)
        await begin_and_install(pilot)
        plan = app.plan
    st = plan.storage
    assert st.selected_disks == ["sdb"] and st.clearpart.drives == ["sdb"]
    assert st.autopart is None
    mounts = {p.mountpoint: p for p in st.partitions}
    assert mounts["/var"].size_mib == 8192 and mounts["/var"].fstype == "ext4"
    assert "/" in mounts and "biosboot" in mounts and "/boot/efi" not in mounts
    assert plan.security.selinux == "permissive" and plan.security.password_authentication is False
    assert plan.accounts.users[0].name == "ops"


@sync
async def test_partial_kickstart_prefills_and_asks_only_for_missing(tmp_path):
    from installer.kickstart.files import load_kickstart

    ks = tmp_path / "partial.ks"
    ks.write_text("lang de_DE.UTF-8\nkeyboard de-latin1\ntimezone Europe/Vienna --utc\n"
                  "network --bootproto=dhcp --hostname=lab07\n"
                  "ignoredisk --only-use=vda\nclearpart --all --initlabel --drives=vda\nautopart --type=plain\n"
                  "%packages\n@^minimal\n%end\n")
    result = load_kickstart(str(ks))
    assert result.ok, [str(d) for d in result.diagnostics]
    app = make_app("vm-virtio-usb-live", tmp_path, plan=result.plan, ks_path=str(ks))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        statuses = {s.key: s for s in app.statuses()}
        assert [k for k, s in statuses.items() if s.state == "missing"] == ["users"]
        assert statuses["destination"].state == "done" and "plain" in statuses["destination"].summary
        await set_root_and_admin(pilot)
        await begin_and_install(pilot)
        plan = app.plan
    assert plan.system.lang == "de_DE.UTF-8" and plan.system.keyboard == "de-latin1"
    assert plan.system.timezone == "Europe/Vienna" and plan.system.hostname == "lab07"
    assert plan.storage.autopart.scheme == "plain" and plan.payload.packages.sets == ["minimal"]
    assert plan.system.origin_of("lang").source == "kickstart"
    assert plan.accounts.origin_of("root_password_hash").source == "tui"
    assert_hashes(plan)


@sync
async def test_weak_password_needs_a_second_done(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_area(pilot, 6, "UsersSpoke")
        await focus_and_type(pilot, "root-pw", "password1")
        await focus_and_type(pilot, "root-pw2", "password1")
        assert "common" in str(app.screen.query_one("#root-quality").render())
        await pilot.press("escape")
        assert "weak" in str(app.screen.query_one("#status").render())
        assert app.plan.accounts.root_password_hash is None
        await done(pilot)
        assert verify("password1", app.plan.accounts.root_password_hash)


@sync
async def test_save_kickstart_from_hub_is_private_and_hashed(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    target = tmp_path / "saved.ks"
    async with app.run_test(size=(80, 24)) as pilot:
        await set_root_and_admin(pilot)
        await pilot.press("f2")
        await wait_for_screen(pilot, "SaveKickstartScreen")
        await focus_and_type(pilot, "ks-path", str(target))
        await pilot.press("enter")
        await wait_for_screen(pilot, "HubScreen")
    assert target.stat().st_mode & 0o777 == 0o600
    text = target.read_text()
    assert "rootpw --iscrypted" in text and ROOT_PW not in text and USER_PW not in text


@sync
async def test_countdown_starts_a_complete_kickstart_and_can_be_cancelled(tmp_path):
    from installer.kickstart.files import load_kickstart

    ks = tmp_path / "full.ks"
    ks.write_text("rootpw --plaintext " + ROOT_PW + "\nignoredisk --only-use=vda\nclearpart --all --initlabel\n"
                  "autopart\n%packages\n@^server\n%end\n")
    plan = load_kickstart(str(ks)).plan
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan, ks_path=str(ks), autostart=True, countdown_seconds=30)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "CountdownScreen")
        assert re.search(r"Installation starts in (30|29|28) s", str(app.screen.query_one("#message").render()))
        await pilot.press("escape")
        await wait_for_screen(pilot, "HubScreen")
    app = make_app("vm-virtio-usb-live", tmp_path, plan=load_kickstart(str(ks)).plan, ks_path=str(ks),
                   autostart=True, countdown_seconds=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "DoneScreen", timeout=120)


@sync
async def test_too_small_terminal_says_so(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(70, 20)) as pilot:
        await wait_for_screen(pilot, "TooSmallScreen")
        assert "needs at least 80x24" in str(app.screen.query_one("#too-small").render())
        await pilot.resize_terminal(80, 24)
        await wait_for_screen(pilot, "HubScreen")


@sync
async def test_error_screen_saves_logs_and_retries(tmp_path):
    from screens.error import ErrorScreen

    app = make_app("vm-virtio-usb-live", tmp_path)
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "install.log").write_text("step payload: dnf failed\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await set_root_and_admin(pilot)
        await app.push_screen(ErrorScreen("Installing packages failed: no repository", ["line 1", "line 2"],
                                          step="payload", log_path=str(logs / "install.log")))
        await wait_for_screen(pilot, "ErrorScreen")
        dest = tmp_path / "usb" / "saved-logs"
        await focus_and_type(pilot, "dest", str(dest))
        await pilot.press("f2")
        assert "Saved 3 files" in str(app.screen.query_one("#status").render())
        first = app.screen
        await pilot.press("f5")  # retry: the engine runs again and, with no disk chosen, refuses the plan
        await wait_until(pilot, lambda: app.screen is not first and screen_name(app) == "ErrorScreen",
                         what="a new error screen")
        assert "not valid" in app.screen.message and "nothing was changed" in app.screen.message
    assert (dest / "install.log").read_text() == "step payload: dnf failed\n"
    assert (dest / "screen.log").read_text() == "line 1\nline 2\n"
    saved_plan = (dest / "plan.json").read_text()
    assert ROOT_PW not in saved_plan and '"root_password_hash": "$' in saved_plan


@sync
async def test_a_selected_disk_that_disappears_is_deselected(tmp_path):
    from screens.app import MachineChanged
    from tests.tui import machines

    app = make_app("bios-2sata", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_area(pilot, 3, "DestinationSpoke")
        await pick(pilot, "disks", "sdb")
        await done(pilot)
        assert app.plan.storage.selected_disks == ["sdb"]
        shrunk = machines.load("bios-2sata")
        shrunk.disks = [d for d in shrunk.disks if d.name != "sdb"]
        app.post_message(MachineChanged(shrunk, "sdb removed"))
        await wait_until(pilot, lambda: app.plan.storage.selected_disks == [], what="sdb deselected")
        await pilot.pause()
        statuses = {s.key: s for s in app.statuses()}
        assert statuses["destination"].state == "missing"
        await open_area(pilot, 3, "DestinationSpoke")
        assert [o.id for o in app.screen.query_one("#disks")._options] == ["sda"]


@sync
async def test_kickstart_disk_named_by_path_is_preselected(tmp_path):
    from installer.kickstart.files import load_kickstart

    ks = tmp_path / "disk.ks"
    ks.write_text("ignoredisk --only-use=disk/by-path/pci-0000:04:00.0\n")
    plan = load_kickstart(str(ks)).plan
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan, ks_path=str(ks))
    async with app.run_test(size=(80, 24)) as pilot:
        await open_area(pilot, 3, "DestinationSpoke")
        assert list(app.screen.query_one("#disks").selected) == ["vda"]
        await done(pilot)
    assert plan.storage.selected_disks == ["vda"] and plan.storage.autopart.scheme == "lvm"
