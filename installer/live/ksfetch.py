"""Find the kickstart named by inst.ks= the ways admins deliver it.

Forms: a plain path or file:/path; hd:DEVICE:/path where DEVICE is sdb1,
/dev/sdb1, LABEL=X or UUID=Y; http(s)://...; and inst.ks with no value, which
looks for ks.cfg on a filesystem labelled OEMDRV. The medium is mounted
read-only and the file copied to a local path, so nothing is written to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import urllib.request
from pathlib import Path

OEMDRV_LABEL = "OEMDRV"
DEFAULT_NAME = "ks.cfg"


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


def fetch_kickstart(location: str, dest_dir: str | Path = "/run/install") -> Path:
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
        _private(dest)
        try:
            with urllib.request.urlopen(location, timeout=30) as resp, open(dest, "wb") as out:
                shutil.copyfileobj(resp, out)
        except OSError as exc:
            raise KickstartFetchError(f"cannot download {location}: {exc}") from None
        return dest
    if location.startswith("file://"):
        location = location[7:]
    elif location.startswith("file:"):
        location = location[5:]
    path = Path(location)
    if not path.is_file():
        raise KickstartFetchError(f"inst.ks={location}: no such file")
    return path
