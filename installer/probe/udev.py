"""Probe the running machine with pyudev: disks, NICs, firmware, memory.

This module only reads: pyudev enumerates devices and gives their udev
properties and /dev links; attributes are read straight from sysfs so a
missing or unreadable attribute (EINVAL on a downed NIC, a device that
vanished mid-probe) becomes None instead of an error. What the readings mean
is decided by the pure functions in probe_disks, probe_nics and probe_mounts.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
from pathlib import Path

from installer.model.machine import Machine
from installer.probe.disks import BlockRecord, classify
from installer.probe.mounts import live_backing_disks
from installer.probe.nics import NicRecord, classify_nics

DISK_ATTRS = ("size", "ro", "removable", "hidden", "serial", "wwid", "queue/rotational",
              "queue/logical_block_size", "queue/physical_block_size",
              "device/model", "device/vendor", "device/serial", "device/wwid")
PART_ATTRS = ("partition", "start", "size", "ro")

EFI_GLOBAL_GUID = "8be4df61-93ca-11d2-aa0d-00e098032b8c"


def read_attr(base: str | Path, name: str) -> str | None:
    try:
        with open(os.path.join(base, name), "rb") as fh:
            return fh.read(4096).decode("utf-8", errors="replace").strip()
    except (OSError, ValueError):
        return None


def read_attrs(base: str, names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for n in names:
        value = read_attr(base, n)
        if value is not None:
            out[n] = value
    return out


def _props(device) -> dict[str, str]:
    try:
        return {str(k): str(v) for k, v in device.properties.items()}
    except Exception:  # pyudev raises from libudev when a device disappears mid-read
        return {}


def _links(device) -> list[str]:
    try:
        return sorted(str(l) for l in device.device_links)
    except Exception:
        return []


def _parent_subsystems(device) -> list[str]:
    out = []
    try:
        for a in device.ancestors:
            if a.subsystem:
                out.append(str(a.subsystem))
    except Exception:
        pass
    return out


def block_record(device, attrs: tuple[str, ...]) -> BlockRecord:
    return BlockRecord(
        name=device.sys_name,
        devtype=device.device_type or "disk",
        devnode=device.device_node,
        sys_path=device.sys_path,
        props=_props(device),
        attrs=read_attrs(device.sys_path, attrs),
        parent_subsystems=_parent_subsystems(device),
        links=_links(device),
    )


def block_records(context) -> list[BlockRecord]:
    """One record per whole block device, its partitions attached."""
    disks: dict[str, BlockRecord] = {}
    parts: list[tuple[str, BlockRecord]] = []
    for device in context.list_devices(subsystem="block"):
        if device.device_type == "partition":
            parts.append((os.path.basename(os.path.dirname(device.sys_path)), block_record(device, PART_ATTRS)))
        elif device.device_type == "disk":
            disks[device.sys_name] = block_record(device, DISK_ATTRS)
    for disk_name, rec in parts:
        if disk_name in disks:
            disks[disk_name].partitions.append(rec)
    return list(disks.values())


def nic_records(context) -> list[NicRecord]:
    out = []
    for device in context.list_devices(subsystem="net"):
        base = device.sys_path
        props = _props(device)
        driver = props.get("ID_NET_DRIVER")
        if not driver:
            try:
                driver = os.path.basename(os.readlink(os.path.join(base, "device", "driver")))
            except OSError:
                driver = None
        out.append(NicRecord(
            name=device.sys_name, sys_path=base,
            has_device=os.path.exists(os.path.join(base, "device")),
            driver=driver, address=read_attr(base, "address"), type=read_attr(base, "type"),
            carrier=read_attr(base, "carrier"), speed=read_attr(base, "speed"),
        ))
    return out


def firmware_type(sys_root: str = "/sys") -> str:
    return "uefi" if os.path.isdir(os.path.join(sys_root, "firmware", "efi")) else "bios"


def secure_boot_enabled(sys_root: str = "/sys") -> bool | None:
    """SecureBoot EFI variable: 4 bytes of attributes, then 1 when enabled."""
    if firmware_type(sys_root) != "uefi":
        return None
    path = os.path.join(sys_root, "firmware", "efi", "efivars", f"SecureBoot-{EFI_GLOBAL_GUID}")
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    return len(data) >= 5 and data[4] == 1


def memory_bytes(meminfo: str | None = None) -> int:
    if meminfo is None:
        try:
            meminfo = Path("/proc/meminfo").read_text()
        except OSError:
            return 0
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            fields = line.split()
            try:
                value = int(fields[1])
            except (IndexError, ValueError):
                return 0
            unit = fields[2].lower() if len(fields) > 2 else "kb"
            return value * {"kb": 1024, "mb": 1024**2, "gb": 1024**3}.get(unit, 1)
    return 0


def system_description(sys_root: str = "/sys") -> str | None:
    dmi = os.path.join(sys_root, "class", "dmi", "id")
    vendor, product = read_attr(dmi, "sys_vendor"), read_attr(dmi, "product_name")
    text = " ".join(x for x in (vendor, product) if x and x.lower() not in ("unknown", "to be filled by o.e.m."))
    return text or None


def settle(timeout: int = 5) -> None:
    """Let udev finish events in flight (a medium just plugged in) before reading."""
    udevadm = shutil.which("udevadm")
    if udevadm:
        try:
            subprocess.run([udevadm, "settle", f"--timeout={timeout}"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout + 5)
        except (OSError, subprocess.SubprocessError):
            pass


def probe_machine(context=None, *, live_label: str | None = None, wait_for_udev: bool = True) -> Machine:
    """The machine this process runs on. live_label defaults to the product's."""
    import pyudev

    if live_label is None:
        from installer.model.product import load_product
        live_label = load_product().live_label
    if wait_for_udev:
        settle()
    if context is None:
        context = pyudev.Context()
    disks = classify(block_records(context), live_label=live_label, backing=live_backing_disks())
    return Machine(
        firmware=firmware_type(),
        arch=platform.machine() or "unknown",
        memory=memory_bytes(),
        disks=disks,
        nics=classify_nics(nic_records(context)),
        hostname=socket.gethostname() or None,
        secure_boot=secure_boot_enabled(),
        description=system_description(),
    )
