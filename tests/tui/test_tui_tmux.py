"""The real program in a real terminal: tmux at 80x24 with TERM=linux, typed at with send-keys."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from screens.console import bad_glyphs

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "tests" / "profiles" / "vm-virtio-usb-live.json"
SECRET = "Tmux-Secret-Pw-42"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Tmux:
    def __init__(self, command: str, width: int = 80, height: int = 24):
        self.session = f"azl-tui-{uuid.uuid4().hex[:8]}"
        self.tmux = ["tmux", "-L", self.session]  # a server of our own: no races with other sessions
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height),
                        command], check=True)

    def keys(self, *keys: str, literal: bool = False) -> None:
        cmd = [*self.tmux, "send-keys", "-t", self.session] + (["-l"] if literal else []) + list(keys)
        subprocess.run(cmd, check=True)
        time.sleep(0.15)

    def screen(self) -> str:
        return subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.session], check=True,
                              capture_output=True, text=True).stdout

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen shows:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True)


@pytest.fixture
def tui(tmp_path):
    command = (f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES TERM=linux AZL_INSTALL_LOG_DIR={shlex.quote(str(tmp_path))} "
               f"{shlex.quote(sys.executable)} -m installer tui --dry-run --machine {shlex.quote(str(PROFILE))}; "
               "echo TUI-EXIT=$?; sleep 60")
    term = Tmux(command)
    yield term
    term.close()


def test_dry_run_install_typed_through_tmux(tui):
    seen = [tui.wait_for("Installation summary", timeout=30)]
    assert "[!] Installation destination" in seen[0] and "[!] Root account and users" in seen[0]
    tui.keys("3")
    seen.append(tui.wait_for("Disks: Space selects"))
    assert "(live medium)" in seen[-1] and "[X] vda" in seen[-1]
    tui.keys("Escape")
    seen.append(tui.wait_for("vda 20.0 GiB; automatic lvm"))
    tui.keys("6")
    tui.wait_for("Root password:")
    tui.keys(SECRET, literal=True)
    tui.keys("Tab")
    tui.keys(SECRET, literal=True)
    seen.append(tui.wait_for("*" * len(SECRET)))
    tui.keys("Escape")
    seen.append(tui.wait_for("root password set"))
    assert "Ready to install" in seen[-1]
    tui.keys("F10")
    # vda is blank in this profile: nothing existing is erased, so no typed confirmation is asked
    seen.append(tui.wait_for("vda is blank", timeout=90))
    assert "Nothing: the new system goes into free space." in seen[-1] and "Type erase" not in seen[-1]
    tui.keys("F10")
    seen.append(tui.wait_for("Dry run complete", timeout=120))
    assert "nothing was written" in seen[-1]
    tui.keys("F10")
    seen.append(tui.wait_for("TUI-EXIT=0", timeout=20))
    everything = "\n".join(seen)
    assert SECRET not in everything
    assert not bad_glyphs(everything), sorted(bad_glyphs(everything))


def test_too_small_terminal_message(tmp_path):
    command = (f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES TERM=linux {shlex.quote(sys.executable)} -m installer tui "
               f"--dry-run --machine {shlex.quote(str(PROFILE))}; sleep 60")
    term = Tmux(command, width=70, height=20)
    try:
        shown = term.wait_for("Terminal too small: 70x20", timeout=30)
        assert "needs at least 80x24" in shown
        subprocess.run([*term.tmux, "resize-window", "-t", term.session, "-x", "80", "-y", "24"], check=True)
        term.wait_for("Installation summary", timeout=10)
    finally:
        term.close()


def test_complete_kickstart_on_boot_line_counts_down_then_installs(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text("rootpw --iscrypted $6$abcdefgh$" + "x" * 86 + "\nignoredisk --only-use=vda\n"
                  "clearpart --all --initlabel\nautopart\n%packages\n@^minimal\n%end\n")
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"BOOT_IMAGE=/vmlinuz console=ttyS0 inst.ks=file://{ks}\n")
    command = (f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES TERM=linux "
               f"AZL_INSTALL_LOG_DIR={shlex.quote(str(tmp_path / 'logs'))} {shlex.quote(sys.executable)} "
               f"-m installer tui --dry-run --machine {shlex.quote(str(PROFILE))} --ks {shlex.quote(str(ks))} "
               f"--cmdline {shlex.quote(str(cmdline))} --countdown 3; echo TUI-EXIT=$?; sleep 60")
    term = Tmux(command)
    try:
        shown = term.wait_for("Installation starts in", timeout=30)
        assert "It erases nothing" in shown and "vda" in shown and "Press Esc to stop" in shown
        term.wait_for("Dry run complete", timeout=120)
    finally:
        term.close()


def test_inst_cmdline_means_no_countdown(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text("rootpw --iscrypted $6$abcdefgh$" + "x" * 86 + "\nignoredisk --only-use=vda\n"
                  "clearpart --all --initlabel\nautopart\n")
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"inst.ks=file://{ks} inst.cmdline\n")
    command = (f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES TERM=linux {shlex.quote(sys.executable)} "
               f"-m installer tui --dry-run --machine {shlex.quote(str(PROFILE))} --ks {shlex.quote(str(ks))} "
               f"--cmdline {shlex.quote(str(cmdline))} --countdown 1; sleep 60")
    term = Tmux(command)
    try:
        shown = term.wait_for("Installation summary", timeout=30)
        time.sleep(2)
        assert "Installation starts in" not in term.screen() and "Installation summary" in term.screen()
        assert "[x] Installation destination" in shown
    finally:
        term.close()


def test_keys_typed_ahead_in_one_burst_act_on_their_rows(tmp_path):
    """Open the destination and tick three disks with one send-keys call: no pause between keys."""
    profile = ROOT / "tests" / "profiles" / "server-8disk-4nic.json"
    command = (f"cd {shlex.quote(str(ROOT))} && env -u COLUMNS -u LINES TERM=linux "
               f"AZL_INSTALL_LOG_DIR={shlex.quote(str(tmp_path))} {shlex.quote(sys.executable)} -m installer tui "
               f"--dry-run --machine {shlex.quote(str(profile))}; sleep 60")
    term = Tmux(command)
    try:
        term.wait_for("Installation summary", timeout=30)
        term.keys("3", "Space", "Down", "Space", "Down", "Down", "Space", "Escape")
        shown = term.wait_for("automatic", timeout=30)
    finally:
        term.close()
    line = next(l for l in shown.splitlines() if "automatic" in l)
    assert "sda" in line and "sdb" in line and "sdd" in line and "sdc" not in line, shown
