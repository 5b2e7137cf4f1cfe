"""Defects found trying the TUI as a new user (issue 16): each test types the way a user does and
asserts the resulting plan or screen state."""

from __future__ import annotations

from installer.model.plan import TUI
from tests.tui.driver import done, make_app, open_area, sync, wait_for_screen


@sync
async def test_type_ahead_burst_selects_the_rows_it_was_typed_on(tmp_path):
    """`Space Down Space Down Space` typed in one burst, straight after opening the spoke."""
    app = make_app("server-8disk-4nic", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        # no pause between the digit that opens the spoke and the keys typed ahead
        await pilot.press("3", "space", "down", "space", "down", "down", "space")
        await wait_for_screen(pilot, "DestinationSpoke")
        await pilot.pause()
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
