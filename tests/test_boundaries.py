"""The engine (installer/) never loads a UI toolkit; blivet is imported by one module only."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in (ROOT / "installer").rglob("*.py")
    if p.name != "__main__.py"
)


@pytest.mark.parametrize("module", ENGINE_MODULES)
def test_engine_module_loads_no_ui_toolkit(module):
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'screens'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} pulled in {out.stdout.strip()}"


def test_blivet_imported_by_one_module_only():
    pattern = re.compile(r"^\s*(import|from)\s+blivet\b", re.M)
    importers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "installer").rglob("*.py") if pattern.search(p.read_text())]
    assert len(importers) <= 1, importers
