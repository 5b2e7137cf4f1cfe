"""The malformed-kickstart corpus: each tests/kickstart/malformed/NAME.ks gives exactly NAME.expected.

Expectations are checked-in files; after a deliberate message change, regenerate them with
`.venv/bin/python tests/kickstart/malformed/regen.py --regen` and review the diff.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent / "malformed"
ROOT = HERE.parent.parent
_spec = importlib.util.spec_from_file_location("malformed_regen", HERE / "regen.py")
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

CASES = corpus.cases()


def test_corpus_is_large_and_complete():
    assert len(CASES) >= 40
    missing = [c for c in CASES if not (HERE / f"{c}.expected").exists()]
    assert missing == []


@pytest.mark.parametrize("name", CASES)
def test_malformed_case(name):
    expected = (HERE / f"{name}.expected").read_text()
    rc, out = corpus.run_case(name)
    assert out == expected
    assert rc == 1, "a malformed kickstart must be rejected"
    lines = expected.splitlines()
    assert lines, "every case names at least one problem"
    assert any(": warning: " not in line for line in lines), "at least one error, not only warnings"
    for line in lines:
        file, lineno, _msg = line.split(":", 2)
        assert (HERE / file).exists() and lineno.isdigit(), line


def test_corpus_through_a_real_process():
    """One smoke run of the installed entry point, as a user types it."""
    names = ["unknown-command", "ondisk-live-medium", "gateway-outside-subnet"]
    exe = [sys.executable, "-m", "installer"]
    for n in names:
        cmd = exe + ["validate", f"{n}.ks", *corpus.case_args(n)]
        proc = subprocess.run(cmd, cwd=HERE, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 1, proc.stderr
        assert proc.stdout == (HERE / f"{n}.expected").read_text()
        assert "Traceback" not in proc.stderr
