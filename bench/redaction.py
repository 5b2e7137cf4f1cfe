"""Redacting secrets from a message and from the install log: time for 64 KB of hostile input against
8 KB (CPU time), measured in the same run. Linear work gives a ratio near 8; the old per-secret regex gave ~64.
Prints figures; never fails.

    .venv/bin/python bench/redaction.py
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from installer import installlog
from installer.kickstart.files import parse_kickstart
from installer.kickstart.parse import scrub, secret_words


def best(fn, arg, runs: int = 5) -> float:
    """Best of runs, with the cyclic collector off (its passes grow with the heap, not the input)."""
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            fn(arg)
            times.append(time.process_time() - start)
    finally:
        gc.enable()
    return min(times)


def rootpw(size: int) -> list[str]:
    return ["rootpw", *(f"w{i:05d}" for i in range(size // 7))]


def scrub_message(args: list[str]) -> None:
    scrub("Unexpected arguments to rootpw command: " + repr(args[1:]), secret_words(args))


def log_filter(args: list[str]) -> None:
    installlog.RedactFilter(args[1:]).redact(" ".join(args[1:]))


def parse_line(args: list[str]) -> None:
    parse_kickstart(" ".join(args) + " --bogus\n")


def main() -> int:
    parse_line(rootpw(1024))  # imports and pykickstart's handler, paid once
    print(f"{'case':<34} {'8 KB':>9} {'64 KB':>9} {'ratio':>6}  (linear ~8, quadratic ~64)")
    for name, fn, small, large in (("error message scrub", scrub_message, 8, 64),
                                   ("install log filter", log_filter, 8, 64),
                                   ("parse a rootpw line (7 vs 56 KB)", parse_line, 7, 56)):
        a, b = best(fn, rootpw(small * 1024)), best(fn, rootpw(large * 1024))
        print(f"{name:<34} {a * 1000:8.1f}ms {b * 1000:8.1f}ms {b / a:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
