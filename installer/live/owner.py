"""Who owns the install: the first console to claim it. An flock on /run/azl-install/owner.lock,
held by the launcher while its installer runs; the kernel drops it when that process ends
(even by a crash), so a dead owner never blocks the other consoles. owner.json says where the
install runs, for the monitors."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

RUN_DIR = "/run/azl-install"


class Ownership:
    def __init__(self, run_dir: str | Path = RUN_DIR):
        self.run_dir = Path(run_dir)
        self.fd: int | None = None

    @property
    def info_path(self) -> Path:
        return self.run_dir / "owner.json"

    def claim(self, where: str) -> bool:
        """Take the install for `where` (tty1, ttyS0, ssh 10.0.2.2); False when another holds it."""
        if self.fd is not None:
            return True
        self.run_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.run_dir / "owner.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        tmp = self.run_dir / f".owner.{os.getpid()}"
        tmp.write_text(json.dumps({"where": where, "pid": os.getpid(), "since": time.time()}) + "\n")
        os.replace(tmp, self.info_path)
        return True

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            self.info_path.unlink()
        except OSError:
            pass
        os.close(self.fd)
        self.fd = None

    def current(self) -> dict | None:
        """The owner's record while someone holds the lock (a stale record of a dead owner is ignored)."""
        if self.fd is not None:
            return self._read()
        try:
            fd = os.open(self.run_dir / "owner.lock", os.O_RDWR | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return self._read() or {"where": "another console"}
        else:
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    def _read(self) -> dict | None:
        try:
            return json.loads(self.info_path.read_text())
        except (OSError, ValueError):
            return None
