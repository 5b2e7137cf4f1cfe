"""What the TUI shows as erased is what the installation erases: the summary and the countdown
read it from the storage preview of the plan that runs, and start nothing when it is unknown."""

from __future__ import annotations

from installer.kickstart.files import dump_kickstart
from tests.tui.driver import (
    choose,
    focus_and_type,
    make_app,
    open_area,
    sync,
    wait_for_screen,
    wait_until,
)
from tests.tui.test_tui_flow import set_root_and_admin

DUALBOOT_SERIAL = "22453R800712"


async def free_space_summary(pilot, app):
    await wait_for_screen(pilot, "HubScreen")
    await open_area(pilot, 3, "DestinationSpoke")
    await choose(pilot, "space", "space-free")
    await pilot.press("escape")
    await wait_for_screen(pilot, "HubScreen")
    await set_root_and_admin(pilot)
    await pilot.press("f10")
    await wait_for_screen(pilot, "SummaryScreen")
    screen = app.screen
    await wait_until(pilot, lambda: screen.checked, what="the summary check")
    return screen


def text_of(screen, wid: str) -> str:
    return str(screen.query_one(f"#{wid}").render())


@sync
async def test_free_space_on_a_dual_boot_disk_destroys_nothing(tmp_path):
    app = make_app("dualboot-windows-linux", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await free_space_summary(pilot, app)
        assert not screen.errors, screen.errors
        assert not screen.destructive
        assert text_of(screen, "erase").startswith("Nothing")
        assert not screen.query_one("#confirm-row").display
        assert "destroy" not in text_of(screen, "created")
        await pilot.press("f10")
        await wait_for_screen(pilot, "DoneScreen", timeout=120)
        report = "\n".join(app.screen.query_one("#report").lines)
        plan = app.plan
    assert plan.storage.clearpart.mode == "none"
    assert "create partition nvme0n1p7" in report
    assert "destroy" not in report, [l for l in report.splitlines() if "destroy" in l]
    saved = dump_kickstart(plan)
    assert "clearpart --all" not in saved and "zerombr" not in saved


@sync
async def test_free_space_on_a_blank_disk_asks_no_erase_confirmation(tmp_path):
    app = make_app("vm-virtio-usb-live", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await free_space_summary(pilot, app)
        assert not screen.errors, screen.errors
        erase = text_of(screen, "erase")
        assert erase.startswith("Nothing") and "vda is blank" in erase
        assert not screen.destructive and not screen.query_one("#confirm-row").display
        created = text_of(screen, "created")
        assert "destroy" not in created and "blank disk vda" in created
        assert not screen.query_one("#install").disabled


@sync
async def test_use_all_space_names_the_disk_and_what_is_on_it(tmp_path):
    app = make_app("dualboot-windows-linux", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen")
        await open_area(pilot, 3, "DestinationSpoke")
        await choose(pilot, "space", "space-all")
        await pilot.press("escape")
        await wait_for_screen(pilot, "HubScreen")
        await set_root_and_admin(pilot)
        await pilot.press("f10")
        await wait_for_screen(pilot, "SummaryScreen")
        screen = app.screen
        await wait_until(pilot, lambda: screen.checked, what="the summary check")
        erase = text_of(screen, "erase")
        assert f"serial {DUALBOOT_SERIAL}" in erase and "931.5 GiB" in erase and "now: gpt: vfat" in erase
        for n in range(1, 7):
            assert f"nvme0n1p{n}" in erase
        assert screen.destructive and screen.query_one("#install").disabled
        await pilot.press("f10")
        assert type(app.screen).__name__ == "SummaryScreen"
        await focus_and_type(pilot, "confirm", "erase")
        assert not screen.query_one("#install").disabled
        await pilot.press("f10")
        await wait_for_screen(pilot, "DoneScreen", timeout=120)
    assert "clearpart --all" in dump_kickstart(app.plan)


@sync
async def test_summary_starts_nothing_when_the_preview_is_unavailable(tmp_path, monkeypatch):
    from screens import backend

    def unavailable(*_args):
        raise ImportError("no blivet here")

    monkeypatch.setattr(backend, "preview_storage", unavailable)
    app = make_app("dualboot-windows-linux", tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await free_space_summary(pilot, app)
        assert screen.errors and "no blivet here" in " ".join(screen.errors)
        assert screen.query_one("#install").disabled
        await pilot.press("f10")
        await pilot.pause(0.3)
        assert type(app.screen).__name__ == "SummaryScreen"


def _complete_ks(tmp_path, disk: str):
    from installer.kickstart.files import load_kickstart

    ks = tmp_path / "full.ks"
    ks.write_text("rootpw --plaintext Correct-Horse-7-Battery\n"
                  f"ignoredisk --only-use={disk}\nclearpart --all --initlabel\nautopart\n%packages\n@^server\n%end\n")
    return ks, load_kickstart(str(ks)).plan


@sync
async def test_countdown_names_each_disk_it_erases(tmp_path):
    ks, plan = _complete_ks(tmp_path, "nvme0n1")
    app = make_app("dualboot-windows-linux", tmp_path, plan=plan, ks_path=str(ks), autostart=True,
                   countdown_seconds=60)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "CountdownScreen")
        await wait_until(pilot, lambda: app.screen.timer is not None, what="the countdown's preview")
        message = text_of(app.screen, "message")
        assert "It will ERASE:" in message and f"serial {DUALBOOT_SERIAL}" in message
        assert "now: gpt: vfat" in message and "nvme0n1p3" in message


@sync
async def test_countdown_does_not_start_when_the_preview_fails(tmp_path, monkeypatch):
    from screens import backend

    def broken(*_args):
        raise RuntimeError("sfdisk could not recreate the partitions")

    monkeypatch.setattr(backend, "preview_storage", broken)
    ks, plan = _complete_ks(tmp_path, "vda")
    app = make_app("vm-virtio-usb-live", tmp_path, plan=plan, ks_path=str(ks), autostart=True, countdown_seconds=1)
    started = []
    app.begin_install = lambda: started.append(True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for_screen(pilot, "HubScreen", timeout=30)
        await pilot.pause(2.5)
        assert type(app.screen).__name__ == "HubScreen"
    assert not started
