"""Reading file:, http: and https: sources: streams, downloads with a running sha256."""

from __future__ import annotations

import hashlib
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


# --- Bounded HTTP requests (kickstarts, reports): a byte cap, a wall-clock deadline, a redirect policy ---

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


class FetchTooLarge(FetchError):
    """The answer is bigger than the cap; what was read is discarded."""


class FetchTimeout(FetchError):
    """The whole request (connect, headers, body) did not finish before its deadline."""


class FetchRefused(FetchError):
    """A redirect the policy does not follow (a downgrade to http, too many, another scheme)."""


class FetchStatus(FetchError):
    """The server answered with an error status."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


class FetchUnreachable(FetchError):
    """No connection (refused, no route, no DNS answer, TLS handshake failed for a network reason)."""


@dataclass
class HTTPAnswer:
    url: str  # after redirects
    status: int
    headers: dict[str, str]
    size: int  # body bytes read (written to `out`, or kept in `body`)
    body: bytes = b""
    redirects: list[str] | None = None


def safe_url(url: str) -> str:
    """The URL without user:password@ (for messages and logs)."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def tls_context(cafile: str | None = None, verify: bool = True) -> ssl.SSLContext:
    """Verified TLS (the system store, or only `cafile` when given); verify=False only for inst.noverifyssl."""
    try:
        ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
    except (OSError, ssl.SSLError) as e:
        raise FetchError(f"cannot use the CA bundle {cafile}: {e}") from None
    if not verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def http_request(url: str, *, method: str = "GET", body: bytes | None = None,
                 headers: dict[str, str] | None = None, max_bytes: int, timeout: float,
                 out: BinaryIO | None = None, cafile: str | None = None, verify: bool = True,
                 max_redirects: int = MAX_REDIRECTS, log: Callable[[str], None] | None = None) -> HTTPAnswer:
    """One HTTP(S) request with hard limits.

    - `timeout` is wall-clock for the whole request, redirects included: a server that trickles
      bytes cannot hold it longer (a watchdog shuts the socket down at the deadline).
    - More than `max_bytes` of body is refused (Content-Length checked first); the body goes to
      `out` as it arrives, or is returned in `body` when `out` is None.
    - Redirects: at most `max_redirects`, only to http(s), never from https to http; each is logged.
    Raises FetchUnreachable, FetchTimeout, FetchTooLarge, FetchRefused, FetchStatus (non-2xx) or FetchError.
    """
    import http.client
    import threading
    import time
    import urllib.parse

    deadline = time.monotonic() + timeout
    ctx: ssl.SSLContext | None = None
    redirects: list[str] = []
    current = url
    while True:
        parts = urllib.parse.urlsplit(current)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise FetchError(f"{safe_url(current)}: only http:// and https:// URLs with a host are supported")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchTimeout(f"{safe_url(url)}: no answer within {timeout:g} s")
        try:
            port = parts.port
        except ValueError:
            raise FetchError(f"{safe_url(current)}: the port is not a number") from None
        if parts.scheme == "https":
            ctx = ctx or tls_context(cafile, verify)
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, port, timeout=remaining, context=ctx)
        else:
            conn = http.client.HTTPConnection(parts.hostname, port, timeout=remaining)
        expired = threading.Event()

        def cut(conn=conn, expired=expired) -> None:
            expired.set()
            sock = conn.sock
            if sock is not None:
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                except OSError:
                    pass

        watchdog = threading.Timer(remaining, cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            send = {"User-Agent": "azl-install", **(headers or {})}
            if body is not None:
                send.setdefault("Content-Type", "application/json")
            try:
                conn.request(method, path, body=body, headers=send)
                resp = conn.getresponse()
                status = resp.status
                answer_headers = {k.lower(): v for k, v in resp.getheaders()}
                if status in REDIRECTS and "location" in answer_headers:
                    target = urllib.parse.urljoin(current, answer_headers["location"])
                    scheme = urllib.parse.urlsplit(target).scheme
                    if scheme not in ("http", "https"):
                        raise FetchRefused(f"{safe_url(current)} redirects to {safe_url(target)}: "
                                           "only http(s) redirects are followed")
                    if parts.scheme == "https" and scheme == "http":
                        raise FetchRefused(f"{safe_url(current)} redirects to {safe_url(target)}: "
                                           "refusing a redirect from https to plain http")
                    if len(redirects) >= max_redirects:
                        raise FetchRefused(f"{safe_url(url)}: more than {max_redirects} redirects")
                    if log:
                        log(f"{safe_url(current)} redirected ({status}) to {safe_url(target)}")
                    redirects.append(target)
                    current = target
                    if status == 303 or (status in (301, 302) and method == "POST"):
                        method, body = "GET", None
                    continue
                if not 200 <= status < 300:
                    raise FetchStatus(f"{safe_url(current)}: the server answered {status} {resp.reason}", status)
                length = answer_headers.get("content-length", "")
                if length.isdigit() and int(length) > max_bytes:
                    raise FetchTooLarge(f"{safe_url(current)} is {int(length)} bytes; the limit is {max_bytes}")
                kept = bytearray()
                size = 0
                while True:
                    chunk = resp.read1(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise FetchTooLarge(f"{safe_url(current)} is larger than the limit of {max_bytes} bytes")
                    if out is not None:
                        out.write(chunk)
                    else:
                        kept += chunk
                if expired.is_set():
                    raise FetchTimeout(f"{safe_url(url)}: not complete within {timeout:g} s")
                if length.isdigit() and size != int(length):
                    raise FetchError(f"{safe_url(current)} ended after {size} of {length} bytes")
                return HTTPAnswer(current, status, answer_headers, size, bytes(kept), redirects)
            except (FetchError, FetchStatus):
                raise
            except ssl.SSLCertVerificationError as e:
                raise FetchError(f"{safe_url(current)}: the TLS certificate is not trusted: "
                                 f"{e.verify_message or e}") from None
            except (OSError, http.client.HTTPException) as e:
                if expired.is_set() or isinstance(e, TimeoutError):
                    raise FetchTimeout(f"{safe_url(url)}: not complete within {timeout:g} s") from None
                if isinstance(e, (ConnectionError, socket.gaierror, TimeoutError)) or (
                        isinstance(e, OSError) and e.errno is not None):
                    raise FetchUnreachable(f"cannot reach {safe_url(current)}: {e.strerror or e}") from None
                raise FetchUnreachable(f"reading {safe_url(current)} failed: {e}") from None
        finally:
            watchdog.cancel()
            conn.close()
