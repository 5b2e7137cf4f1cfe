"""Reading kickstart text safely and expanding %include into one text with a line map.

Every line of the expanded text remembers the file and line it came from, so errors
found later by pykickstart (which only sees the expanded text) name the right place.
Nothing here raises for bad input: problems become Diagnostics.
"""

from __future__ import annotations

import os
import shlex
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from installer.model.diagnostics import Diagnostic
from installer.model.plan import Origin

MAX_BYTES = 10 * 1024 * 1024  # one file, and also the kickstart with everything it includes, in all
MAX_INCLUDE_DEPTH = 16
MAX_INCLUDES = 256  # files included in all, so that a fan of includes cannot blow up


@dataclass
class Source:
    """Expanded kickstart text; where[i] is the (file, line) of expanded line i + 1."""

    lines: list[str] = field(default_factory=list)
    where: list[tuple[str, int]] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # %include targets missing now that a %pre script may write: (path, origin of the %include line).
    # installer.kickstart.pre runs %pre and reads the kickstart again; then a missing file is an error.
    deferred: list[tuple[str, Origin]] = field(default_factory=list)
    may_defer: bool = False
    pre_ran: bool = False  # the kickstart is read again after its %pre scripts ran
    budget: int = MAX_BYTES  # bytes that included files may still add (one budget for the whole parse)
    follow: bool = True  # read included files (False: %include lines only blanked)

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def origin(self, lineno: int | None) -> Origin:
        """The origin of expanded line `lineno` (1-based); the last line's file when out of range."""
        if not self.where:
            return Origin.kickstart(self.files[0] if self.files else "ks.cfg", None)
        if lineno is None or lineno < 1:
            return Origin.kickstart(self.where[0][0], None)
        if lineno > len(self.where):
            file, last = self.where[-1]
            return Origin.kickstart(file, last)
        file, line = self.where[lineno - 1]
        return Origin.kickstart(file, line)

    def error(self, message: str, origin: Origin) -> None:
        self.diagnostics.append(Diagnostic(message, origin))


def read_file(path: str | Path, display: str, *, limit: int = MAX_BYTES) -> tuple[str | None, Diagnostic | None]:
    """The text of a kickstart file, or a Diagnostic saying why it cannot be used.

    Only a regular file is opened: devices, FIFOs, sockets and the kernel's files under /proc and
    /sys (regular in name only: /proc/kmsg blocks a reader forever) are refused before opening.
    The file is opened non-blocking and read in chunks under a wall-clock bound, and at most
    `limit` bytes are read.
    """
    try:
        data = read_bytes(path, limit)
    except OSError as exc:
        return None, Diagnostic(f"cannot read: {exc.strerror or exc}", Origin.kickstart(display, None))
    return decode(data, display)


def read_bytes(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, read as read_file says; an OSError says why it cannot be used."""
    try:
        st = os.stat(path)
    except ValueError as exc:  # an embedded NUL, ...
        raise OSError(str(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise OSError("is a directory")
    if not stat.S_ISREG(st.st_mode) or _kernel_file(path, st):
        raise OSError("not a regular file")
    if st.st_size > limit:
        raise OSError(f"file is too large ({st.st_size} bytes; the limit is {limit} bytes)")
    try:
        data = _read_bounded(path, st, limit)
    except _Unreadable as exc:
        raise OSError(str(exc)) from None
    if len(data) > limit:
        raise OSError(f"file is too large (more than {limit} bytes)")
    return data


READ_SECONDS = 10.0  # wall-clock bound for reading one kickstart file
_CHUNK = 1024 * 1024
_KERNEL_TREES = ("/proc", "/sys")


class _Unreadable(Exception):
    pass


def _kernel_file(path: str | Path, st: os.stat_result) -> bool:
    """True for a file of procfs or sysfs (they look regular but are not files)."""
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return True
    for tree in _KERNEL_TREES:
        if real == tree or real.startswith(tree + "/"):
            return True
        try:
            if os.stat(tree).st_dev == st.st_dev:
                return True
        except OSError:
            continue
    return False


def _read_bounded(path: str | Path, st: os.stat_result, limit: int) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        now = os.fstat(fd)
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise _Unreadable("not a regular file (it changed while being opened)")
        deadline = time.monotonic() + READ_SECONDS
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            if time.monotonic() > deadline:
                raise _Unreadable(f"reading took longer than {READ_SECONDS:g} seconds")
            try:
                chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            except BlockingIOError as exc:
                raise _Unreadable("not a regular file (reading it would block)") from exc
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _is_control(c: str) -> bool:
    """Control characters a kickstart never holds; several of them would also split lines for pykickstart."""
    code = ord(c)
    return (code < 32 and c not in "\t\r\x1b") or 0x7F <= code <= 0x9F or c in "\u2028\u2029"


def decode(data: bytes, display: str) -> tuple[str | None, Diagnostic | None]:
    """Kickstart bytes as text: UTF-8 without NUL bytes or other control characters."""
    nul = data.find(b"\0")
    if nul >= 0:
        return None, Diagnostic("not a text file", Origin.kickstart(display, data.count(b"\n", 0, nul) + 1))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return None, Diagnostic(f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", Origin.kickstart(display, line))
    return check_text(text, display)


def check_text(text: str, display: str) -> tuple[str | None, Diagnostic | None]:
    """The text without a leading byte-order mark, or why it is not a kickstart."""
    if text.startswith("\ufeff"):
        text = text[1:]
    for i, line in enumerate(text.split("\n"), 1):
        bad = next((c for c in line if _is_control(c)), None)
        if bad is not None:
            message = "not a text file" if bad == "\0" else f"not a text file (control character U+{ord(bad):04X})"
            return None, Diagnostic(message, Origin.kickstart(display, i))
    return text, None


def has_pre(text: str) -> bool:
    """Whether the kickstart text has a %pre section (not %pre-install), which may write files to include."""
    return any(line.split()[:1] == ["%pre"] for line in text.splitlines() if line.lstrip().startswith("%pre"))


def expand(text: str, filename: str, *, base_dir: str | None = None, pre_ran: bool = False,
           follow: bool = True) -> Source:
    """Expand %include lines recursively (paths relative to the including file).

    Before %pre has run (`pre_ran` False), a missing file in a kickstart with a %pre section is
    deferred (Source.deferred) instead of being an error, as Anaconda reads it after %pre.
    With follow=False the %include lines are blanked and nothing is read (the text as written).
    """
    src = Source(files=[filename], may_defer=not pre_ran and has_pre(text), pre_ran=pre_ran)
    src.follow = follow
    src.budget = MAX_BYTES - len(text.encode("utf-8", "surrogatepass"))
    real = _real(filename) if base_dir is None else None
    _expand_into(src, text, filename, base_dir if base_dir is not None else os.path.dirname(filename) or ".",
                 [real] if real else [], 0)
    return src


def _real(path: str) -> str | None:
    try:
        return os.path.realpath(path) if os.path.exists(path) else None
    except (OSError, ValueError):
        return None


def _expand_into(src: Source, text: str, filename: str, base_dir: str, stack: list[str], depth: int) -> None:
    lines = text.splitlines(True)
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += "\n"
    for lineno, line in enumerate(lines, 1):
        stripped = line.strip()
        here = Origin.kickstart(filename, lineno)
        if stripped.startswith("%ksappend"):
            src.error("'%ksappend' is not supported by azl-install", here)
            src.lines.append("\n")
            src.where.append((filename, lineno))
            continue
        if not (stripped.startswith("%include") and stripped.split()[0] == "%include"):
            src.lines.append(line)
            src.where.append((filename, lineno))
            continue
        # The %include line itself is replaced by an empty line so counting stays simple.
        src.lines.append("\n")
        src.where.append((filename, lineno))
        if not src.follow:
            continue
        try:
            args = shlex.split(stripped, comments=True)
        except ValueError as exc:
            src.error(f"cannot parse %include: {exc}", here)
            continue
        if len(args) != 2 or not args[1]:
            src.error("%include needs exactly one file name", here)
            continue
        target = args[1]
        if "://" in target:
            src.error(f"cannot include '{target}': only local files can be included", here)
            continue
        path = target if os.path.isabs(target) else os.path.normpath(os.path.join(base_dir, target))
        if depth + 1 > MAX_INCLUDE_DEPTH:
            src.error(f"cannot include '{target}': includes nested more than {MAX_INCLUDE_DEPTH} deep", here)
            continue
        if len(src.files) > MAX_INCLUDES:
            src.error(f"cannot include '{target}': more than {MAX_INCLUDES} files included", here)
            continue
        real = _real(path)
        if real is not None and real in stack:
            src.error(f"cannot include '{target}': it includes itself", here)
            continue
        if src.budget <= 0:
            src.error(f"cannot include '{target}': the kickstart and its includes reach the limit of "
                      f"{MAX_BYTES} bytes in all", here)
            continue
        body, problem = read_file(path, path, limit=src.budget)
        if problem is not None and problem.message.startswith("cannot read: file is too large"):
            src.error(f"cannot include '{target}': the kickstart and its includes would exceed the limit of "
                      f"{MAX_BYTES} bytes in all", here)
            src.budget = 0
            continue
        if problem is not None:
            missing = not os.path.lexists(path)
            if missing and src.may_defer and os.path.isabs(target):
                src.deferred.append((path, here))
                src.diagnostics.append(Diagnostic(
                    f"'%include {target}' does not exist yet: a %pre script may write it; it is read and "
                    "checked when the kickstart is read again after %pre runs", here, "warning"))
                continue
            if problem.message.startswith("cannot read: "):
                reason = problem.message[len("cannot read: "):]
                if missing and target.startswith(("/tmp/", "/run/")):
                    reason += (" (a file written by %pre can be included when this kickstart has a %pre section"
                               + ("; the %pre scripts ran and did not write it)" if src.pre_ran else ")"))
                src.error(f"cannot include '{target}': {reason}", here)
            else:
                src.diagnostics.append(problem)
            continue
        src.files.append(path)
        src.budget -= len(body.encode("utf-8", "surrogatepass"))
        _expand_into(src, body, path, os.path.dirname(path) or ".", stack + ([real] if real else []), depth + 1)
