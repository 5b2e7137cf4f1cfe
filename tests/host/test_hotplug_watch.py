"""Hot-plug: the TUI's disk watcher (screens/backend.py) against real udev.

Needs root and a running udevd. Events are real uevents processed by udevd: synthesized
with `udevadm trigger` on a whole disk of this machine (what coldplug does at boot), and
produced by the kernel when a loop device is attached to a sparse file. Nothing here
mocks pyudev: the watcher's own monitor receives udevd's broadcasts.
"""

from __future__ import annotations

import asyncio
import os
import queue
import shutil
import subprocess
import threading
import time

import pytest

from installer.probe.disks import NOT_DISK_PREFIXES
from screens import backend

pytestmark = pytest.mark.root


def udevadm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["udevadm", *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def udev() -> None:
    if shutil.which("udevadm") is None:
        pytest.skip("udevadm is not installed")
    if udevadm("control", "--ping", "--timeout=5").returncode != 0:
        pytest.skip("udevd is not running (tools/setup.sh starts it)")


@pytest.fixture(scope="module")
def real_disk(udev) -> str:
    """A whole disk of this machine of a kind the probe lists (not loop, zram, dm...)."""
    import pyudev

    for device in pyudev.Context().list_devices(subsystem="block", DEVTYPE="disk"):
        if not device.sys_name.startswith(NOT_DISK_PREFIXES) and int(device.attributes.get("size") or 0) > 0:
            return device.sys_name
    pytest.skip("this machine has no disk the probe would list")


def trigger(action: str, sysname: str) -> None:
    """Have udevd process (and broadcast) a synthesized uevent for one block device."""
    done = udevadm("trigger", f"--action={action}", "--subsystem-match=block", f"--sysname-match={sysname}",
                   "--settle")
    assert done.returncode == 0, done.stderr


class Watcher:
    """backend.watch_disks running in a thread, as the app runs it in a Textual worker."""

    def __init__(self) -> None:
        self.reports: queue.Queue[tuple[str, str]] = queue.Queue()
        self.seen: list[tuple[str, str]] = []
        self.stop = threading.Event()
        self.started = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            backend.watch_disks(lambda action, node: self.reports.put((action, node)), self.stop, self.started)
        except BaseException as exc:  # surfaced by the test, not lost in the thread
            self.errors.append(exc)
            self.started.set()

    def __enter__(self) -> "Watcher":
        self.thread.start()
        assert self.started.wait(10), "the watcher never started listening"
        assert not self.errors, self.errors
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive(), "the watcher did not stop within 5 s of being told to"

    def wait_for(self, report: tuple[str, str], timeout: float = 20.0) -> list[tuple[str, str]]:
        """Reports received until `report` (included); fails if it does not come in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                got = self.reports.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(got)
            if got == report:
                return list(self.seen)
        raise AssertionError(f"watcher did not report {report} within {timeout:.0f} s; reported {self.seen}")


def test_change_on_a_disk_is_reported(real_disk):
    with Watcher() as watcher:
        trigger("change", real_disk)
        watcher.wait_for(("change", f"/dev/{real_disk}"))


def test_disk_removed_then_added_is_reported_in_order(real_disk):
    with Watcher() as watcher:
        try:
            trigger("remove", real_disk)
            watcher.wait_for(("remove", f"/dev/{real_disk}"))
        finally:
            trigger("add", real_disk)  # udevd restores the disk's links and database record
        seen = watcher.wait_for(("add", f"/dev/{real_disk}"))
    assert seen.index(("remove", f"/dev/{real_disk}")) < seen.index(("add", f"/dev/{real_disk}")), seen


@pytest.fixture
def sparse_file(tmp_path):
    path = tmp_path / "disk.img"
    with open(path, "wb") as fh:
        fh.truncate(64 << 20)
    return path


def test_loop_devices_are_not_reported(real_disk, sparse_file):
    """A loop device coming and going is udev traffic, but never a disk the probe lists:
    the watcher must stay quiet (the live system's squashfs loop must not cause re-probes)."""
    raw = backend.open_disk_monitor()  # the same monitor, without the watcher's filter
    raw_events: list[tuple[str, str]] = []
    with Watcher() as watcher:
        attached = subprocess.run(["losetup", "--find", "--show", str(sparse_file)],
                                  capture_output=True, text=True, timeout=30)
        if attached.returncode != 0:
            pytest.skip(f"cannot attach a loop device: {attached.stderr.strip()}")
        loop = os.path.basename(attached.stdout.strip())
        try:
            assert udevadm("settle", "--timeout=30").returncode == 0
        finally:
            subprocess.run(["losetup", "--detach", f"/dev/{loop}"], check=True, timeout=30)
        assert udevadm("settle", "--timeout=30").returncode == 0
        # The loop device's events were broadcast before this one: once the watcher has
        # reported it, it has already read (and dropped) theirs.
        trigger("change", real_disk)
        reported = watcher.wait_for(("change", f"/dev/{real_disk}"))
    while (device := raw.poll(timeout=0.5)) is not None:
        raw_events.append((device.action, device.sys_name))
    assert any(name == loop for _, name in raw_events), f"udev broadcast nothing for {loop}: {raw_events}"
    assert not [r for r in reported if os.path.basename(r[1]) == loop], reported
    assert all(not os.path.basename(node).startswith(NOT_DISK_PREFIXES) for _, node in reported), reported


def test_app_reprobes_when_a_disk_changes(real_disk, tmp_path):
    """The whole path in the TUI: udev event -> watcher worker -> probe worker -> MachineChanged."""
    from installer.model.defaults import new_plan
    from installer.model.product import load_product
    from screens.app import InstallerApp, MachineChanged
    from tests.tui.driver import wait_until

    product = load_product()
    app = InstallerApp(plan=new_plan(product), machine=None, product=product, dry_run=True,
                       target=str(tmp_path / "sysimage"), log_dir=str(tmp_path / "logs"),
                       watch_disks=True, ansi=True)
    reasons: list[str] = []
    seen: set[int] = set()

    def hook(message) -> None:
        if isinstance(message, MachineChanged) and id(message) not in seen:
            seen.add(id(message))
            reasons.append(message.reason)

    async def drive() -> None:
        async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
            await wait_until(pilot, app.disk_watch_started.is_set, timeout=20, what="the disk watcher")
            await wait_until(pilot, lambda: app.machine is not None, timeout=60, what="the startup probe")
            await asyncio.to_thread(trigger, "change", real_disk)
            expected = f"/dev/{real_disk} changed"
            await wait_until(pilot, lambda: expected in reasons, timeout=60, what=f"a re-probe for {expected}")
            assert app.machine.disk(real_disk) is not None
            watcher = next(w for w in app.workers if w.group == "udev")
            app.stop_watching_disks()
            await wait_until(pilot, lambda: watcher.is_finished, timeout=10, what="the watcher to stop")

    asyncio.run(drive())
    assert reasons[0] == "", reasons  # the startup probe, then the one the udev event caused
