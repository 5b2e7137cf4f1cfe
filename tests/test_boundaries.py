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


# What each area of installer/ may import from the rest of installer/ (its own modules always).
# Top-level modules are areas of their own; the command line (cli, commands) may import anything.
ALLOWED = {
    "model": set(),
    "validate": {"model"},
    # an image configuration is accepted wherever a kickstart is: the kickstart loader hands it over
    "kickstart": {"model", "validate", "imageconfig"},
    # it becomes the kickstart loader's result type and reads files with its bounded reader
    "imageconfig": {"model", "kickstart"},
    "probe": {"model"},
    "storage": {"model", "probe"},  # apply re-probes to re-identify the chosen disks before writing
    "payload": {"model", "fetch"},
    "live": {"model", "fetch", "eventbus"},
    "fetch": set(),
    "chroot": set(),
    "installlog": {"model"},
    "context": {"model", "chroot"},
    # validate: the preflight step reruns the pure space check with sizes read once the network is up
    "steps": {"model", "context", "chroot", "installlog", "kickstart", "payload", "storage", "validate"},
    "engine": {"model", "context", "installlog", "steps", "storage", "validate", "eventbus"},
    "eventbus": {"model"},
}
UNRESTRICTED = {"cli", "commands", "__main__", "__init__"}


def _area(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    """installer.* names imported anywhere in the file (top level or inside functions), as dotted paths."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("installer.")]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "installer" or node.module.startswith("installer."):
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def test_areas_import_only_in_the_allowed_direction():
    wrong = []
    for path in sorted((ROOT / "installer").rglob("*.py")):
        area = _area(".".join(path.relative_to(ROOT).with_suffix("").parts))
        if area in UNRESTRICTED:
            continue
        assert area in ALLOWED, f"{path.relative_to(ROOT)}: a new area; say in ALLOWED what it may import"
        for line, target in _imports(path):
            used = _area(target)
            if used != area and used not in ALLOWED[area]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {area} imports {target}")
    assert wrong == []


def test_only_storage_reaches_the_blivet_backend():
    outside = [f"{p.relative_to(ROOT)}:{line}" for p in sorted((ROOT / "installer").rglob("*.py"))
               if p.parent.name != "storage" for line, target in _imports(p)
               if (target + ".").startswith("installer.storage.backend.")]
    assert outside == []


def test_the_boundary_check_sees_function_level_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from installer.storage import backend\n    import installer.steps.ssh\n")
    assert _imports(probe) == [(2, "installer.storage.backend"), (3, "installer.steps.ssh")]
    assert _area("installer.storage.backend") == "storage" and _area("installer.engine") == "engine"


def test_screens_import_no_cycle():
    """Screens import each other one way only (the app decides which screen follows which)."""
    import ast

    graph: dict[str, set[str]] = {}
    for path in (ROOT / "screens").glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("screens."):
                deps.add(node.module.split(".")[1])
            elif isinstance(node, ast.ImportFrom) and node.module == "screens":
                deps.update(a.name for a in node.names)
        graph[path.stem] = deps - {path.stem}
    cycles = sorted(f"{a} <-> {b}" for a in graph for b in graph[a] if a < b and a in graph.get(b, set()))
    assert cycles == []
