"""The install log: a live file under /tmp/azl-install during the install, copied to
/var/log/installer/ in the target at the end. Every handler passes through a filter
that replaces known secrets (LUKS passphrases, plaintext passwords from the
kickstart) with ***, so no step can leak one by logging a command's output."""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from installer.model.plan import InstallPlan, secret_values
from installer.model.secrets import Redactor, redact_urls

LOGGER = "azl-install"
LOG_NAME = "install.log"
TARGET_LOG_DIR = "/var/log/installer"


class RedactFilter(logging.Filter):
    """Hides the known secrets and every URL's password; linear in the text (installer.model.secrets)."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        self.secrets: set[str] = set()
        self._redactor = Redactor()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        new = {s for s in secrets if s} - self.secrets
        if new:
            self.secrets |= new
            self._redactor.add(new)

    def redact(self, text: str) -> str:
        return redact_urls(self._redactor.redact(text))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self.redact(message)
        record.args = None
        return True


class TailHandler(logging.Handler):
    """Keeps the last lines of the log for failure messages."""

    def __init__(self, lines: int = 40):
        super().__init__(logging.DEBUG)
        self.lines: collections.deque[str] = collections.deque(maxlen=lines)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class InstallLog:
    def __init__(self, logger: logging.Logger, path: Path, redactor: RedactFilter, tail: TailHandler):
        self.logger = logger
        self.path = path
        self.redactor = redactor
        self.tail = tail

    def tail_lines(self, n: int = 20) -> list[str]:
        return list(self.tail.lines)[-n:]

    def close(self) -> None:
        for handler in list(self.logger.handlers):
            handler.flush()
            handler.close()
            self.logger.removeHandler(handler)


def setup(log_dir: Path, plan: InstallPlan | None = None, name: str = LOG_NAME) -> InstallLog:
    """A fresh install logger writing to log_dir/name, with secrets from the plan redacted."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(log_dir, 0o700)
    logger = logging.getLogger(f"{LOGGER}.{id(log_dir)}.{name}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    redactor = RedactFilter(plan_secrets(plan) if plan is not None else ())
    formatter = logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S")
    path = log_dir / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    file_handler = logging.FileHandler(path, encoding="utf-8")
    tail = TailHandler()
    for handler in (file_handler, tail):
        handler.setFormatter(formatter)
        handler.addFilter(redactor)
        logger.addHandler(handler)
    return InstallLog(logger, path, redactor, tail)


def plan_secrets(plan: InstallPlan) -> list[str]:
    """Every plaintext secret the plan holds, the input kickstart's (plan.input_secrets) included."""
    return secret_values(plan)


def copy_to_target(log_dir: Path, target: Path, extra: dict[str, str] | None = None,
                   redact: Callable[[str], str] | None = None) -> Path:
    """Copy the live logs into the target's /var/log/installer (0700 directory, 0600 files).

    With `redact`, every file passes through it on the way (the scripts kept for the log hold what
    the kickstart wrote, secrets included). Files already there are rewritten in place so their
    SELinux labels survive."""
    dest = Path(target) / TARGET_LOG_DIR.lstrip("/")
    dest.mkdir(parents=True, exist_ok=True)
    os.chmod(dest, 0o700)
    for src in sorted(Path(log_dir).iterdir()):
        if src.is_file() and not src.is_symlink():
            data = src.read_bytes()
            if redact is not None:
                data = redact(data.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")
            _rewrite(dest / src.name, data)
    for name, text in (extra or {}).items():
        _rewrite(dest / name, (redact(text) if redact is not None else text).encode())
    return dest


def _rewrite(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
