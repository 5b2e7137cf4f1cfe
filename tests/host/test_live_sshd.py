"""inst.sshd against the real OpenSSH server: sshd on 127.0.0.1 with the configuration
sshd-setup generates (keys, Match block, ForceCommand), a key login that lands in the console
launcher whatever command the client asks for, and a login refused without the key."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installer.live import sshd

pytestmark = [pytest.mark.host, pytest.mark.root]
ROOT = Path(__file__).resolve().parents[2]
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    if not os.path.exists(SSHD) or os.geteuid() != 0:
        pytest.fail("the host tier needs root and openssh-server (tools/setup.sh installs it)")
    keygen = ["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f"]
    subprocess.run([*keygen, str(tmp_path / "host_key")], check=True)
    subprocess.run([*keygen, str(tmp_path / "client_key")], check=True)
    subprocess.run([*keygen, str(tmp_path / "other_key")], check=True)
    live = tmp_path / "live"
    (live / "etc").mkdir(parents=True)
    (live / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/bash\n")
    (live / "etc/shadow").write_text("root:*:1::::::\n")
    key = (tmp_path / "client_key.pub").read_text().strip()
    accounts, errors = sshd.accounts_from_kickstart(f'sshpw --username=root --sshkey "{key}"\n', "ks.cfg")
    assert errors == []
    sshd.apply(accounts, live)
    session = tmp_path / "session"
    session.write_text(f"#!/bin/sh\nexport PYTHONPATH={ROOT}\nexec {sys.executable} -m installer console --ssh "
                       f"--run-dir {tmp_path}/run --installer \"sh -c 'echo TUI-RAN-AS-$(id -u)'\" "
                       f"--cmdline-file /dev/null\n")
    session.chmod(0o755)
    port = free_port()
    config = tmp_path / "sshd_config"
    config.write_text("\n".join([
        f"Port {port}", "ListenAddress 127.0.0.1", f"HostKey {tmp_path}/host_key", f"PidFile {tmp_path}/sshd.pid",
        "UsePAM no", "StrictModes no", "LogLevel VERBOSE", "AuthorizedKeysFile none",
        sshd.sshd_config(accounts, keys_dir=str(live / sshd.KEYS_DIR), session=str(session)),
    ]))
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stderr=open(tmp_path / "sshd.log", "w"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield tmp_path, port
    proc.terminate()
    proc.wait(10)


def ssh(tmp_path, port, key, *extra, input_text=None):
    argv = ["ssh", "-p", str(port), "-i", str(tmp_path / key), "-o", "IdentitiesOnly=yes",
            "-o", "StrictHostKeyChecking=no", "-o", f"UserKnownHostsFile={tmp_path}/known_hosts",
            "-o", "BatchMode=yes", "-o", "ConnectTimeout=10", *extra, "root@127.0.0.1"]
    return subprocess.run(argv, input=input_text, capture_output=True, text=True, timeout=60)


def test_key_login_lands_in_the_launcher_whatever_the_command(server):
    tmp_path, port = server
    # the client asks for a shell command; ForceCommand runs the launcher instead
    res = ssh(tmp_path, port, "client_key", "-T", "-o", "RemoteCommand=id -un", input_text="6\n")
    assert res.returncode == 0, (res.stderr, (tmp_path / "sshd.log").read_text())
    assert "TUI-RAN-AS-0" in res.stdout
    assert "6) Disconnect" in res.stdout and "root\n" not in res.stdout


def test_other_keys_and_passwords_are_refused(server):
    tmp_path, port = server
    res = ssh(tmp_path, port, "other_key", "-T")
    assert res.returncode == 255 and "Permission denied" in res.stderr
    assert "PasswordAuthentication no" in (tmp_path / "sshd_config").read_text()
