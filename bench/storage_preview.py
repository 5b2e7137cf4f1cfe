"""How long a storage preview takes (what the TUI pays to show a layout): cold import vs planning.

Prints, for a fresh interpreter: the import of installer.storage.preview (blivet, libblockdev through gi),
then the first and a repeated preview on each recorded profile; then what the dry run
`azl-install plan kickstarts/minimal.ks --machine tests/profiles/nvme-uefi.json` costs end to end,
next to its floor measured in the same run (a bare interpreter; one importing installer.storage.preview). No root needed.
    .venv/bin/python bench/storage_preview.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ["vm-virtio-usb-live", "nvme-uefi", "bios-2sata", "dualboot-windows-linux", "server-8disk-4nic"]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from installer.storage.preview import preview_storage
t1 = time.perf_counter()
from installer.model.defaults import new_plan
from installer.model.machine import Machine
from installer.model.plan import AutoPart
out = {"import": t1 - t0, "profiles": {}}
for name in sys.argv[1:]:
    machine = Machine.load(f"tests/profiles/{name}.json")
    plan = new_plan()
    plan.storage.autopart = AutoPart()
    plan.storage.clearpart.mode = "all"
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        preview = preview_storage(plan, machine)
        runs.append(time.perf_counter() - t)
    out["profiles"][name] = {"first": runs[0], "warm": min(runs[1:]), "actions": len(preview.actions),
                             "disks": len(machine.disks)}
print(json.dumps(out))
"""


PLAN_ARGV = ["-m", "installer", "plan", "kickstarts/minimal.ks", "--machine", "tests/profiles/nvme-uefi.json"]
FLOORS = {"bare interpreter": ["-c", "pass"],
          "import installer.storage.preview": ["-c", "import installer.storage.preview, blivet.blivet"]}


def wall_times(argv: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return times


def end_to_end(runs: int) -> None:
    plan = wall_times(PLAN_ARGV, runs)
    floors = {name: statistics.median(wall_times(argv, runs)) for name, argv in FLOORS.items()}
    plan_s = statistics.median(plan)
    print(f"azl-install plan minimal.ks --machine nvme-uefi, end to end (median of {runs}): {plan_s:.2f} s")
    for name, floor in floors.items():
        print(f"  baseline {name:26} {floor:.2f} s   plan / baseline {plan_s / floor:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="end-to-end runs of each command")
    args = parser.parse_args()
    proc = subprocess.run([sys.executable, "-c", CHILD, *PROFILES], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"cold import of installer.storage.preview (blivet + libblockdev): {data['import']:.2f} s")
    print(f"{'profile':28} {'disks':>5} {'actions':>7} {'first':>7} {'warm':>7}")
    for name, r in data["profiles"].items():
        print(f"{name:28} {r['disks']:5d} {r['actions']:7d} {r['first']:6.2f}s {r['warm']:6.2f}s")
    worst = max(r["first"] for r in data["profiles"].values())
    print(f"slowest first preview / cold import: {worst / data['import']:.2f}")
    end_to_end(max(args.runs, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
