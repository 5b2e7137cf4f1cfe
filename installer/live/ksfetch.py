"""Find the kickstart named by inst.ks= the ways admins deliver it.

Forms: a plain path or file:/path; hd:DEVICE:/path where DEVICE is sdb1,
/dev/sdb1, LABEL=X or UUID=Y; http(s)://...; and inst.ks with no value, which
looks for ks.cfg on a filesystem labelled OEMDRV. The medium is mounted
read-only and the file copied to a local path, so nothing is written to it.

Over HTTP(S) the fetch is bounded (docs/fleet.md): at most KS_MAX_BYTES, each attempt
finished within ATTEMPT_SECONDS of wall-clock time, redirects limited and never from
https to http, TLS verified (against inst.ks.cacert= when given). While the network
comes up, unreachable servers, timeouts and 5xx/408/429 answers are retried with
exponential backoff for at most TOTAL_SECONDS. inst.ks.sendmac and inst.ks.sendsn add
Anaconda's identity headers so one URL can serve a kickstart per machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from installer.fetch import (
    FetchError,
    FetchStatus,
    FetchTimeout,
    FetchUnreachable,
    http_request,
    safe_url,
)

OEMDRV_LABEL = "OEMDRV"
DEFAULT_NAME = "ks.cfg"

KS_MAX_BYTES = 1 << 20  # 1 MiB: a kickstart is text; hundreds of KiB is already unusual
ATTEMPT_SECONDS = 60.0  # wall clock for one attempt (connect, redirects, headers, body)
TOTAL_SECONDS = 300.0  # wall clock for all attempts while the network comes up
BACKOFF_FIRST = 1.0  # seconds before the first retry; doubled each time
BACKOFF_MAX = 30.0
RETRY_STATUS = {408, 429}  # and every 5xx


class KickstartFetchError(Exception):
    pass


def resolve_device(spec: str) -> str:
    """hd: device part -> a /dev path (LABEL=/UUID= through /dev/disk/by-*)."""
    if spec.startswith("LABEL="):
        return _by("label", spec[6:])
    if spec.startswith("UUID="):
        return _by("uuid", spec[5:])
    if spec.startswith("PARTLABEL="):
        return _by("partlabel", spec[10:])
    return spec if spec.startswith("/dev/") else f"/dev/{spec}"


def _by(kind: str, value: str) -> str:
    link = Path("/dev/disk") / f"by-{kind}" / value.replace("/", "\\x2f").replace(" ", "\\x20")
    if link.exists():
        return str(link.resolve())
    found = subprocess.run(["blkid", "-o", "device", "-t", f"{kind.upper()}={value}"],
                           capture_output=True, text=True)
    devices = found.stdout.split()
    if not devices:
        raise KickstartFetchError(f"no device with {kind.upper()}={value} holds the kickstart")
    return devices[0]


def split_hd(location: str) -> tuple[str, str]:
    """hd:DEVICE:/path -> (DEVICE, /path); the device part may itself contain '=' but not ':/'."""
    rest = location[3:]
    device, sep, path = rest.partition(":/")
    if not sep:
        raise KickstartFetchError(f"inst.ks={location}: expected hd:DEVICE:/path")
    return device, "/" + path


def _private(dest: Path) -> None:
    """Create dest 0600 before it is written: a kickstart may hold plaintext passwords.

    Writers that open an existing file keep its mode, whatever the umask."""
    if dest.is_symlink():
        dest.unlink()
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def copy_from_device(device: str, path: str, dest: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="azl-ks-") as mnt:
        res = subprocess.run(["mount", "-o", "ro", device, mnt], capture_output=True, text=True)
        if res.returncode != 0:
            raise KickstartFetchError(f"cannot mount {device}: {res.stderr.strip() or 'mount failed'}")
        try:
            src = Path(mnt) / path.lstrip("/")
            if not src.is_file():
                raise KickstartFetchError(f"{device} has no file {path}")
            _private(dest)
            shutil.copyfile(src, dest)
        finally:
            subprocess.run(["umount", mnt], capture_output=True)
    return dest


@dataclass
class HTTPOptions:
    """How inst.ks=http(s):// is fetched (boot options inst.ks.sendmac, inst.ks.sendsn, inst.ks.cacert,
    inst.noverifyssl; the limits are fixed defaults, smaller in tests)."""

    sendmac: bool = False
    sendsn: bool = False
    cacert: str | None = None
    verify: bool = True
    max_bytes: int = field(default_factory=lambda: KS_MAX_BYTES)
    attempt_seconds: float = field(default_factory=lambda: ATTEMPT_SECONDS)
    total_seconds: float = field(default_factory=lambda: TOTAL_SECONDS)
    backoff_first: float = field(default_factory=lambda: BACKOFF_FIRST)
    backoff_max: float = BACKOFF_MAX
    sysfs: str = "/sys"

    @classmethod
    def from_boot(cls, opts) -> HTTPOptions:
        return cls(sendmac=opts.ks_sendmac, sendsn=opts.ks_sendsn, cacert=opts.ks_cacert,
                   verify=not opts.noverifyssl)


def _header_value(text: str) -> str:
    """Printable ASCII only: a hostile DMI string cannot add header lines."""
    return "".join(c for c in text.strip() if " " <= c <= "~")


def identity_headers(sendmac: bool, sendsn: bool, sysfs: str | Path = "/sys",
                     log: Callable[[str], None] | None = None) -> dict[str, str]:
    """Anaconda's provisioning headers: X-RHN-Provisioning-MAC-N: IFACE MAC for every interface but lo
    (in name order, numbered from 0), and X-System-Serial-Number from DMI."""
    headers: dict[str, str] = {}
    if sendmac:
        net = Path(sysfs) / "class" / "net"
        index = 0
        for iface in sorted(net.iterdir()) if net.is_dir() else []:
            if iface.name == "lo":
                continue
            try:
                mac = _header_value((iface / "address").read_text())
            except OSError:
                continue
            if not mac or mac.strip("0:") == "":
                continue
            headers[f"X-RHN-Provisioning-MAC-{index}"] = f"{_header_value(iface.name)} {mac}"
            index += 1
    if sendsn:
        try:
            serial = _header_value((Path(sysfs) / "class" / "dmi" / "id" / "product_serial").read_text())
        except OSError as exc:
            serial = ""
            if log:
                log(f"inst.ks.sendsn: cannot read the serial number: {exc.strerror or exc}")
        if serial:
            headers["X-System-Serial-Number"] = serial
    return headers


def _retryable(exc: FetchError) -> bool:
    if isinstance(exc, FetchStatus):
        return exc.code >= 500 or exc.code in RETRY_STATUS
    return isinstance(exc, (FetchUnreachable, FetchTimeout))


def _stderr(message: str) -> None:
    print(f"azl-install: inst.ks: {message}", file=sys.stderr, flush=True)


def download_kickstart(url: str, dest: Path, http: HTTPOptions, log: Callable[[str], None] = _stderr,
                       sleep: Callable[[float], None] = time.sleep) -> Path:
    """Fetch url into dest (mode 0600) within the limits of `http`, retrying while the network comes up."""
    if not http.verify:
        log("inst.noverifyssl: the kickstart server's TLS certificate is NOT verified")
    headers = identity_headers(http.sendmac, http.sendsn, http.sysfs, log)
    started = time.monotonic()
    delay = http.backoff_first
    attempt = 0
    while True:
        attempt += 1
        left = http.total_seconds - (time.monotonic() - started)
        fd, tmp = tempfile.mkstemp(prefix=".ks-", dir=dest.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                http_request(url, headers=headers, max_bytes=http.max_bytes,
                             timeout=max(0.1, min(http.attempt_seconds, left)), out=out,
                             cafile=http.cacert, verify=http.verify, log=log)
            os.replace(tmp, dest)
            return dest
        except FetchError as exc:
            os.unlink(tmp)
            left = http.total_seconds - (time.monotonic() - started)
            if not _retryable(exc) or left <= delay:
                tries = f" (after {attempt} attempts in {time.monotonic() - started:.0f} s)" if attempt > 1 else ""
                raise KickstartFetchError(f"cannot download {safe_url(url)}: {exc}{tries}") from None
            log(f"attempt {attempt}: {exc}; retrying in {delay:g} s")
            sleep(delay)
            delay = min(delay * 2, http.backoff_max)


def fetch_kickstart(location: str, dest_dir: str | Path = "/run/install", http: HTTPOptions | None = None,
                    log: Callable[[str], None] = _stderr) -> Path:
    """Copy the kickstart named by an inst.ks= value to dest_dir/ks.cfg and return that path."""
    dest_dir = Path(dest_dir)
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / DEFAULT_NAME
    if location == "":
        return copy_from_device(resolve_device(f"LABEL={OEMDRV_LABEL}"), "/" + DEFAULT_NAME, dest)
    if location.startswith("hd:"):
        device, path = split_hd(location)
        return copy_from_device(resolve_device(device), path, dest)
    if location.startswith(("http://", "https://")):
        return download_kickstart(location, dest, http or HTTPOptions(), log)
    if location.startswith("file://"):
        location = location[7:]
    elif location.startswith("file:"):
        location = location[5:]
    path = Path(location)
    if not path.is_file():
        raise KickstartFetchError(f"inst.ks={location}: no such file")
    return path
