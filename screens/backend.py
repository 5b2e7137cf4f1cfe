"""The engine calls the screens make, imported lazily so the first paint stays light.

Everything here runs in Textual thread workers except hash_password and
dump_kickstart, which are quick.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def hash_password(plaintext: str) -> str:
    from installer.model.secrets import hash_password as _hash

    return _hash(plaintext)


def load_kickstart(path: str):
    from installer.kickstart.files import load_kickstart as _load

    return _load(path)


def dump_kickstart(plan) -> str:
    from installer.kickstart.files import dump_kickstart as _dump

    return _dump(plan)


def validate(plan, machine, product) -> list:
    from installer.steps.preflight import diagnostics as preflight
    from installer.validate.validator import validate as _validate

    return list(_validate(plan, machine, product)) + preflight(plan, machine, product, network=False)[0]


def preview_storage(plan, machine, product):
    from installer.storage.preview import preview_storage as _preview

    return _preview(plan, machine, product)


def find_previous(machine) -> list:
    """Systems azl-install installed on the machine's disks (read-only mounts; installer.probe.previous)."""
    from installer.probe.previous import find_previous as _find

    return list(_find(machine).installs)


def probe_machine():
    from installer.probe.udev import probe_machine as _probe

    return _probe()


def run_engine(plan, machine, product, *, target: str, events: Callable[[Any], None], dry_run: bool,
               log_dir: str = "/tmp/azl-install"):
    """The install itself; the Done screen, not the engine, reboots or powers off afterwards."""
    from installer import engine

    return engine.run(plan, machine, product, target=target, events=events, dry_run=dry_run,
                      log_dir=log_dir, power_action=False)


def open_disk_monitor():
    """A started pyudev monitor for whole block disks, as udevd announces them (after its rules ran)."""
    import pyudev

    monitor = pyudev.Monitor.from_netlink(pyudev.Context())
    monitor.filter_by(subsystem="block", device_type="disk")
    monitor.start()
    return monitor


def disk_change(device) -> tuple[str, str] | None:
    """(action, device node) when a uevent can change the probe's list of disks, else None.

    Loop, ram, zram, md, dm and nbd devices are never listed as disks; their events
    (the live system's squashfs loop, LUKS/LVM mappings) must not cause re-probes.
    """
    from installer.probe.disks import NOT_DISK_PREFIXES

    if device.action not in ("add", "remove", "change"):
        return None
    if device.sys_name.startswith(NOT_DISK_PREFIXES):
        return None
    return device.action, device.device_node or f"/dev/{device.sys_name}"


def watch_disks(on_change: Callable[[str, str], None], stop: threading.Event,
                started: threading.Event | None = None) -> None:
    """Call on_change(action, device node) for disks added, removed or changed, until stop is set.

    started is set once the monitor listens: events before that are not seen.
    """
    monitor = open_disk_monitor()
    if started is not None:
        started.set()
    while not stop.is_set():
        device = monitor.poll(timeout=0.5)
        change = disk_change(device) if device is not None else None
        if change is not None:
            on_change(*change)
