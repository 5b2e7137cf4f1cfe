"""`azl-install monitor`: a read-only view of the install another console (or SSH session) runs,
fed by the engine's event socket. On a terminal a redrawn screen (where the install runs,
the current step, progress, the log tail); on a serial line or pipe the plain event lines."""

from __future__ import annotations

import collections
import os
import select
import sys
import time

from installer.eventbus import DEFAULT_SOCKET, Follower
from installer.live.owner import Ownership
from installer.live.render import PlainRenderer, clean, wants_plain

LOG_LINES = 10


class MonitorState:
    def __init__(self) -> None:
        self.step = ""
        self.title = ""
        self.index = 0
        self.total = 0
        self.progress: tuple[float, float, str] | None = None
        self.logs: collections.deque[str] = collections.deque(maxlen=LOG_LINES)
        self.outcome: str | None = None

    def add(self, event) -> None:
        kind = event.kind
        if kind == "step-started":
            if self.outcome:  # a new install after an earlier one ended
                self.__init__()
            self.step, self.title, self.index, self.total = event.step, event.title, event.index, event.total
            self.progress = None
        elif kind == "progress":
            self.progress = (event.done, event.total, event.item)
        elif kind == "log" and event.level != "debug":
            for line in event.message.splitlines():
                self.logs.append(clean(line))
        elif kind == "failed":
            self.outcome = f"FAILED in {event.step}: {clean(event.message.splitlines()[0] if event.message else '')}"
            for line in event.log_tail[-LOG_LINES:]:
                self.logs.append(clean(line))
        elif kind == "finished":
            self.outcome = f"{'Dry run' if event.dry_run else 'Installation'} finished in {event.seconds:.0f} s."

    def screen(self, where: str | None, connected: bool, width: int = 80) -> list[str]:
        lines = ["azl-install monitor (read-only; Ctrl-C or q leaves)", ""]
        if where:
            lines.append(f"The install runs on {where}.")
        else:
            lines.append("No console owns the install yet: press Enter on a console to start it there.")
        if not connected:
            lines.append("Waiting for the installer's events ...")
        lines.append("")
        if self.index:
            lines.append(f"Step {self.index}/{self.total}: {self.title}")
        if self.progress:
            done, total, item = self.progress
            frac = min(1.0, done / total) if total else 1.0
            bar = int(frac * 40)
            lines.append(f"  [{'#' * bar}{'-' * (40 - bar)}] {100 * frac:5.1f}%  {clean(item)}")
        if self.outcome:
            lines.append(self.outcome)
        lines.append("")
        lines.append("--- log ---")
        lines += list(self.logs)
        return [line[:width - 1] for line in lines]


def where_text(owner: dict | None) -> str | None:
    if not owner:
        return None
    where = owner.get("where", "another console")
    return f"{where} (pid {owner['pid']})" if "pid" in owner else where


def _key_pressed(stdin) -> str | None:
    try:
        ready, _, _ = select.select([stdin], [], [], 0)
        if ready:
            return os.read(stdin.fileno(), 64).decode(errors="replace")
    except (OSError, ValueError):
        return None
    return None


def run_monitor(socket_path: str = DEFAULT_SOCKET, run_dir: str | None = None, out=None, stdin=None,
                plain: bool | None = None, idle_limit: float | None = None) -> int:
    out = out if out is not None else sys.stdout
    stdin = stdin if stdin is not None else sys.stdin
    plain = wants_plain(out) if plain is None else plain
    ownership = Ownership(run_dir) if run_dir else Ownership()
    follower = Follower(socket_path, idle_limit=idle_limit)
    state = MonitorState()
    printer = PlainRenderer(out)
    last_where: object = object()
    last_draw = 0.0
    dirty = True
    interactive = hasattr(stdin, "fileno") and _isatty(stdin)
    saved = None
    if interactive:  # keys without Enter, not echoed
        import termios
        import tty

        saved = termios.tcgetattr(stdin.fileno())
        tty.setcbreak(stdin.fileno())
    try:
        for event in follower:
            where = where_text(ownership.current())
            if plain:
                if where != last_where:
                    print(f"azl-install monitor: the install runs on {where}" if where
                          else "azl-install monitor: no console owns the install yet", file=out, flush=True)
                    last_where = where
                if event is not None:
                    printer(event)
            else:
                if event is not None:
                    state.add(event)
                    dirty = True
                dirty = dirty or where != last_where
                last_where = where
                now = time.monotonic()
                if dirty and now - last_draw >= 0.3:
                    out.write("\x1b[H\x1b[2J" + "\n".join(state.screen(where, follower.connected)) + "\n")
                    out.flush()
                    last_draw, dirty = now, False
            if interactive:
                key = _key_pressed(stdin)
                if key and ("q" in key.lower() or "\x03" in key):
                    return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if saved is not None:
            import termios

            termios.tcsetattr(stdin.fileno(), termios.TCSADRAIN, saved)
    return 0


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
