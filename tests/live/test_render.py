"""The unattended console views: plain timestamped lines without escape sequences on serial
lines and pipes, a progress line with elapsed time on a terminal."""

import io
import os
import pty
import re

from installer.live.render import (
    PlainRenderer,
    TerminalRenderer,
    clean,
    console_device,
    is_serial,
    wants_plain,
)
from installer.model.events import (
    Failed,
    Finished,
    Log,
    Progress,
    StepFinished,
    StepStarted,
)

STAMP = re.compile(r"^\d\d:\d\d:\d\d ")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def story():
    return [
        StepStarted(step="payload", index=6, total=21, title="Installing packages"),
        Progress(step="payload", done=1, total=4, item="bash"),
        Progress(step="payload", done=2, total=4, item="coreutils"),
        Log(message="hostile \x1b]0;title\x07 \x1b[2J text\r\nsecond line"),
        Progress(step="payload", done=4, total=4, item="kernel"),
        StepFinished(step="payload", seconds=75.0),
        Failed(step="bootloader", message="grub2-install failed", log_tail=["line a", "line b\nwrapped"]),
        Finished(seconds=80.0),
    ]


def test_plain_lines_are_timestamped_and_escape_free():
    out, clock = io.StringIO(), Clock()
    r = PlainRenderer(out, clock=clock)
    for event in story():
        r(event)
        clock.now += 0.5
    text = out.getvalue()
    assert "\x1b" not in text and "\r" not in text and "\x07" not in text
    lines = text.splitlines()
    assert all(STAMP.match(line) for line in lines), lines
    assert any(line.endswith("[ 6/21] Installing packages") for line in lines)
    # progress is throttled to one line per 2 s, the final one always shows
    assert [line.split()[1] for line in lines if "%" in line] == ["25.0%", "100.0%"]
    assert any(line.endswith("done in 75.0 s") for line in lines)
    assert any(line.endswith("hostile   text") for line in lines)  # the OSC title and the CSI are gone
    assert any(line.endswith("Installation failed (bootloader):") for line in lines)
    assert any(line.endswith(" wrapped") for line in lines)


def test_terminal_view_has_a_progress_bar_and_elapsed_time():
    out, clock = io.StringIO(), Clock()
    r = TerminalRenderer(out, clock=clock)
    r(StepStarted(step="payload", index=6, total=21, title="Installing packages"))
    clock.now += 65
    r(Progress(step="payload", done=1, total=2, item="bash"))
    r(StepFinished(step="payload", seconds=66.0))
    text = out.getvalue()
    assert "[ 6/21] Installing packages  (total 00:00)" in text
    assert "\r\x1b[K        [###############---------------]  50.0% 01:05 bash" in text
    assert "done in 01:06" in text


def test_plain_on_pipes_serial_and_dumb_terminals(monkeypatch):
    assert wants_plain(io.StringIO())
    r, w = os.pipe()
    with os.fdopen(w, "w") as pipe:
        assert wants_plain(pipe)
    os.close(r)
    master, slave = pty.openpty()
    with os.fdopen(slave, "w") as term:
        monkeypatch.setenv("TERM", "linux")
        assert not wants_plain(term)
        monkeypatch.setenv("TERM", "dumb")
        assert wants_plain(term)
    os.close(master)
    assert is_serial("/dev/ttyS0") and is_serial("hvc0") and not is_serial("tty1") and not is_serial("pts/3")


def test_dev_console_is_the_last_active_console(tmp_path):
    active = tmp_path / "active"
    active.write_text("tty0 ttyS0\n")
    assert console_device("/dev/console", active) == "ttyS0"
    assert is_serial(console_device("/dev/console", active))
    assert console_device("/dev/tty1", active) == "tty1"


def test_clean_keeps_text():
    assert clean("a\tb ü\x1b[31mred\x1b[0m\x00") == "a    b üred"


DIVERT_CHILD = r"""
import os, subprocess, sys
from installer.live.render import divert_native_stderr
where = divert_native_stderr(sys.argv[1])
print("diverted to", where, file=sys.stderr)
os.write(2, b"** (process:1): \x1b[1;33mWARNING\x1b[0m **: failed to load module mpath\n")
subprocess.run(["sh", "-c", "echo child-on-fd2 >&2"], check=True)
print("python-stderr-line", file=sys.stderr)
"""


def _run_on_pty(tmp_path, code: str) -> str:
    import subprocess
    import sys

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "logs")], stdin=follower, stdout=follower,
                            stderr=follower, close_fds=True)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(30)
    os.close(leader)
    return out.decode(errors="replace")


def test_native_stderr_goes_to_the_log_and_python_stderr_stays_on_the_terminal(tmp_path):
    shown = _run_on_pty(tmp_path, DIVERT_CHILD)
    log = tmp_path / "logs" / "native-stderr.log"
    assert "python-stderr-line" in shown and f"diverted to {log}" in shown, shown
    assert "WARNING" not in shown and "\x1b" not in shown and "child-on-fd2" not in shown, shown
    assert "failed to load module mpath" in log.read_text() and "child-on-fd2" in log.read_text()
    assert (log.stat().st_mode & 0o777) == 0o600


def test_native_stderr_off_a_terminal_is_left_alone(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", DIVERT_CHILD, str(tmp_path / "logs")], capture_output=True,
                          text=True, check=True)
    assert "diverted to None" in proc.stderr and "failed to load module mpath" in proc.stderr
    assert not (tmp_path / "logs").exists()
