"""Reading file:, http: and https: sources: streams, downloads with a running sha256."""

from __future__ import annotations

import hashlib
import os
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

CHUNK = 1 << 20


class FetchError(Exception):
    """A source that cannot be read; the message names it."""


@dataclass
class Source:
    url: str
    stream: BinaryIO
    size: int | None  # None when the server did not say

    def close(self) -> None:
        self.stream.close()


def local_path(url: str) -> Path | None:
    if url.startswith("file://"):
        return Path(url[len("file://"):])
    if url.startswith("file:"):
        return Path(url[len("file:"):])
    if url.startswith("/"):
        return Path(url)
    return None


def open_source(url: str, *, verify_ssl: bool = True, proxy: str | None = None,
                timeout: float = 60.0) -> Source:
    path = local_path(url)
    if path is not None:
        try:
            fh = open(path, "rb")
        except OSError as e:
            raise FetchError(f"cannot read {url}: {e.strerror}") from None
        return Source(url, fh, os.fstat(fh.fileno()).st_size)
    if not url.startswith(("http://", "https://")):
        raise FetchError(f"{url}: only file://, http:// and https:// sources are supported")
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.ProxyHandler({"http": proxy, "https": proxy} if proxy else {})]
    if url.startswith("https://"):
        ctx = ssl.create_default_context()
        if not verify_ssl:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=ctx))
    opener = urllib.request.build_opener(*handlers)
    try:
        resp = opener.open(urllib.request.Request(url, headers={"User-Agent": "azl-install"}),
                           timeout=timeout)
    except urllib.error.HTTPError as e:
        raise FetchError(f"cannot download {url}: the server answered {e.code} {e.reason}") from None
    except urllib.error.URLError as e:
        reason = e.reason.strerror if isinstance(e.reason, OSError) and e.reason.strerror else e.reason
        raise FetchError(f"cannot reach {url}: {reason}") from None
    except OSError as e:
        raise FetchError(f"cannot reach {url}: {e}") from None
    length = resp.headers.get("Content-Length")
    return Source(url, resp, int(length) if length and length.isdigit() else None)


def read_bytes(url: str, **kw) -> bytes:
    src = open_source(url, **kw)
    try:
        return src.stream.read()
    finally:
        src.close()


def sha256_file(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done)
    return h.hexdigest()


def download(src: Source, dest: Path, progress: Callable[[int], None] | None = None) -> str:
    """Copy a source into dest, returning its sha256."""
    h = hashlib.sha256()
    done = 0
    try:
        with open(dest, "wb") as out:
            while chunk := src.stream.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done)
    except OSError as e:
        if isinstance(e, (ConnectionError, TimeoutError)) or not getattr(e, "filename", None):
            raise FetchError(f"reading {src.url} failed after {done} bytes: {e}") from None
        raise
    if src.size is not None and done != src.size:
        raise FetchError(f"{src.url} ended after {done} of {src.size} bytes")
    return h.hexdigest()


def normalize_checksum(value: str) -> str:
    """`sha256:HEX` or `HEX` -> lowercase hex; anything else is an error."""
    v = value.strip()
    if ":" in v:
        algo, v = v.split(":", 1)
        if algo.lower() != "sha256":
            raise FetchError(f"checksum {value!r}: only sha256 is supported")
    v = v.lower()
    if len(v) != 64 or any(c not in "0123456789abcdef" for c in v):
        raise FetchError(f"checksum {value!r} is not a sha256 digest (64 hex digits)")
    return v
