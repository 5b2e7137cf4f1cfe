"""isotools is a build tool: it imports nothing of the installer or the TUI, and pyinstall.py
(run as a file from an unpacked source tree by the RPM spec) needs only the standard library."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_isotools_imports_no_installer_or_ui():
    bad = {p.name: imported(p) & {"installer", "screens", "textual", "rich", "blivet"}
           for p in sorted((ROOT / "isotools").glob("*.py"))}
    assert not {k: v for k, v in bad.items() if v}, bad


def test_pyinstall_is_standard_library_only():
    extra = imported(ROOT / "isotools" / "pyinstall.py") - set(sys.stdlib_module_names) - {"__future__"}
    assert not extra, extra
