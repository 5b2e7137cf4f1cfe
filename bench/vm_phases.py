"""Per-phase VM timings (build/vm-timings.json, written by the VM tier) as a table.

Compares each scenario's phases with the reference install of the same firmware,
the baseline the installer is measured against. Exits 0 when no timings exist
yet (the VM tier has not run on this machine)."""
import json
import sys
from pathlib import Path

TIMINGS = Path(__file__).resolve().parent.parent / "build" / "vm-timings.json"


def main() -> int:
    if not TIMINGS.exists():
        print(f"no {TIMINGS} yet: run the VM tier (pytest -m vm) first")
        return 0
    data = json.loads(TIMINGS.read_text())
    phases = data["phases"]
    table: dict[str, dict[str, float]] = {}
    for r in data["records"]:
        row = table.setdefault(r["scenario"], {})
        row[r["phase"]] = row.get(r["phase"], 0.0) + r["seconds"]
    width = max([len(s) for s in table] + [8])
    print(f"{'scenario':<{width}} " + " ".join(f"{p:>10}" for p in phases) + f" {'total':>8}")
    for name in sorted(table):
        row = table[name]
        cells = " ".join(f"{row[p]:>10.1f}" if p in row else f"{'-':>10}" for p in phases)
        print(f"{name:<{width}} {cells} {sum(row.values()):>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
