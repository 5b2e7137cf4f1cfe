"""Network interfaces from what sysfs and udev say about them (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass

from installer.model.machine import Nic

ARPHRD_LOOPBACK = "772"
UNKNOWN_SPEEDS = (-1, 0, 0xFFFFFFFF)


@dataclass
class NicRecord:
    """What the probe read for one interface. carrier/speed are None when the
    kernel refused to say (EINVAL while the interface is down)."""
    name: str
    sys_path: str = ""
    has_device: bool = False  # /sys/class/net/NAME/device exists: backed by hardware
    driver: str | None = None
    address: str | None = None
    type: str | None = None
    carrier: str | None = None
    speed: str | None = None


def is_loopback(rec: NicRecord) -> bool:
    return rec.name == "lo" or (rec.type or "").strip() == ARPHRD_LOOPBACK


def _mac(address: str | None) -> str | None:
    if not address:
        return None
    address = address.strip().lower()
    if not address or set(address) <= {"0", ":"}:
        return None
    return address


def _speed(value: str | None) -> int | None:
    try:
        speed = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return None if speed in UNKNOWN_SPEEDS or speed < 0 else speed


def _carrier(value: str | None) -> bool | None:
    value = (value or "").strip()
    return {"1": True, "0": False}.get(value)


def nic_from_record(rec: NicRecord) -> Nic | None:
    """The Nic for an interface, or None for loopback."""
    if is_loopback(rec):
        return None
    virtual = not rec.has_device or "/devices/virtual/" in rec.sys_path
    return Nic(
        name=rec.name,
        mac=_mac(rec.address),
        driver=(rec.driver or None),
        carrier=_carrier(rec.carrier),
        speed_mbps=_speed(rec.speed),
        virtual=virtual,
    )


def classify_nics(records: list[NicRecord]) -> list[Nic]:
    nics = [n for n in (nic_from_record(r) for r in records) if n is not None]
    # Hardware first, then virtual; each in name order.
    return sorted(nics, key=lambda n: (n.virtual, n.name))
