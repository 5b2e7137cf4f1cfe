"""SSH into a booted guest over its 127.0.0.1-forwarded port."""
import subprocess
import time
from pathlib import Path

from .cache import cached, input_hash
from .qemu import VM, GuestError


def harness_key() -> Path:
    """A throwaway ed25519 key pair (build/ssh/id_ed25519[.pub])."""
    def build(out: Path):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "azl-vm-harness",
                        "-f", str(out / "id_ed25519")], check=True)
    return cached("ssh", input_hash("ssh-key-v1"), build) / "id_ed25519"


def ssh_argv(port: int, key: Path, connect_timeout=10) -> list[str]:
    return ["ssh", "-q", "-i", str(key), "-p", str(port), "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
            "-o", f"ConnectTimeout={connect_timeout}", "-o", "ServerAliveInterval=10",
            "-o", "LogLevel=ERROR", "root@127.0.0.1"]


def run(port: int, key: Path, script: str, timeout=300) -> subprocess.CompletedProcess:
    """Run a shell script on the guest in one SSH session."""
    return subprocess.run(ssh_argv(port, key) + ["sh", "-s"], input=script, text=True,
                          capture_output=True, timeout=timeout)


def wait_ssh(vm: VM, port: int, key: Path, timeout=300) -> float:
    """Poll until a login works; return seconds since the VM started. Fails early
    (with the serial-log tail) if the boot hits a fatal console line or qemu exits."""
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        vm._check_alive("waiting for sshd")
        try:
            r = subprocess.run(ssh_argv(port, key, connect_timeout=5) + ["true"],
                               capture_output=True, text=True, timeout=20)
            if r.returncode == 0:
                return vm.elapsed()
            last = r.stderr.strip()
        except subprocess.TimeoutExpired:
            last = "ssh timed out"
        if time.monotonic() > deadline:
            raise vm.timeout_error(f"no SSH login on 127.0.0.1:{port} ({last})")
        time.sleep(3)


def sections(text: str) -> dict[str, str]:
    """Split a batched remote script's output at its "== NAME" marker lines."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = line[3:].strip()
            out[current] = ""
        elif current:
            out[current] += line + "\n"
    return out
