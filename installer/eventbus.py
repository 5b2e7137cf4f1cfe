"""The engine's events on a unix socket (/run/azl-install/events.sock), for `azl-install monitor`
on the other consoles and SSH sessions: any number of readers, each first sent the story so far
(every step event, the latest progress, the recent log lines), then each new event as it
happens, one JSON line per event (installer.model.eventjson). A reader that cannot keep up is
dropped and reconnects; the engine never waits for a reader."""

from __future__ import annotations

import collections
import os
import socket
import threading
import time
from pathlib import Path
from typing import Iterator

from installer.model.eventjson import EventDecodeError, decode, encode
from installer.model.events import Event

DEFAULT_SOCKET = "/run/azl-install/events.sock"
ENV = "AZL_EVENT_SOCKET"
LOG_KEEP = 200
SEND_TIMEOUT = 0.5


class History:
    """What a late reader needs: step events in order, the last progress, the last log lines."""

    def __init__(self) -> None:
        self.steps: list[str] = []
        self.progress: str | None = None
        self.logs: collections.deque[str] = collections.deque(maxlen=LOG_KEEP)
        self.end: str | None = None

    def add(self, event: Event, line: str) -> None:
        if event.kind in ("step-started", "step-finished"):
            self.steps.append(line)
            self.progress = None
        elif event.kind == "progress":
            self.progress = line
        elif event.kind == "log":
            self.logs.append(line)
        else:
            self.end = line

    def replay(self) -> list[str]:
        # logs first, so that the reader's view ends on the current step and its progress
        return [*self.logs, *self.steps, *([self.progress] if self.progress else []), *([self.end] if self.end else [])]


class EventServer:
    """An event sink that also serves the events on a unix socket (mode 0600, directory 0700)."""

    def __init__(self, path: str | Path = DEFAULT_SOCKET):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(self.path.parent, 0o700)
        if self.path.is_socket() or self.path.exists():
            self.path.unlink()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        old = os.umask(0o177)
        try:
            self.sock.bind(str(self.path))
        finally:
            os.umask(old)
        self.sock.listen(16)
        self.history = History()
        self.clients: list[socket.socket] = []
        self.lock = threading.Lock()
        self._closed = False
        self.thread = threading.Thread(target=self._accept, name="azl-events", daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(SEND_TIMEOUT)
            with self.lock:
                if self._send(conn, self.history.replay()):
                    self.clients.append(conn)

    @staticmethod
    def _send(conn: socket.socket, lines: list[str]) -> bool:
        if not lines:
            return True
        try:
            conn.sendall(("\n".join(lines) + "\n").encode())
            return True
        except OSError:
            conn.close()
            return False

    def __call__(self, event: Event) -> None:
        line = encode(event)
        with self.lock:
            self.history.add(event, line)
            self.clients = [c for c in self.clients if self._send(c, [line])]

    def close(self) -> None:
        self._closed = True
        with self.lock:
            for conn in self.clients:
                conn.close()
            self.clients = []
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        try:
            self.path.unlink()
        except OSError:
            pass


def serve_from_env() -> EventServer | None:
    """The server the live launcher asked for (AZL_EVENT_SOCKET), or None; never fails the install."""
    path = os.environ.get(ENV)
    if not path:
        return None
    try:
        return EventServer(path)
    except OSError:
        return None


class Follower:
    """Events from the socket, as an iterator that never ends on its own: it yields None every
    half second without news (so the reader can look at its keyboard) and reconnects whenever
    the socket is absent or closes, so one reader outlives installs and installer restarts.
    `connected` says whether it is connected now; `idle_limit` ends it after that many seconds
    without an event (tests)."""

    def __init__(self, path: str | Path = DEFAULT_SOCKET, idle_limit: float | None = None):
        self.path = Path(path)
        self.idle_limit = idle_limit
        self.connected = False
        self.connects = 0

    def __iter__(self) -> Iterator[Event | None]:
        last = time.monotonic()
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            try:
                conn.connect(str(self.path))
            except OSError:
                conn.close()
                if self.idle_limit is not None and time.monotonic() - last > self.idle_limit:
                    return
                yield None
                time.sleep(0.5)
                continue
            self.connected = True
            self.connects += 1
            conn.settimeout(0.5)
            buf = b""
            try:
                while True:
                    try:
                        chunk = conn.recv(65536)
                    except socket.timeout:
                        if self.idle_limit is not None and time.monotonic() - last > self.idle_limit:
                            return
                        yield None
                        continue
                    if not chunk:
                        break
                    last = time.monotonic()
                    buf += chunk
                    *lines, buf = buf.split(b"\n")
                    for line in lines:
                        if line.strip():
                            try:
                                yield decode(line)
                            except EventDecodeError:
                                continue
            except OSError:
                pass
            finally:
                conn.close()
                self.connected = False
            yield None
