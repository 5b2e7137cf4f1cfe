"""inst.sshd from the installation medium: the ISO in the CD-ROM drive, GRUB's "Install Azure
Linux" entry with `inst.sshd inst.ks=hd:LABEL=AZL-KS:/ks.cfg`, a partial kickstart on a
write-protected USB stick whose `sshpw --sshkey` line makes the SSH account, the guest's port 22
forwarded to a port on the host's 127.0.0.1.

With inst.sshd the consoles wait for Enter. From the host, `ssh install@127.0.0.1` in a real
terminal (tmux, 80x24) gets the TUI with the kickstart at once and finishes the install with it
(the disk and the root password are answered there), while the serial console, where nobody
pressed Enter, switches to the read-only monitor of that install. The serial console printed
the address and the host key fingerprints before: the key the client was offered is one of
them. The stick is byte-identical afterwards (it is the only other disk, so the one target disk
is preselected; tests/vm/test_tui_serial.py proves choosing among several)."""
from __future__ import annotations

import shlex
import socket
import subprocess

import pytest
from harness import isoboot
from harness.diskhash import hash_disks
from harness.guest import run_dir
from harness.qemu import Disk, ext4_stick, sparse_disk
from harness.tmuxterm import Tmux

pytestmark = pytest.mark.vm

KS_LABEL = "AZL-KS"
# What the kickstart leaves to the TUI: the disk layout and the root password.
PARTIAL_KS = """\
lang en_US.UTF-8
keyboard --vckeymap=us
timezone UTC --utc
network --bootproto=dhcp --hostname=ssh-installed
sshpw --username=install --sshkey "{pubkey}"
selinux --permissive
bootloader --append="console=ttyS0,115200 norandmaps"

%packages --nocore --excludedocs
azl-test-os
%end
"""
ROOT_PW = "Ssh-Session-Pw-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tui_over_ssh_installs_while_the_serial_console_monitors(install_medium, ssh_key):
    workdir = run_dir("iso-sshd")
    os_disk = Disk(sparse_disk(workdir / "os.img", "20G"), bus="virtio", serial="sshd-os")
    pubkey = ssh_key.with_suffix(".pub").read_text().strip()
    stick = Disk(ext4_stick(workdir / "ks.img", KS_LABEL, {"ks.cfg": PARTIAL_KS.format(pubkey=pubkey)}),
                 bus="usb", serial="azl-ks", readonly=True, selected=False)
    before = hash_disks([stick])
    port = free_port()
    known_hosts = workdir / "known_hosts"
    known_hosts.unlink(missing_ok=True)
    vm = isoboot.iso_vm(install_medium, "iso-sshd", [os_disk, stick], "bios", workdir=workdir,
                        forwards={22: port})
    ssh = ["ssh", "-tt", "-i", str(ssh_key), "-p", str(port), "-o", "StrictHostKeyChecking=accept-new",
           "-o", f"UserKnownHostsFile={known_hosts}", "-o", "IdentitiesOnly=yes", "-o", "ConnectTimeout=10",
           "install@127.0.0.1"]
    term = Tmux("azl-iso-sshd")
    with vm:
        try:
            isoboot.choose_entry(vm, "install", (*isoboot.TEST_ARGS, "inst.sshd",
                                                 f"inst.ks=hd:LABEL={KS_LABEL}:/ks.cfg"))
            vm.wait_for("Press Enter to install from this console.", 600)
            vm.wait_for("Host key fingerprints:", 300)
            term.start(f"TERM=linux {shlex.join(ssh)}; echo ssh-exited; sleep 600")
            hub = term.wait("Before installing, complete:", 300)   # the probe has finished
            assert "Installation destination" in hub, hub
            vm.wait_for("The install runs on ssh from", 60)
            term.keys("3")
            screen = term.wait("Disks: Space selects", 60)
            # the only disk it may use (the key stick is write-protected) is chosen already
            assert "] vda" in screen and "[ ] vda" not in screen, screen
            term.keys("Escape")
            term.keys("6")
            term.wait("Root password:", 60)
            # One field at a time: keys that arrive together with a password read as part of it.
            term.type(ROOT_PW)
            term.wait("] Strong", 60)
            term.keys("Tab", pause=2)
            term.type(ROOT_PW, pause=3)
            term.keys("Escape")
            term.wait("Ready to install", 120)
            term.keys("F10")
            term.wait("Will be erased", 180)
            summary = term.wait("Ready.", 120)
            assert "Nothing: the new system goes into free space." in summary, summary
            term.keys("F10")
            done = term.wait("Installation complete", 1500)
            assert "Traceback" not in done
            vm.wait_for("Installation finished in", 60)
            serial = vm.serial_log.read_bytes().decode("utf-8", "replace")
        finally:
            term.kill()
    banner = serial[:serial.index("The install runs on ssh from")]
    assert "ssh install@10.0.2.15" in banner, banner[-2000:]
    offered = subprocess.run(["ssh-keygen", "-l", "-f", str(known_hosts)], capture_output=True, text=True,
                             check=True).stdout.split()
    fingerprint = next(w for w in offered if w.startswith("SHA256:"))
    assert fingerprint in banner, (fingerprint, banner[-1500:])
    monitor = serial[serial.index("The install runs on ssh from"):]
    assert "Installing software" in monitor and "Installation finished in" in monitor, monitor[-3000:]
    assert ROOT_PW not in serial
    assert hash_disks([stick]) == before, "a disk the install did not choose was modified"
    table = subprocess.run(["sfdisk", "--dump", str(os_disk.path)], capture_output=True, text=True,
                           check=True).stdout
    assert "label: " in table and f"{os_disk.path}1" in table, table
