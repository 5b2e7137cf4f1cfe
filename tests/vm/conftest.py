"""Session fixtures for the VM tier: cached builds, the SSH key, timings."""
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import live, payload, ssh, timings  # noqa: E402

REQUIRED_TOOLS = ("qemu-system-x86_64", "debootstrap", "mkfs.ext4", "ssh", "zstd", "mksquashfs")


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
def live_env(vm_tools, vm_timer):
    with vm_timer.phase("build", "live-env"):
        return live.build_live()


@pytest.fixture(scope="session")
def test_payload(vm_tools, vm_timer):
    with vm_timer.phase("build", "payload"):
        return payload.build_payload()


@pytest.fixture(scope="session")
def ssh_key(vm_tools) -> Path:
    return ssh.harness_key()
