"""liveimg: a root filesystem image (tar, optionally compressed, or squashfs) extracted
onto the target, checksum verified first, owners/modes/hardlinks/sparse files/ACLs/
xattrs/SELinux labels kept, progress by bytes of the image."""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from installer import fetch
from installer.model.plan import LiveImage

ProgressFn = Callable[[int, "int | None"], None]  # (bytes_done, bytes_total)

TAR_COMPRESSION = {"gzip": "--gzip", "xz": "--xz", "zstd": "--zstd", "bzip2": "--bzip2"}


class LiveImageError(Exception):
    """The image cannot be installed; the message is one paragraph for the user."""


@dataclass(frozen=True)
class ImageFormat:
    kind: str  # tar | squashfs
    compression: str | None = None  # gzip | xz | zstd | bzip2 (tar only)

    def __str__(self) -> str:
        return self.kind if not self.compression else f"{self.kind}+{self.compression}"


def detect_format(head: bytes) -> ImageFormat | None:
    """Recognise an image from its first bytes (at least 262 for plain tar)."""
    if head.startswith(b"hsqs"):
        return ImageFormat("squashfs")
    if head.startswith(b"\x1f\x8b"):
        return ImageFormat("tar", "gzip")
    if head.startswith(b"\xfd7zXZ\x00"):
        return ImageFormat("tar", "xz")
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return ImageFormat("tar", "zstd")
    if head.startswith(b"BZh"):
        return ImageFormat("tar", "bzip2")
    if head[257:262] == b"ustar":
        return ImageFormat("tar")
    return None


@functools.lru_cache(maxsize=None)
def _tar_supports(flag: str) -> bool:
    try:
        out = subprocess.run(["tar", "--help"], capture_output=True, text=True).stdout
    except OSError:
        return False
    return flag in out


def tar_command(target: Path, fmt: ImageFormat, *, selinux: bool | None = None) -> list[str]:
    """GNU tar reading the archive on stdin, keeping everything a root filesystem needs."""
    cmd = ["tar", "-x", "-f", "-", "-C", str(target), "--numeric-owner", "--same-owner",
           "--preserve-permissions", "--xattrs", "--xattrs-include=*", "--acls",
           "--delay-directory-restore", "--warning=no-timestamp"]
    if selinux is None:
        selinux = _tar_supports("--selinux")
    if selinux:
        cmd.append("--selinux")
    if fmt.compression:
        cmd.append(TAR_COMPRESSION[fmt.compression])
    return cmd


def unsquashfs_command(image: Path, target: Path) -> list[str]:
    return ["unsquashfs", "-f", "-d", str(target), "-xattrs", str(image)]


_BAR = re.compile(rb"\]\s+(\d+)/(\d+)\s+\d+%")


def parse_unsquashfs_progress(chunk: bytes) -> tuple[int, int] | None:
    """The last `done/total` blocks figure in a piece of unsquashfs's progress bar output."""
    found = _BAR.findall(chunk)
    if not found:
        return None
    done, total = found[-1]
    return int(done), int(total)


def _disk_full(text: str) -> bool:
    # GNU tar reports a short write to a full filesystem as "Wrote only N of M bytes"
    return any(s in text for s in ("No space left on device", "Disk quota exceeded", "Wrote only"))


class LiveImageInstaller:
    def __init__(self, image: LiveImage, target: Path, *, log: logging.Logger,
                 progress: ProgressFn | None = None, download_dir: Path | None = None):
        self.image = image
        self.target = Path(target)
        self.log = log
        self.progress = progress or (lambda done, total: None)
        self.download_dir = download_dir

    # -- the whole job

    def run(self) -> ImageFormat:
        url = self.image.url
        expected = fetch.normalize_checksum(self.image.checksum) if self.image.checksum else None
        try:
            src = fetch.open_source(url, verify_ssl=not self.image.noverifyssl, proxy=self.image.proxy)
        except fetch.FetchError as e:
            raise LiveImageError(f"The live image cannot be read: {e}. Nothing was written to the "
                                 "target.") from None
        local = fetch.local_path(url)
        tmpdir: Path | None = None
        try:
            if local is None:
                head = _peek(src)
                fmt = detect_format(head.peeked)
                if expected is not None or (fmt is not None and fmt.kind == "squashfs"):
                    tmpdir = Path(tempfile.mkdtemp(prefix="azl-liveimg-", dir=self._download_dir(src.size)))
                    local = tmpdir / "image"
                    self.log.info("downloading %s to %s", url, local)
                    digest = fetch.download(fetch.Source(url, head, src.size), local,
                                            lambda n: self.progress(n, src.size))
                    self._verify(digest, expected)
                    src.close()
                else:
                    return self._extract_stream(fetch.Source(url, head, src.size), fmt)
            else:
                src.close()
                if expected is not None:
                    self.log.info("verifying sha256 of %s", local)
                    self._verify(fetch.sha256_file(local), expected)
            with open(local, "rb") as fh:
                fmt = detect_format(fh.read(512))
            if fmt is None:
                raise LiveImageError(f"{url} is neither a tar archive (plain, gzip, xz, zstd or bzip2) "
                                     "nor a squashfs image. Nothing was written to the target.")
            self.log.info("liveimg %s: %s, %d bytes", url, fmt, local.stat().st_size)
            if fmt.kind == "squashfs":
                self._unsquash(local)
            else:
                self._extract_file(local, fmt)
            return fmt
        except fetch.FetchError as e:
            raise LiveImageError(f"The live image could not be downloaded: {e}. Nothing was "
                                 "extracted to the target.") from None
        finally:
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)

    def _download_dir(self, size: int | None) -> str | None:
        if self.download_dir is not None:
            self.download_dir.mkdir(parents=True, exist_ok=True)
            return str(self.download_dir)
        return None

    def _verify(self, digest: str, expected: str | None) -> None:
        if expected is None:
            return
        if digest != expected:
            raise LiveImageError(
                f"The live image {self.image.url} does not match its checksum: its sha256 is "
                f"{digest} but the kickstart expects {expected}. The image is corrupt or was "
                "replaced; nothing was written to the target.")
        self.log.info("sha256 of %s verified: %s", self.image.url, digest)

    # -- tar

    def _extract_stream(self, src: fetch.Source, fmt: ImageFormat | None) -> ImageFormat:
        if fmt is None or fmt.kind != "tar":
            raise LiveImageError(f"{src.url} is neither a tar archive (plain, gzip, xz, zstd or "
                                 "bzip2) nor a squashfs image. Nothing was written to the target.")
        cmd = tar_command(self.target, fmt)
        self.log.info("running: %s", " ".join(cmd))
        err_lines: list[str] = []
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        reader = threading.Thread(target=_collect, args=(proc.stderr, err_lines), daemon=True)
        reader.start()
        done = 0
        broken = False
        try:
            while chunk := src.stream.read(fetch.CHUNK):
                try:
                    proc.stdin.write(chunk)
                except BrokenPipeError:
                    broken = True
                    break
                done += len(chunk)
                self.progress(done, src.size)
        except OSError as e:
            proc.kill()
            proc.wait()
            raise LiveImageError(f"Reading the live image {src.url} failed after {done} bytes: {e}. "
                                 "The target holds a partial extraction.") from None
        finally:
            try:
                proc.stdin.close()
            except BrokenPipeError:
                broken = True
        rc = proc.wait()
        reader.join()
        self._tar_result(rc, broken, err_lines, done, src.url, fmt)
        self.progress(done, src.size if src.size is not None else done)
        return fmt

    def _extract_file(self, image: Path, fmt: ImageFormat) -> None:
        """A local image: tar reads it itself (no extra copy through this process); progress
        is tar's read position in the file, from /proc/PID/fdinfo."""
        cmd = tar_command(self.target, fmt)
        cmd[cmd.index("-f") + 1] = str(image)
        self.log.info("running: %s", " ".join(cmd))
        size = image.stat().st_size
        err_lines: list[str] = []
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        reader = threading.Thread(target=_collect, args=(proc.stderr, err_lines), daemon=True)
        reader.start()
        position = _ReadPosition(proc.pid, image)
        done = 0
        while True:
            try:
                rc = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                done = max(done, position.read() or 0)
                self.progress(done, size)
        reader.join()
        self._tar_result(rc, False, err_lines, done, self.image.url, fmt)
        self.progress(size, size)

    def _tar_result(self, rc: int, broken: bool, err_lines: list[str], done: int, url: str,
                    fmt: ImageFormat) -> None:
        src_url = url
        for line in err_lines:
            self.log.info("tar: %s", line)
        if rc != 0 or broken:
            text = "\n".join(err_lines)
            if _disk_full(text):
                raise LiveImageError(
                    f"The target ran out of space while extracting the live image {src_url} "
                    f"(after {done} bytes of the image). Make the root filesystem larger; the "
                    "installed system is incomplete.")
            useful = [ln for ln in err_lines
                      if "Exiting with failure status" not in ln and "Error is not recoverable" not in ln]
            tail = (useful or err_lines or [f"exit status {rc}"])[-1]
            raise LiveImageError(f"Extracting the live image {src_url} ({fmt}) failed: {tail}. "
                                 "See the install log for tar's full output.")

    # -- squashfs

    def _unsquash(self, image: Path) -> None:
        size = image.stat().st_size
        cmd = unsquashfs_command(image, self.target)
        self.log.info("running: %s", " ".join(cmd))
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        out = bytearray()
        while True:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
            blocks = parse_unsquashfs_progress(bytes(out[-4096:]))
            if blocks and blocks[1]:
                self.progress(size * blocks[0] // blocks[1], size)
        rc = proc.wait()
        text = out.decode(errors="replace").replace("\r", "\n")
        lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("[")]
        for line in lines:
            self.log.info("unsquashfs: %s", line)
        if rc != 0:
            if _disk_full(text):
                raise LiveImageError(
                    f"The target ran out of space while extracting the squashfs image "
                    f"{self.image.url}. Make the root filesystem larger; the installed system is "
                    "incomplete.")
            errs = [ln for ln in lines if "rror" in ln or "failed" in ln.lower()] or lines[-1:]
            raise LiveImageError(f"Extracting the squashfs image {self.image.url} failed: "
                                 f"{errs[-1] if errs else f'exit status {rc}'}. See the install log.")
        self.progress(size, size)


class _Peeked:
    """A stream whose first bytes were read ahead to detect the format, then replayed."""

    def __init__(self, stream, peeked: bytes):
        self.stream = stream
        self.peeked = peeked
        self._pending = peeked

    def read(self, n: int = -1) -> bytes:
        if self._pending:
            out, self._pending = self._pending, b""
            return out
        return self.stream.read(n)

    def close(self) -> None:
        self.stream.close()


def _peek(src: fetch.Source) -> _Peeked:
    head = b""
    while len(head) < 512:
        chunk = src.stream.read(512 - len(head))
        if not chunk:
            break
        head += chunk
    return _Peeked(src.stream, head)


class _ReadPosition:
    """How far a process has read a file: the offset of its descriptor for it in /proc."""

    def __init__(self, pid: int, path: Path):
        self.pid = pid
        self.path = str(Path(path).resolve())
        self.fd: str | None = None

    def read(self) -> int | None:
        try:
            if self.fd is None:
                fds = Path(f"/proc/{self.pid}/fd")
                self.fd = next((p.name for p in fds.iterdir() if os.readlink(p) == self.path), None)
                if self.fd is None:
                    return None
            for line in Path(f"/proc/{self.pid}/fdinfo/{self.fd}").read_text().splitlines():
                if line.startswith("pos:"):
                    return int(line.split()[1])
        except (OSError, ValueError):
            self.fd = None
        return None


def _collect(stream, lines: list[str]) -> None:
    for raw in stream:
        lines.append(raw.decode(errors="replace").rstrip("\n"))
