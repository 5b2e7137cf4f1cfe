"""Engine events for people: a terminal view (steps, a progress line, elapsed time) and a
plain view for serial lines, pipes and log files (timestamped lines, no escape sequences)."""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

PROGRESS_EVERY = 2.0  # seconds between plain progress lines for one step
SERIAL_PREFIXES = ("ttyS", "ttyAMA", "ttyUSB", "ttyACM", "hvc", "ttysclp", "3270")
_CONTROL = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?|[\x00-\x08\x0b-\x1f\x7f\x9b]")


def clean(text: str) -> str:
    """Text without escape sequences or control characters (tabs become spaces)."""
    return _CONTROL.sub("", text.replace("\t", "    ").replace("\r\n", "\n").replace("\r", "\n"))


def console_device(tty: str, active: str | Path = "/sys/class/tty/console/active") -> str:
    """The device behind a tty name; /dev/console and tty0 resolve to the kernel's active console."""
    name = tty.removeprefix("/dev/")
    if name in ("console", "tty0", "tty"):
        try:
            names = Path(active).read_text().split()
        except OSError:
            return name
        # the last console= is /dev/console
        return names[-1] if names else name
    return name


def is_serial(name: str) -> bool:
    return name.removeprefix("/dev/").startswith(SERIAL_PREFIXES)


def wants_plain(stream) -> bool:
    """Plain lines unless the stream is a capable local terminal (not serial, not TERM=dumb)."""
    try:
        if not stream.isatty():
            return True
        tty = os.ttyname(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return True
    if os.environ.get("TERM", "dumb") in ("dumb", "", "unknown"):
        return True
    return is_serial(console_device(tty))


NATIVE_STDERR_LOG = "native-stderr.log"


def divert_native_stderr(log_dir: str | Path, stream=None) -> Path | None:
    """On a terminal, libraries that write to file descriptor 2 themselves (GLib's warnings from
    libblockdev, coloured on a tty) would put their lines, escape sequences and all, between the
    console's own lines. From here on Python's sys.stderr stays on the terminal (a duplicate of the
    old descriptor) and descriptor 2 goes to LOG_DIR/native-stderr.log (0600). Off a terminal
    nothing changes. Returns the log's path when diverted."""
    stream = stream or sys.stderr
    try:
        if not os.isatty(stream.fileno()) or stream.fileno() != 2:
            return None
    except (AttributeError, OSError, ValueError):
        return None
    path = Path(log_dir) / NATIVE_STDERR_LOG
    try:
        os.makedirs(log_dir, mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
    except OSError:
        return None
    stream.flush()
    console = os.dup(2)
    sys.stderr = os.fdopen(console, "w", buffering=1, encoding=getattr(stream, "encoding", None) or "utf-8",
                           errors="backslashreplace")
    os.dup2(fd, 2)
    os.close(fd)
    return path


def _clock(now: float | None = None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(now if now is not None else time.time()))


def _elapsed(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


class PlainRenderer:
    """One timestamped line per thing worth telling; progress at most every PROGRESS_EVERY s per step."""

    def __init__(self, out=None, clock=time.time):
        self.out = out if out is not None else sys.stdout
        self.clock = clock
        self._last_progress: dict[str, float] = {}
        self._started = clock()

    def __call__(self, event) -> None:
        lines = self.render(event)
        if lines:
            stamp = _clock(self.clock())
            text = "\n".join(f"{stamp} {clean(part)}" for line in lines for part in line.split("\n"))
            print(text, file=self.out, flush=True)

    def render(self, event) -> list[str]:
        kind = event.kind
        if kind == "step-started":
            return [f"[{event.index:2d}/{event.total}] {event.title}"]
        if kind == "step-finished":
            if event.skipped:
                return ["        skipped: nothing to do"]
            return [f"        done in {event.seconds:.1f} s"] if event.seconds >= 1.0 else []
        if kind == "progress":
            now = self.clock()
            final = event.done >= event.total
            if not final and now - self._last_progress.get(event.step, float("-inf")) < PROGRESS_EVERY:
                return []
            self._last_progress[event.step] = now
            pct = 100.0 * event.done / event.total if event.total else 100.0
            item = f"  {event.item}" if event.item else ""
            return [f"        {pct:5.1f}%{item}"[:100]]
        if kind == "log":
            if event.level == "debug":
                return []
            prefix = "" if event.level == "info" else f"{event.level}: "
            return [f"        {prefix}{line}" for line in event.message.splitlines() or [""]]
        if kind == "failed":
            lines = [f"Installation failed ({event.step}):", *event.message.splitlines()]
            if event.log_tail:
                lines.append("--- last lines of the install log ---")
                lines += event.log_tail
            return lines
        if kind == "finished":
            what = "Dry run" if event.dry_run else "Installation"
            return [f"{what} finished in {event.seconds:.0f} s."]
        return []


class TerminalRenderer:
    """Steps as lines, with a live progress line (bar, item, elapsed time) under the running step."""

    WIDTH = 80

    def __init__(self, out=None, clock=time.monotonic):
        self.out = out if out is not None else sys.stdout
        self.clock = clock
        self._step_started = clock()
        self._install_started = clock()
        self._live = False  # a progress line is on screen and will be rewritten

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def _clear_live(self) -> None:
        if self._live:
            self._write("\r\x1b[K")
            self._live = False

    def _line(self, text: str) -> None:
        self._clear_live()
        self._write(clean(text)[: self.WIDTH * 4] + "\n")

    def __call__(self, event) -> None:
        kind = event.kind
        now = self.clock()
        if kind == "step-started":
            self._step_started = now
            self._line(f"[{event.index:2d}/{event.total}] {event.title}  (total {_elapsed(now - self._install_started)})")
        elif kind == "step-finished":
            if event.skipped:
                self._line("        skipped: nothing to do")
            elif event.seconds >= 1.0:
                self._line(f"        done in {_elapsed(event.seconds)}")
            else:
                self._clear_live()
        elif kind == "progress":
            frac = min(1.0, event.done / event.total) if event.total else 1.0
            bar_width = 30
            filled = int(frac * bar_width)
            bar = "#" * filled + "-" * (bar_width - filled)
            text = f"        [{bar}] {100 * frac:5.1f}% {_elapsed(now - self._step_started)} {clean(event.item)}"
            self._write("\r\x1b[K" + text[: self.WIDTH - 1])
            self._live = True
        elif kind == "log" and event.level != "debug":
            prefix = "" if event.level == "info" else f"{event.level}: "
            for line in event.message.splitlines() or [""]:
                self._line(f"        {prefix}{line}")
        elif kind in ("failed", "finished"):
            for line in PlainRenderer(out=self.out).render(event):
                self._line(line)
