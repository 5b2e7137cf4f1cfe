"""Defects found trying the TUI as a new user (issue 16): each test types the way a user does and
asserts the resulting plan or screen state."""

from __future__ import annotations

import base64

from installer.model.plan import TUI
from tests.tui.driver import (
    done,
    focus_and_type,
    make_app,
    open_area,
    sync,
    toggle,
    wait_for_screen,
    wait_until,
)


@sync
async def test_type_ahead_burst_selects_the_rows_it_was_typed_on(tmp_path):
    """`Space Down Space Down Space` typed in one burst, straight after opening the spoke."""
    app = make_app("server-8disk-4nic", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        # One burst, as a terminal delivers typed-ahead keys: all queued before any is handled
        # (pilot.press would wait for the app to go idle after each key).
        from textual import events

        for key in ("3", "space", "down", "space", "down", "down", "space"):
            app.post_message(events.Key(key, {"3": "3", "space": " "}.get(key)))
        await wait_for_screen(pilot, "DestinationSpoke")
        await pilot.pause(0.5)
        assert list(app.screen.query_one("#disks").selected) == ["sda", "sdb", "sdd"]
        await done(pilot)
    assert app.plan.storage.selected_disks == ["sda", "sdb", "sdd"]


@sync
async def test_first_row_highlighted_without_preselection(tmp_path):
    app = make_app("bios-2sata", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        disks = app.screen.query_one("#disks")
        assert disks.highlighted == 0
        await pilot.press("space")
        await pilot.pause()
        assert list(disks.selected) == ["sda"]


@sync
async def test_summary_root_login_is_what_the_ssh_step_writes(tmp_path):
    from installer.context import InstallContext
    from installer.steps import ssh
    from tests.tui.catalog import ready_plan

    plan = ready_plan()
    plan.security.set("permit_root_login", "no", TUI)
    plan.accounts.set("root_allow_ssh", True, TUI)
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await pilot.press("f10")
        await wait_for_screen(pilot, "SummaryScreen")
        configured = str(app.screen.query_one("#configured").render())
    ctx = InstallContext.__new__(InstallContext)
    ctx.plan = app.plan
    assert "PermitRootLogin yes" in ssh.dropin_text(ctx)
    assert "SSH root login yes" in configured and "SSH root login no" not in configured


def _key(n: int, comment: str) -> str:
    blob = base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes([n]) * 32).decode()
    return f"ssh-ed25519 {blob} {comment}"


@sync
async def test_two_pasted_ssh_keys_are_two_keys_listed_and_removable(tmp_path):
    from textual import events

    from tests.tui.catalog import ready_plan

    one, two, three = _key(1, "ann@laptop"), _key(2, "bob@desk"), _key(3, "cy@ci")
    app = make_app("vm-virtio-usb-live", tmp_path, plan=ready_plan())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 6, "UsersSpoke")
        field = app.screen.query_one("#ssh-keys")
        field.focus()
        await pilot.pause()
        field.post_message(events.Paste(f"{one}\n{two}\n"))
        await pilot.pause()
        assert [k for _, k in app.screen.keys] == [one, two]
        assert app.screen.query_one("#ssh-key-list").option_count == 2
        # a third typed (or pasted as one line) and Enter adds it too
        await focus_and_type(pilot, "ssh-keys", three)
        await pilot.press("enter")
        await pilot.pause()
        await done(pilot)
        assert [(k.username, k.key) for k in app.plan.accounts.ssh_keys] == [
            ("azadmin", one), ("azadmin", two), ("azadmin", three)]
        # the saved keys are listed when the spoke opens again; Del removes the highlighted one
        await open_area(pilot, 6, "UsersSpoke")
        lst = app.screen.query_one("#ssh-key-list")
        assert lst.option_count == 3
        lst.focus()
        await pilot.press("down", "delete")
        await pilot.pause()
        await done(pilot)
    assert [k.key for k in app.plan.accounts.ssh_keys] == [one, three]


@sync
async def test_keymap_filter_exact_match_first_and_typing_after_enter_keeps_filtering(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        # the language screen opens with the cursor in the filter: typing filters at once
        await pilot.press("1", "e", "n", "_", "g", "b")
        await wait_for_screen(pilot, "LanguageSpoke")
        await pilot.pause()
        assert app.screen.query_one("#lang-filter").value == "en_gb"
        assert app.screen.query_one("#lang").value == "en_GB.UTF-8"
        # Enter browses the list; further typing still goes to the filter
        app.screen.query_one("#keymap-filter").focus()
        await pilot.pause()
        await pilot.press("d", "enter", "e")
        await pilot.pause()
        assert app.screen.query_one("#keymap-filter").value == "de"
        assert app.screen.query_one("#keymap").value == "de"
        await done(pilot)
    assert app.plan.system.keyboard == "de" and app.plan.system.lang == "en_GB.UTF-8"


@sync
async def test_error_goes_when_the_field_is_fixed(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 6, "UsersSpoke")
        await focus_and_type(pilot, "root-pw", "Correct-Horse-7-Battery")
        await focus_and_type(pilot, "root-pw2", "Correct-Horse-7-Batter")
        await pilot.press("escape")
        await pilot.pause()
        status = app.screen.query_one("#status")
        assert "do not match" in str(status.render()) and status.has_class("-error")
        await pilot.press("y")  # the cursor is on the confirmation: the fix
        await pilot.pause()
        assert str(status.render()) == "" and not status.has_class("-error")
        await done(pilot)
    assert app.plan.accounts.root_password_hash


@sync
async def test_encrypt_under_custom_encrypts_the_custom_partitions(tmp_path):
    app = make_app("bios-2sata", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await pilot.press("space")
        await pilot.press("f6")
        await wait_for_screen(pilot, "CustomLayoutScreen")
        await pilot.press("escape")  # the default rows, done
        await wait_for_screen(pilot, "DestinationSpoke")
        assert app.screen.query_one("#scheme-custom").value
        encrypt = app.screen.query_one("#encrypt")
        assert not encrypt.disabled
        await toggle(pilot, "encrypt")
        await focus_and_type(pilot, "passphrase", "disk-secret-42")
        await focus_and_type(pilot, "passphrase-confirm", "disk-secret-42")
        await done(pilot)
    parts = {p.mountpoint: p for p in app.plan.storage.partitions}
    assert app.plan.storage.autopart is None and "/" in parts
    assert parts["/"].encrypted and parts["/"].encryption.passphrase.reveal() == "disk-secret-42"
    assert not parts["/boot"].encrypted and parts["/boot"].encryption is None
    from screens import backend

    tree = backend.preview_storage(app.plan, app.machine, app.product).tree_text()
    assert "luks" in tree.lower(), tree


@sync
async def test_too_small_message_shows_the_whole_stty_command(tmp_path):
    from tests.tui.test_tui_glyphs import screen_text

    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        for size in ((60, 20), (40, 12)):
            await pilot.resize_terminal(*size)
            await wait_for_screen(pilot, "TooSmallScreen")
            await pilot.pause()
            text = screen_text(app)
            assert "stty cols 80 rows 24" in text, text
            assert f"{size[0]}x{size[1]}" in text


@sync
async def test_begin_installation_reads_differently_when_disabled(tmp_path):
    from tests.tui.catalog import ready_plan

    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        begin = app.screen.query_one("#begin")
        assert begin.disabled and str(begin.label) == "Begin installation (complete [!] first)"
    app = make_app("vm-virtio-usb-live", tmp_path, plan=ready_plan())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await pilot.pause()
        begin = app.screen.query_one("#begin")
        assert not begin.disabled and str(begin.label) == "Begin installation"
        await pilot.press("f10")
        await wait_for_screen(pilot, "SummaryScreen")
        screen = app.screen
        install = screen.query_one("#install")
        await wait_until(pilot, lambda: screen.checked, what="the summary check")
        if screen.destructive:
            assert install.disabled and str(install.label) == "Begin installation (not ready)"
            await focus_and_type(pilot, "confirm", "erase")
            await pilot.pause()
        assert not install.disabled and str(install.label) == "Begin installation"
        await pilot.pause()
        # as wide as the label it shows now (plus its padding), not the longer one it was built with
        assert install.region.width < len("Begin installation (not ready)")


@sync
async def test_dual_boot_disk_now_line_is_shown_whole(tmp_path):
    from installer.storage.erasure import contents
    from tests.tui.test_tui_glyphs import screen_text

    app = make_app("dualboot-windows-linux", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await pilot.pause()
        shown = " ".join(screen_text(app).split())
        disk = app.machine.disks[0]
    assert f"{disk.name} now: {contents(disk)}" in shown, shown


@sync
async def test_kickstart_warnings_leave_the_status_line_visible(tmp_path):
    from textual.widgets._toast import Toast

    from tests.tui.test_tui_glyphs import screen_text

    warnings = ["ks.cfg:3: 'auth' is deprecated", "ks.cfg:9: 'install' is deprecated", "ks.cfg:12: unknown -x"]
    app = make_app("vm-virtio-usb-live", tmp_path, ks_messages=warnings)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await pilot.pause(0.3)
        text = screen_text(app)
        status = str(app.screen.query_one("#status").render())
        assert not list(app.query(Toast))
    lines = text.splitlines()
    assert status.strip() and status.strip()[:40] in lines[-2], (status, lines[-3:])
    assert "Kickstart: ks.cfg:3: 'auth' is deprecated" in text and "1 more kickstart warning" in text


LUKS_LVM_KS = """\
ignoredisk --only-use=vda
clearpart --all --initlabel --drives=vda
part /boot/efi --fstype=efi --size=600
part /boot --fstype=xfs --size=1024
part pv.01 --size=1 --grow --encrypted --passphrase=kickstart-secret-1
volgroup sys pv.01
logvol / --vgname=sys --name=root --fstype=xfs --size=8192
logvol /var --vgname=sys --name=var --fstype=xfs --size=4096
"""


def _ks_plan(tmp_path):
    from installer.kickstart.files import load_kickstart

    ks = tmp_path / "layout.ks"
    ks.write_text(LUKS_LVM_KS)
    result = load_kickstart(str(ks))
    assert result.ok, [str(d) for d in result.diagnostics]
    return result.plan, str(ks)


def _layout(plan):
    st = plan.storage
    return ([(p.mountpoint, p.size_mib, p.encrypted) for p in st.partitions],
            [(v.name, v.mountpoint) for v in st.logvols], [v.name for v in st.volgroups])


@sync
async def test_looking_at_destination_keeps_a_kickstart_luks_lvm_layout(tmp_path):
    plan, ks = _ks_plan(tmp_path)
    before = _layout(plan)
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan, ks_path=ks)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        assert app.screen.query_one("#ks-layout")
        await done(pilot)
        statuses = {s.key: s for s in app.statuses()}
    assert _layout(app.plan) == before and ("sys", ) == tuple(before[2])
    assert statuses["destination"].state != "missing"


@sync
async def test_destination_cancel_restores_the_previous_storage_choice(tmp_path):
    plan, ks = _ks_plan(tmp_path)
    before = _layout(plan)
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan, ks_path=ks)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        from tests.tui.driver import choose

        await choose(pilot, "scheme", "scheme-btrfs")
        await pilot.press("ctrl+x")
        await wait_for_screen(pilot, "HubScreen")
        assert _layout(app.plan) == before and app.plan.storage.autopart is None
        # the same with the button (Tab + Enter on a console without Ctrl keys mapped)
        await open_area(pilot, 3, "DestinationSpoke")
        await pilot.press("space")  # untick vda
        app.screen.query_one("#cancel-button").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "HubScreen")
    assert _layout(app.plan) == before and app.plan.storage.selected_disks == plan.storage.selected_disks


def test_every_screen_has_help():
    import importlib
    import inspect
    import pkgutil

    from textual.screen import Screen

    import screens
    from screens.help import HELP

    names = set()
    for mod in pkgutil.iter_modules(screens.__path__):
        m = importlib.import_module(f"screens.{mod.name}")
        for name, cls in inspect.getmembers(m, inspect.isclass):
            if issubclass(cls, Screen) and cls.__module__ == m.__name__ and not name.endswith(("ModalScreen",)) \
                    and name not in ("Spoke", "TooSmallScreen", "HelpScreen", "ConfirmQuitScreen",
                                     "SaveKickstartScreen"):
                names.add(name)
    assert names and names <= set(HELP), sorted(names - set(HELP))


@sync
async def test_f1_and_question_mark_open_the_screens_help(tmp_path):
    from screens.help import HELP

    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await pilot.press("question_mark")
        await wait_for_screen(pilot, "HelpScreen")
        body = str(app.screen.query_one("#help-body").render())
        assert HELP["HubScreen"][1].splitlines()[0] in body
        await pilot.press("escape")
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await pilot.press("f1")
        await wait_for_screen(pilot, "HelpScreen")
        assert "Cancel" in str(app.screen.query_one("#help-body").render())
        await pilot.press("escape")
        await wait_for_screen(pilot, "DestinationSpoke")  # Esc closed the help, not the spoke
        # in a text field ? is a character, not help
        await pilot.press("f6")
        await wait_for_screen(pilot, "CustomLayoutScreen")
        await focus_and_type(pilot, "row-mount", "/srv?")
        assert app.screen.query_one("#row-mount").value == "/srv?"
        # Cancel without F-keys: the button
        app.screen.query_one("#row-cancel").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "DestinationSpoke")


@sync
async def test_custom_editor_done_and_cancel_buttons(tmp_path):
    app = make_app("bios-2sata", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await pilot.press("space", "f6")
        await wait_for_screen(pilot, "CustomLayoutScreen")
        rows = list(app.screen.rows)
        app.screen.query_one("#rows").focus()
        await pilot.press("end")
        app.screen.query_one("#row-remove").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert len(app.screen.rows) == len(rows) - 1
        app.screen.query_one("#row-cancel").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "DestinationSpoke")
        assert app.screen.custom_rows is None
        await pilot.press("f6")
        await wait_for_screen(pilot, "CustomLayoutScreen")
        app.screen.query_one("#row-done").focus()
        await pilot.press("enter")
        await wait_for_screen(pilot, "DestinationSpoke")
        await done(pilot)
    assert [p.mountpoint for p in app.plan.storage.partitions] == [r["mountpoint"] for r in rows]


@sync
async def test_progress_log_without_f_keys(tmp_path):
    from tests.tui.catalog import ready_plan

    app = make_app("vm-virtio-usb-live", tmp_path, plan=ready_plan())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        from screens.progress import ProgressScreen

        screen = ProgressScreen()
        screen.no_engine = True
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert screen.has_class("-full-log")
        await pilot.press("escape")
        await pilot.pause()
        assert not screen.has_class("-full-log")


@sync
async def test_custom_editor_starts_from_a_kickstart_lvm_layout_without_its_pv(tmp_path):
    plan, ks = _ks_plan(tmp_path)
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan, ks_path=ks)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await pilot.press("f6")
        await wait_for_screen(pilot, "CustomLayoutScreen")
        rows = [(r["mountpoint"], r["size_mib"]) for r in app.screen.rows]
    assert rows == [("/boot/efi", 600), ("/boot", 1024), ("/", 8192), ("/var", 4096)]


class _FakeLoadkeys:
    """The command runner at the boundary: records loadkeys runs, fails when told to."""

    def __init__(self, rc: int = 0):
        self.calls: list[list[str]] = []
        self.rc = rc

    def __call__(self, argv, **kw):
        import subprocess

        self.calls.append(list(argv[1:]))
        return subprocess.CompletedProcess(argv, self.rc, "", "loadkeys: cannot open file" if self.rc else "")


@sync
async def test_chosen_keymap_is_loaded_on_the_live_console(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    app = make_app("vm-virtio-usb-live", tmp_path)
    app.console_tty, app.keymap_run = "/dev/tty1", _FakeLoadkeys()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 1, "LanguageSpoke")
        app.screen.query_one("#keymap-filter").focus()
        await pilot.pause()
        await pilot.press("f", "r")
        await pilot.pause()
        await done(pilot)
        await wait_until(pilot, lambda: app.keymap_run.calls, what="loadkeys")
    assert app.plan.system.keyboard == "fr"
    assert app.keymap_run.calls == [["-C", "/dev/tty1", "fr"]] and app.keymap_warning is None


@sync
async def test_kickstart_keymap_loaded_at_start_and_a_failure_is_shown(tmp_path, monkeypatch):
    import shutil

    from installer.kickstart.files import load_kickstart

    monkeypatch.setattr(shutil, "which", lambda name: f"/usr/bin/{name}")
    ks = tmp_path / "kb.ks"
    ks.write_text("keyboard de-latin1\n")
    app = make_app("vm-virtio-usb-live", tmp_path, plan=load_kickstart(str(ks)).plan, ks_path=str(ks))
    app.console_tty, app.keymap_run = "/dev/tty1", _FakeLoadkeys(rc=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await wait_until(pilot, lambda: app.keymap_warning, what="the loadkeys warning")
        await pilot.pause()
        shown = [str(n.message) for n in app._notifications]
    assert app.keymap_run.calls == [["-C", "/dev/tty1", "de-latin1"]]
    assert any(m.startswith("Keyboard: loadkeys de-latin1 failed: loadkeys: cannot open file") for m in shown)


@sync
async def test_ssh_keys_imported_from_an_https_url(tmp_path, monkeypatch):
    from tests.live.httpstub import Stub, make_ca, server_tls
    from tests.tui.catalog import ready_plan

    ca_pem, cert, key = make_ca(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))
    one, two = _key(7, "ops@a"), _key(8, "ops@b")
    stub = Stub(tls=server_tls(cert, key))
    stub.routes["/ops.keys"] = lambda h, s: h.reply(200, f"{one}\n\n{two}\n".encode())
    stub.routes["/path"] = lambda h, s: h.reply(200, b"/etc/hostname\n")
    app = make_app("vm-virtio-usb-live", tmp_path, plan=ready_plan())
    with stub:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for_screen(pilot, "HubScreen")
            await open_area(pilot, 6, "UsersSpoke")
            status = app.screen.query_one("StatusLine")
            # plain http is refused at once; a URL serving a path is not read as a local file
            await focus_and_type(pilot, "ssh-keys", "http://127.0.0.1:1/ops.keys")
            await pilot.press("enter")
            await pilot.pause()
            assert "https only" in str(status.render())
            await focus_and_type(pilot, "ssh-keys", stub.url("/path"))
            await pilot.press("enter")
            await wait_until(pilot, lambda: "does not serve SSH public keys" in str(status.render()),
                             what="the refusal")
            assert app.screen.keys == []
            # Done with a URL still in the field asks for Enter instead of dropping it
            await focus_and_type(pilot, "ssh-keys", stub.url("/ops.keys"))
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "UsersSpoke"
            assert "press Enter to import" in str(status.render())
            await pilot.press("enter")
            await wait_until(pilot, lambda: len(app.screen.keys) == 2, what="the imported keys")
            assert str(status.render()).startswith(f"2 SSH key(s) imported from {stub.url('/ops.keys')}")
            await done(pilot)
    assert [(k.username, k.key, k.origin) for k in app.plan.accounts.ssh_keys] == [
        ("azadmin", one, TUI), ("azadmin", two, TUI)]


@sync
async def test_made_up_extra_package_is_flagged_against_the_medium_repository(tmp_path):
    import dataclasses

    from tests.host.rpmrepo import metadata_repo
    from tests.tui.catalog import ready_plan

    app = make_app("vm-virtio-usb-live", tmp_path, plan=ready_plan())
    names = {n for s in app.product.package_sets.values() for n in s.packages} | {"git"}
    repo = metadata_repo(tmp_path / "medium", dict.fromkeys(names, 1 << 20))
    app.product = dataclasses.replace(app.product, iso_repo_path=str(repo))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 4, "SoftwareSpoke")
        await focus_and_type(pilot, "extra", "git madeuptool")
        await done(pilot)
        await wait_until(pilot, lambda: any("madeuptool" in d.message for d in app.diagnostics),
                         what="the unknown package flagged")
        software = {s.key: s for s in app.statuses()}["software"]
    assert app.plan.payload.packages.packages == ["git", "madeuptool"]
    assert software.problems == ("Extra packages: no repository offers a package 'madeuptool'",)
    assert [d.is_error for d in app.diagnostics if "madeuptool" in d.message] == [True]


@sync
async def test_a_package_set_too_large_for_the_small_disk_is_refused_until_a_smaller_one_is_chosen(tmp_path):
    import dataclasses

    from tests.host.rpmrepo import metadata_repo
    from tests.tui.catalog import ready_plan
    from tests.tui.driver import choose

    app = make_app("too-small-4g", tmp_path, plan=ready_plan())
    names = {n for s in app.product.package_sets.values() for n in s.packages}
    repo = metadata_repo(tmp_path / "medium", dict.fromkeys(names, 150 << 20))
    app.product = dataclasses.replace(app.product, iso_repo_path=str(repo))
    app.plan.payload.packages.set("sets", ["server"], TUI)

    def space_problems():
        return [p for p in {s.key: s for s in app.statuses()}["destination"].problems if "do not fit" in p]

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await wait_until(pilot, space_problems, what="the space check")
        [message] = space_problems()
        assert message.startswith("the packages do not fit: / (which holds /usr) can get at most 2.4 GiB")
        await open_area(pilot, 4, "SoftwareSpoke")
        await choose(pilot, "sets", "set-minimal")
        await done(pilot)
        await wait_until(pilot, lambda: not space_problems(), what="the smaller set accepted")
    assert app.plan.payload.packages.sets == ["minimal"]
