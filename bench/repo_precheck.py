"""%packages checked against repository metadata: linear in the metadata's size. Prints figures;
never fails.

    .venv/bin/python bench/repo_precheck.py

A metadata-only repository of N packages (each with a few provides) and a kickstart naming
1,000 packages (some unknown, a few globs) are generated; the check reads and parses the
metadata cold each round. The ratio printed is the time per package at 10x the size over the
time per package at 1x, measured in the same run (linear: about 1.0; target <= 1.5).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from installer.kickstart.files import load_kickstart
from installer.model.product import load_product
from installer.payload import precheck
from tests.host.rpmrepo import metadata_repo

TARGET = 1.5
SMALL, ROUNDS = 4000, 5


def run(n: int, tmp: Path, product) -> float:
    names = {f"pkg-{i:06d}": 100_000 + i for i in range(n)}
    names.update({n: 1 for s in product.package_sets.values() for n in s.packages})
    repo = metadata_repo(tmp / f"repo-{n}", names)
    ks = tmp / f"ks-{n}.cfg"
    wanted = [f"pkg-{i:06d}" for i in range(0, n, max(1, n // 990))][:990]
    ks.write_text(f"url --url=file://{repo}\n%packages\n" + "\n".join(wanted) + "\nnosuch-a\nnosuch-b\npkg-0001*\n%end\n")
    plan = load_kickstart(str(ks), product=product).plan
    times = []
    for _ in range(ROUNDS):
        precheck._CACHE.clear()
        t0 = time.perf_counter()
        check = precheck.check_packages(plan, product)
        times.append(time.perf_counter() - t0)
    assert len(check.diagnostics) == 2, [str(d) for d in check.diagnostics]
    return min(times)  # the least disturbed round: the machine is shared


def main() -> None:
    product = load_product()
    with tempfile.TemporaryDirectory() as tmp:
        small = run(SMALL, Path(tmp), product)
        large = run(SMALL * 10, Path(tmp), product)
    ratio = (large / (SMALL * 10)) / (small / SMALL)
    print(f"{SMALL} packages: {small * 1000:.1f} ms; {SMALL * 10} packages: {large * 1000:.1f} ms")
    print(f"time per package, 10x over 1x: {ratio:.2f} (target <= {TARGET}, linear is ~1.0)")


if __name__ == "__main__":
    main()
