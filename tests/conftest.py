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


# `make test` runs two lanes, a file per lane at a time (-n 2 --dist loadfile --no-loadscope-reorder),
# in the order below: the longest VM file first (its lane also builds the VM caches), the short
# non-VM files next on the other lane, then the other VM files longest first, so that no lane
# picks up a long guest file when the other is nearly done. Minutes measured on the 2-core
# machine in two-lane runs; an estimate for ordering only, never a timeout.
VM_MINUTES = {
    "test_config_scenarios.py": 22, "test_remaster_boot.py": 10, "test_payload_scenarios.py": 12,
    "test_storage_scenarios.py": 8, "test_vm_reference.py": 6, "test_iso_sshd.py": 6,
    "test_tui_serial.py": 6, "test_iso.py": 5, "test_netboot_vm.py": 4, "test_try.py": 3,
    "test_vm_payloads.py": 2, "test_vm_probe.py": 2, "test_vm_live.py": 2,
}


def file_rank(item) -> tuple[int, int]:
    path = Path(str(item.fspath))
    if path.parent.name != "vm" or path.parent.parent != ROOT / "tests":
        return (1, 0)
    minutes = VM_MINUTES.get(path.name, 0)
    first = max(VM_MINUTES.values())
    return (0 if minutes == first else 2, -minutes)


def pytest_collection_modifyitems(config, items):
    """Longest VM file first (see VM_MINUTES); then, tiers that need root run whenever we are root
    (as in CI), and elsewhere are skipped, loudly."""
    items.sort(key=file_rank)   # stable: each file's tests keep their order and stay together
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
