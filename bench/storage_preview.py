"""How long a storage preview takes (what the TUI pays to show a layout): cold import vs planning.

Prints, for a fresh interpreter: the import of installer.storage (blivet, libblockdev through gi),
then the first and a repeated preview on each recorded profile. No root needed.
    .venv/bin/python bench/storage_preview.py
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ["vm-virtio-usb-live", "nvme-uefi", "bios-2sata", "dualboot-windows-linux", "server-8disk-4nic"]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
import installer.storage as storage
t1 = time.perf_counter()
from installer.defaults import new_plan
from installer.machine import Machine
from installer.plan import AutoPart
out = {"import": t1 - t0, "profiles": {}}
for name in sys.argv[1:]:
    machine = Machine.load(f"tests/profiles/{name}.json")
    plan = new_plan()
    plan.storage.autopart = AutoPart()
    plan.storage.clearpart.mode = "all"
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        preview = storage.preview_storage(plan, machine)
        runs.append(time.perf_counter() - t)
    out["profiles"][name] = {"first": runs[0], "warm": min(runs[1:]), "actions": len(preview.actions),
                             "disks": len(machine.disks)}
print(json.dumps(out))
"""


def main() -> int:
    proc = subprocess.run([sys.executable, "-c", CHILD, *PROFILES], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"cold import of installer.storage (blivet + libblockdev): {data['import']:.2f} s")
    print(f"{'profile':28} {'disks':>5} {'actions':>7} {'first':>7} {'warm':>7}")
    for name, r in data["profiles"].items():
        print(f"{name:28} {r['disks']:5d} {r['actions']:7d} {r['first']:6.2f}s {r['warm']:6.2f}s")
    worst = max(r["first"] for r in data["profiles"].values())
    print(f"slowest first preview / cold import: {worst / data['import']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
