"""Every screen of the TUI, reached the way a user would, for the glyph and snapshot tests.

Plans carry fixed password hashes (not secrets: the hashes of throwaway test strings)
so snapshots are stable; the flow tests check real hashing.
"""

from __future__ import annotations

from installer.model.defaults import new_plan
from installer.model.events import Finished, Log, Progress, StepFinished, StepStarted
from installer.model.plan import TUI, AutoPart, User
from tests.tui.driver import choose, focus_and_type, open_area, pick, wait_for_screen, wait_until

FIXED_HASH = "$6$snapshotsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ./0123456789abcdefghijklm"
TYPED_SECRET = "Typed-Secret-99"


def ready_plan():
    plan = new_plan()
    plan.storage.set("selected_disks", ["vda"], TUI)
    plan.storage.clearpart.set("mode", "all", TUI)
    plan.storage.clearpart.set("drives", ["vda"], TUI)
    plan.storage.clearpart.set("initlabel", True, TUI)
    plan.storage.set("autopart", AutoPart(scheme="lvm"), TUI)
    plan.accounts.set("root_password_hash", FIXED_HASH, TUI)
    plan.accounts.set("users", [User(name="azadmin", groups=["wheel"], password_hash=FIXED_HASH, gecos="Az Admin")], TUI)
    plan.system.set("hostname", "vm1.example.com", TUI)
    return plan


async def nothing(pilot):
    await wait_for_screen(pilot, "HubScreen")


async def language(pilot):
    await open_area(pilot, 1, "LanguageSpoke")


async def time_zone(pilot):
    await open_area(pilot, 2, "TimeSpoke")
    await focus_and_type(pilot, "tz-filter", "Europe/")


async def destination(pilot):
    await open_area(pilot, 3, "DestinationSpoke")


async def destination_preview(pilot):
    await open_area(pilot, 3, "DestinationSpoke")
    await pick(pilot, "disks", "sdb")
    await choose(pilot, "scheme", "scheme-btrfs")
    await pilot.press("f5")
    await wait_until(pilot, lambda: "Resulting layout" in str(pilot.app.screen.query_one("#preview").render()),
                     what="the storage preview")
    await pilot.pause(0.2)


async def custom_layout(pilot):
    await open_area(pilot, 3, "DestinationSpoke")
    await pilot.press("f6")
    await wait_for_screen(pilot, "CustomLayoutScreen")


async def software(pilot):
    await open_area(pilot, 4, "SoftwareSpoke")


async def network(pilot):
    await open_area(pilot, 5, "NetworkSpoke")
    await choose(pilot, "v4", "v4-static")
    await focus_and_type(pilot, "ip4", "192.0.2.10/24")


async def users(pilot):
    await open_area(pilot, 6, "UsersSpoke")
    await focus_and_type(pilot, "root-pw", TYPED_SECRET)
    await focus_and_type(pilot, "root-pw2", TYPED_SECRET[:5])


async def security(pilot):
    await open_area(pilot, 7, "SecuritySpoke")


async def save_kickstart(pilot):
    await pilot.press("f2")
    await wait_for_screen(pilot, "SaveKickstartScreen")
    await focus_and_type(pilot, "ks-path", "/tmp/azl-snapshot.ks")


async def summary(pilot):
    await pilot.press("f10")
    await wait_for_screen(pilot, "SummaryScreen")
    await wait_until(pilot, lambda: pilot.app.screen.checked, what="summary check")
    await focus_and_type(pilot, "confirm", "erase")
    # the button's label says whether it can be pressed: wait for its final state
    await wait_until(pilot, lambda: not pilot.app.screen.query_one("#install").disabled, what="install enabled")
    await pilot.pause(0.2)


async def progress(pilot):
    from screens.progress import ProgressScreen

    screen = ProgressScreen()
    screen.no_engine = True
    await pilot.app.push_screen(screen)
    screen.finished = True  # freeze the elapsed clock for a stable picture
    screen.query_one("#elapsed").update("Elapsed 1:23")
    for event in (StepStarted(step="storage", index=1, total=4, title="Creating partitions and filesystems"),
                  Log(message="create partition vda1 (600 MiB)", step="storage"),
                  StepFinished(step="storage", seconds=3.0),
                  StepStarted(step="payload", index=2, total=4, title="Installing packages"),
                  Progress(step="payload", done=117, total=312, unit="packages", item="openssh-server-9.9p1-1.azl4")):
        screen.show_event(event)
    await pilot.pause(0.2)


async def error(pilot):
    from screens.error import ErrorScreen

    tail = [f"dnf: downloading package {n} of 312" for n in range(1, 9)] + ["error: Curl error (6): Couldn't resolve host"]
    await pilot.app.push_screen(ErrorScreen("Installing packages failed: dnf could not download azurelinux-release "
                                            "from the repository", tail, step="payload",
                                            log_path="/tmp/azl-install/install.log"))
    screen = pilot.app.screen
    screen.query_one("#dest").value = "/run/media/usb/azl-install-logs"
    await pilot.pause()


async def done(pilot):
    from screens.done import DoneScreen

    class Result:  # the engine's InstallResult shape, fixed for the picture
        ok, dry_run, seconds, warnings = True, True, 1.0, []
        steps = []

    await pilot.app.push_screen(DoneScreen(Result()))
    await pilot.pause(0.2)


async def countdown(pilot):
    from screens.countdown import CountdownScreen

    pilot.app.ks_path = "/run/install/ks.cfg"
    screen = CountdownScreen(10)
    await pilot.app.push_screen(screen)
    await wait_until(pilot, lambda: screen.timer is not None, what="the countdown's storage preview")
    screen.timer.pause()
    await pilot.pause()


async def too_small(pilot):
    await pilot.resize_terminal(60, 20)
    await wait_for_screen(pilot, "TooSmallScreen")


async def destination_help(pilot):
    await open_area(pilot, 3, "DestinationSpoke")
    await pilot.press("f1")
    await wait_for_screen(pilot, "HelpScreen")


# name -> (profile, plan factory, navigate)
SCREENS = {
    "hub_new": ("vm-virtio-usb-live", new_plan, nothing),
    "hub_ready": ("vm-virtio-usb-live", ready_plan, nothing),
    "language": ("vm-virtio-usb-live", new_plan, language),
    "time": ("vm-virtio-usb-live", new_plan, time_zone),
    "destination": ("nvme-uefi", new_plan, destination),
    "destination_preview": ("bios-2sata", new_plan, destination_preview),
    "custom_layout": ("nvme-uefi", new_plan, custom_layout),
    "software": ("vm-virtio-usb-live", new_plan, software),
    "network": ("server-8disk-4nic", new_plan, network),
    "users": ("vm-virtio-usb-live", new_plan, users),
    "security": ("vm-virtio-usb-live", new_plan, security),
    "save_kickstart": ("vm-virtio-usb-live", ready_plan, save_kickstart),
    "summary": ("vm-virtio-usb-live", ready_plan, summary),
    "progress": ("vm-virtio-usb-live", ready_plan, progress),
    "error": ("vm-virtio-usb-live", ready_plan, error),
    "done": ("vm-virtio-usb-live", ready_plan, done),
    "countdown": ("vm-virtio-usb-live", ready_plan, countdown),
    "too_small": ("vm-virtio-usb-live", new_plan, too_small),
    "help": ("vm-virtio-usb-live", new_plan, destination_help),
}
