"""Compatibility: a kickstart pykickstart's own validator accepts is accepted by azl-install, or refused
only with messages that name the line and give a reason from the compatibility table (docs/kickstart.md).

The corpus is the sample kickstarts (kickstarts/) and tests/kickstart/compat/, real-world-shaped files
written for this project; each compat file says on its first line whether azl-install accepts it.
"""

import functools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from paths import KICKSTARTS, ROOT

from installer.commands.validate import check_file
from installer.kickstart import compat
from installer.model.product import load_product

COMPAT = ROOT / "tests" / "kickstart" / "compat"
CORPUS = sorted(KICKSTARTS.glob("*.ks")) + sorted(COMPAT.glob("*.ks"))
REASONS = compat.reasons()


@functools.lru_cache(maxsize=1)
def ksvalidator() -> list[str]:
    script = Path(sys.executable).parent / "ksvalidator"
    if script.exists():
        return [sys.executable, str(script)]
    found = shutil.which("ksvalidator")
    assert found, "pykickstart's ksvalidator is not installed (it comes with pykickstart)"
    return [found]


def pykickstart_accepts(path: Path) -> bool:
    proc = subprocess.run([*ksvalidator(), "-v", "F43", path.name], check=False, cwd=path.parent, capture_output=True,
                          text=True, timeout=120)
    return proc.returncode == 0


def expected(path: Path) -> str:
    if path.parent == KICKSTARTS:
        return "accepted"
    first = path.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: accepted|refused'"
    return first.removeprefix("# expect: ").strip()


def azl_errors(path: Path):
    _plan, diags = check_file(str(path), None, load_product())
    return [d for d in diags if d.is_error]


def test_the_corpus_has_both_kinds_and_pykickstart_accepts_most_of_it():
    kinds = [expected(p) for p in CORPUS]
    assert kinds.count("accepted") >= 6 and kinds.count("refused") >= 4
    assert sum(pykickstart_accepts(p) for p in CORPUS) >= 9


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_azl_install_gives_the_expected_outcome(path):
    errors = azl_errors(path)
    if expected(path) == "accepted":
        assert errors == [], [str(d) for d in errors]
    else:
        assert errors, f"{path.name} was expected to be refused"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_what_pykickstart_accepts_is_refused_only_for_reasons_in_the_table(path):
    if not pykickstart_accepts(path):
        # e.g. ksvalidator turns "device already defined" for a VLAN beside its parent into an error,
        # which Anaconda itself accepts; test_azl_install_gives_the_expected_outcome pins those files
        return
    for d in azl_errors(path):
        assert d.origin is not None and d.origin.file == str(path) and d.origin.line, str(d)
        assert any(reason in d.message for reason in REASONS), f"not a reason from the table: {d}"
