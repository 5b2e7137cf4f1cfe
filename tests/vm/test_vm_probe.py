"""`azl-install probe --json` inside a guest with virtio, NVMe, SATA disks and
the live medium on USB storage."""
import json

import pytest

from harness.guest import run_guest
from harness.paths import BUILD
from harness.qemu import Disk, sparse_disk

pytestmark = pytest.mark.vm

GIB = 1 << 30
TARGETS = {  # serial: (bus, size, transport the probe must report)
    "probe-virtio": ("virtio", 10 * GIB, "virtio"),
    "probe-nvme": ("nvme", 12 * GIB, "nvme"),
    "probe-sata": ("sata", 14 * GIB, "sata"),
}


def test_probe_reports_transports_sizes_and_the_live_medium(live_env, vm_timer):
    disks = [Disk(sparse_disk(BUILD / "runs-disks" / f"{serial}.img", size), bus=bus, serial=serial)
             for serial, (bus, size, _) in TARGETS.items()]
    r = run_guest(live_env, "python3 -m installer probe --json > out/probe.json\n"
                  "lsblk -o NAME,TRAN,SIZE,SERIAL,LABEL\n",
                  disks, name="probe", live_bus="usb", timeout=300)
    vm_timer.add("boot", "probe", r.boot_seconds or 0)
    assert r.rc == 0, f"probe failed:\n{r.output}\n--- serial ---\n{r.tail}"
    machine = json.loads((r.job_dir / "out" / "probe.json").read_text())
    by_serial = {d.get("serial"): d for d in machine["disks"]}
    for serial, (_, size, transport) in TARGETS.items():
        d = by_serial.get(serial)
        assert d is not None, f"{serial} not probed; got {sorted(map(str, by_serial))}\n{r.output}"
        assert d["transport"] == transport, d
        assert d["size"] == size, d
        assert d["is_live_medium"] is False, d
    live = [d for d in machine["disks"] if d["is_live_medium"]]
    assert len(live) == 1, [d["name"] for d in live]
    assert live[0]["transport"] == "usb", live[0]
    assert {d["transport"] for d in machine["disks"]} <= {"nvme", "sata", "virtio", "usb", "scsi", "mmc"}
