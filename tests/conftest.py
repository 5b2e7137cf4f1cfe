import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "tests" / "profiles"
KICKSTARTS = ROOT / "kickstarts"
for path in (ROOT, ROOT / "tests"):  # the tree, and the shared test helpers (paths, *_support) for every subfolder
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


def pytest_collection_modifyitems(config, items):
    """Tiers that need root run whenever we are root (as in CI); elsewhere they are skipped, loudly."""
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason="needs root (runs in CI as root)")
    for item in items:
        if any(m in item.keywords for m in ("root", "host", "vm")):
            item.add_marker(skip)


@pytest.fixture
def profiles_dir() -> Path:
    return PROFILES


@pytest.fixture
def kickstarts_dir() -> Path:
    return KICKSTARTS


def have(tool: str) -> bool:
    return shutil.which(tool) is not None
