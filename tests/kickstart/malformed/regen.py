"""Run the malformed-kickstart corpus through `azl-install validate`; --regen rewrites the expectations.

Each case is NAME.ks; NAME.expected holds the exact stdout of
`azl-install validate NAME.ks [ARGS]` run in this directory, where ARGS come from a
first line `# args: ...` in the case. The test (tests/test_malformed.py) compares
against the checked-in .expected files; regenerate them only deliberately, after a
message changed on purpose, and review the diff:

    .venv/bin/python tests/kickstart/malformed/regen.py --regen [NAME...]
    .venv/bin/python tests/kickstart/malformed/regen.py            # show cases whose output differs
"""

from __future__ import annotations

import contextlib
import io
import os
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def cases() -> list[str]:
    return sorted(p.stem for p in HERE.glob("*.ks"))


def case_args(name: str) -> list[str]:
    first = (HERE / f"{name}.ks").read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    return shlex.split(first[len("# args:"):]) if first.startswith("# args:") else []


def run_case(name: str) -> tuple[int, str]:
    """(exit code, stdout) of the real CLI, in-process, in this directory."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from installer.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(HERE)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main(["validate", f"{name}.ks", *case_args(name)])
    finally:
        os.chdir(old)
    return rc, out.getvalue()


def main(argv: list[str]) -> int:
    regen = "--regen" in argv
    names = [a for a in argv if not a.startswith("--")] or cases()
    differ = 0
    for name in names:
        rc, out = run_case(name)
        path = HERE / f"{name}.expected"
        old = path.read_text() if path.exists() else None
        if old != out:
            differ += 1
            print(f"{'rewrote' if regen else 'differs'}: {name} (exit {rc})")
            print("".join("    " + line for line in out.splitlines(True)), end="")
            if regen:
                path.write_text(out)
        if rc != 1:
            print(f"warning: {name} exits {rc}, a malformed case must exit 1")
    print(f"{len(names)} case(s), {differ} {'rewritten' if regen else 'differ'}")
    return 1 if differ and not regen else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
