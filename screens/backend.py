"""The engine calls the screens make, imported lazily so the first paint stays light.

Everything here runs in Textual thread workers except hash_password and
dump_kickstart, which are quick.
"""

from __future__ import annotations

import threading
from typing import Any, Callable


def hash_password(plaintext: str) -> str:
    from installer.secrets import hash_password as _hash

    return _hash(plaintext)


def load_kickstart(path: str):
    from installer.kickstart import load_kickstart as _load

    return _load(path)


def dump_kickstart(plan) -> str:
    from installer.kickstart import dump_kickstart as _dump

    return _dump(plan)


def validate(plan, machine, product) -> list:
    from installer.validate import validate as _validate

    return list(_validate(plan, machine, product))


def preview_storage(plan, machine, product):
    from installer.storage import preview_storage as _preview

    return _preview(plan, machine, product)


def probe_machine():
    from installer.probe import probe_machine as _probe

    return _probe()


def run_engine(plan, machine, product, *, target: str, events: Callable[[Any], None], dry_run: bool,
               log_dir: str = "/tmp/azl-install"):
    """The install itself; the Done screen, not the engine, reboots or powers off afterwards."""
    from installer import engine

    return engine.run(plan, machine, product, target=target, events=events, dry_run=dry_run,
                      log_dir=log_dir, power_action=False)


def watch_disks(on_change: Callable[[str, str], None], stop: threading.Event) -> None:
    """Call on_change(action, device) for block disks added or removed, until stop is set."""
    import pyudev

    context = pyudev.Context()
    monitor = pyudev.Monitor.from_netlink(context)
    monitor.filter_by(subsystem="block", device_type="disk")
    monitor.start()
    while not stop.is_set():
        device = monitor.poll(timeout=0.5)
        if device is not None and device.action in ("add", "remove", "change"):
            on_change(device.action, device.device_node or device.sys_name)
