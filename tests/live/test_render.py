"""The unattended console views: plain timestamped lines without escape sequences on serial
lines and pipes, a progress line with elapsed time on a terminal."""

import io
import os
import pty
import re

from installer.live.render import PlainRenderer, TerminalRenderer, clean, console_device, is_serial, wants_plain
from installer.model.events import Failed, Finished, Log, Progress, StepFinished, StepStarted

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
