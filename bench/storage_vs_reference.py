"""The installer's storage phase against the harness's reference script, same layout, same VM.

One live boot (QEMU, TCG) with four blank 8 GiB virtio disks. Twice, alternating the order:
  reference: tests/vm/scripts/reference-install.sh's storage phase (sfdisk GPT: ESP 600 MiB,
             /boot 1 GiB ext4, / ext4 on the rest; mkfs; mount), timed from its
             "azl-phase: storage" mark to "azl-phase: payload";
  installer: installer.storage.apply_storage() with the same layout as a kickstart
             (blivet reset, planning, the actions, mounts), then teardown.
Prints each run, the installer's breakdown, and the ratio installer / reference (target <= 1.2).
Needs root and the VM tier's tools:  sudo .venv/bin/python bench/storage_vs_reference.py
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "vm"))

from harness import live  # noqa: E402
from harness.guest import run_guest  # noqa: E402
from harness.paths import BUILD, SCRIPTS  # noqa: E402
from harness.qemu import Disk, sparse_disk  # noqa: E402

KICKSTART = """\
ignoredisk --only-use={serial}
zerombr
clearpart --all --initlabel
part /boot/efi --fstype=efi --size=600
part /boot --fstype=ext4 --size=1024
part / --fstype=ext4 --size=1 --grow
"""

DRIVER = r"""
import json, sys, time
try:
    import pykickstart  # noqa: F401
except ImportError:
    sys.path.append(f"/run/azl/src/.venv/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages")
t = time.monotonic()
from installer.storage.apply import apply_storage
from installer.storage.teardown import teardown
from installer.kickstart.files import load_kickstart
from installer.probe.udev import probe_machine
imported = time.monotonic() - t
machine = probe_machine()
machine.firmware = "uefi"
plan = load_kickstart(sys.argv[1]).plan
t = time.monotonic()
target = apply_storage(plan, machine)
total = time.monotonic() - t
teardown(target)
print(json.dumps({"import": imported, "total": total, **target.seconds}))
"""


def main() -> int:
    env = live.build_live()
    work = BUILD / "bench-storage"
    serials = ["ref-1", "ins-1", "ins-2", "ref-2"]
    disks = [Disk(sparse_disk(work / f"{s}.img", "8G"), bus="virtio", serial=s) for s in serials]
    files = {"reference-install.sh": (SCRIPTS / "reference-install.sh").read_text(), "driver.py": DRIVER}
    lines = ["#!/bin/sh", "cd /run/azl/job", "chmod +x reference-install.sh"]
    for s in serials:
        if s.startswith("ref"):
            # no payload tarball: the script stops after its storage phase, which is all we time
            lines.append(f"./reference-install.sh {s} uefi bench /dev/null /nonexistent > out/{s}.log 2>&1 || true")
            lines.append(f"umount -R /mnt/target-{s} 2>/dev/null || true")
        else:
            files[f"{s}.ks"] = KICKSTART.format(serial=s)
            lines.append(f"python3 driver.py {s}.ks > out/{s}.json 2> out/{s}.err")
    res = run_guest(env, "\n".join(lines) + "\n", disks, name="bench-storage", timeout=1200, files=files)
    out = res.job_dir / "out"
    ref, ins = [], []
    for s in serials:
        if s.startswith("ref"):
            marks = {}
            for line in (out / f"{s}.log").read_text().splitlines():
                if line.startswith("azl-phase: "):
                    _, name, at = line.split()
                    marks[name] = float(at)
            ref.append(marks["payload"] - marks["storage"])
            print(f"reference {s}: storage phase {ref[-1]:.2f} s")
        else:
            text = (out / f"{s}.json").read_text().strip()
            if not text:
                print((out / f"{s}.err").read_text()[-3000:], file=sys.stderr)
                return 1
            r = json.loads(text.splitlines()[-1])
            ins.append(r["total"])
            print(f"installer {s}: storage phase {r['total']:.2f} s (blivet reset {r['reset']:.2f}, plan "
                  f"{r['plan']:.2f}, actions {r['execute']:.2f}, mount {r['mount']:.2f}; "
                  f"import before it {r['import']:.2f})")
    ratio = statistics.mean(ins) / statistics.mean(ref)
    print(f"installer / reference storage time: {ratio:.2f} (target <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
