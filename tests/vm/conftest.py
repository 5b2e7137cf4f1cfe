"""Session fixtures for the VM tier: cached builds, the SSH key, timings."""
import concurrent.futures
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import iso, live, payload, ssh, timings  # noqa: E402

REQUIRED_TOOLS = ("qemu-system-x86_64", "debootstrap", "mkfs.ext4", "ssh", "zstd", "mksquashfs",
                  "grub-mkrescue", "xorriso", "mformat")


@pytest.fixture(scope="session")
def vm_tools():
    missing = [t for t in REQUIRED_TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"VM tier needs {missing} (tools/setup.sh installs them)")


@pytest.fixture(scope="session")
def vm_timer():
    t = timings.Timer()
    yield t
    t.save()


@pytest.fixture(scope="session")
def vm_builds(vm_tools, vm_timer):
    """The live env and the test payload, built side by side (each is mostly one
    single-threaded debootstrap) or reused from build/ when their inputs are unchanged."""
    with vm_timer.phase("build", "live-env+payload"):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            env = pool.submit(live.build_live)
            load = pool.submit(payload.build_payload)
            return env.result(), load.result()


@pytest.fixture(scope="session")
def live_env(vm_builds):
    return vm_builds[0]


@pytest.fixture(scope="session")
def test_payload(vm_builds):
    return vm_builds[1]


@pytest.fixture(scope="session")
def ssh_key(vm_tools) -> Path:
    return ssh.harness_key()


@pytest.fixture(scope="session")
def install_medium(vm_builds, vm_timer):
    """build/azl-install.iso (make iso), built after the live env and the payload it reuses."""
    with vm_timer.phase("build", "iso"):
        return iso.build_iso()
