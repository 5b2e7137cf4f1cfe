"""A repository's metadata read without dnf: which package names (and provides) it offers,
their installed sizes, and its comps groups. Used to check %packages before any disk is touched.

repomd.xml names primary.xml (gzip, xz or zstd compressed, or plain); primary is parsed as a
stream, one <package> at a time, so a large or hostile file costs time linear in its size and
memory only for the names kept.
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
import os
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from installer import fetch
from installer.payload.package_sets import Comps, parse_comps

REPO = "{http://linux.duke.edu/metadata/repo}"
COMMON = "{http://linux.duke.edu/metadata/common}"
RPM = "{http://linux.duke.edu/metadata/rpm}"

REMOTE_MAX_BYTES = 512 * 1024 * 1024  # a whole distribution's primary.xml.gz is tens of MiB
REMOTE_TIMEOUT = 120.0


class RepodataError(Exception):
    """Metadata that cannot be read or decided; the message says which and why."""


@dataclass
class RepoIndex:
    """What one repository offers. `sizes`: name -> smallest installed size among its versions."""

    sizes: dict[str, int] = field(default_factory=dict)
    provides: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)  # the file paths primary.xml lists (bin/, /etc)
    comps: Comps = field(default_factory=Comps)

    def merge(self, other: RepoIndex) -> None:
        for name, size in other.sizes.items():
            if name not in self.sizes or size < self.sizes[name]:
                self.sizes[name] = size
        self.provides |= other.provides
        self.files |= other.files
        self.comps.merge(other.comps)


@dataclass
class Locations:
    primary: str
    primary_sha256: str | None
    group: str | None


def parse_repomd(data: bytes) -> Locations:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise RepodataError(f"repomd.xml is not valid XML ({exc})") from None
    found: dict[str, tuple[str, str | None]] = {}
    for item in root.findall(f"{REPO}data"):
        loc = item.find(f"{REPO}location")
        if loc is None or not loc.get("href"):
            continue
        href = loc.get("href", "")
        if href.startswith("/") or "://" in href or ".." in href.split("/"):
            raise RepodataError(f"repomd.xml points outside the repository ({href!r})")
        ck = item.find(f"{REPO}checksum")
        sha = (ck.text or "").strip().lower() if ck is not None and ck.get("type") == "sha256" else None
        found[item.get("type", "")] = (loc.get("href", ""), sha)
    if "primary" not in found:
        raise RepodataError("repomd.xml names no primary metadata")
    group = next((found[k][0] for k in ("group", "group_gz", "group_xz", "group_zst") if k in found), None)
    return Locations(found["primary"][0], found["primary"][1], group)


def zstd_reader() -> str | None:
    """How zstd data can be read here: 'module' (python zstandard or compression.zstd), 'binary'
    (the zstd program), or None (undecidable: the caller says so)."""
    for mod in ("zstandard", "compression.zstd"):
        try:
            __import__(mod)
            return "module"
        except ImportError:
            continue
    return "binary" if shutil.which("zstd") else None


def _open_decompressed(path: Path, href: str) -> tuple[BinaryIO, subprocess.Popen | None]:
    if href.endswith(".gz"):
        return gzip.open(path, "rb"), None
    if href.endswith(".xz"):
        return lzma.open(path, "rb"), None
    if href.endswith(".zst"):
        how = zstd_reader()
        if how == "module":
            try:
                from compression import zstd  # type: ignore[import-not-found]  # Python 3.14

                return zstd.open(path, "rb"), None
            except ImportError:
                import zstandard  # type: ignore[import-not-found]

                return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True), None
        if how == "binary":
            proc = subprocess.Popen(["zstd", "-dc", "--", str(path)], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            return proc.stdout, proc  # type: ignore[return-value]
        raise RepodataError(f"{href} is zstd-compressed and this system has neither a Python zstd "
                            "module nor the zstd program")
    if href.endswith((".bz2", ".zck")):
        raise RepodataError(f"{href}: this compression is not supported here")
    return open(path, "rb"), None


def parse_primary(stream: BinaryIO, index: RepoIndex) -> None:
    """Names, provides, listed files and installed sizes from a primary.xml stream."""
    name = None
    try:
        for event, elem in ET.iterparse(stream, events=("end",)):
            tag = elem.tag
            if tag == f"{COMMON}name":
                name = (elem.text or "").strip()
            elif tag == f"{COMMON}size" and name:
                try:
                    size = int(elem.get("installed", "0"))
                except ValueError:
                    size = 0
                if name not in index.sizes or size < index.sizes[name]:
                    index.sizes[name] = size
            elif tag == f"{RPM}entry":
                n = elem.get("name")
                if n:
                    index.provides.add(n)
            elif tag == f"{COMMON}file":
                if elem.text:
                    index.files.add(elem.text.strip())
            elif tag == f"{COMMON}package":
                name = None
                elem.clear()
    except ET.ParseError as exc:
        raise RepodataError(f"primary metadata is not valid XML ({exc})") from None


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _read_file(path: Path, href: str, index: RepoIndex) -> None:
    stream, proc = _open_decompressed(path, href)
    try:
        parse_primary(stream, index)
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise RepodataError(f"{href} cannot be decompressed ({exc})") from None
    finally:
        stream.close()
        if proc is not None and proc.wait() != 0:
            raise RepodataError(f"{href}: zstd could not decompress it")


def read_local(base: Path) -> RepoIndex:
    """The metadata of a repository in a directory (the medium's, a file:// one)."""
    try:
        repomd = (base / "repodata/repomd.xml").read_bytes()
    except OSError as exc:
        raise RepodataError(f"cannot read {base}/repodata/repomd.xml: {exc.strerror or exc}") from None
    loc = parse_repomd(repomd)
    index = RepoIndex()
    primary = base / loc.primary
    if not primary.is_file():
        raise RepodataError(f"{primary} is missing")
    _read_file(primary, loc.primary, index)
    if loc.group:
        try:
            index.comps = _comps(base / loc.group, loc.group)
        except OSError as exc:
            raise RepodataError(f"cannot read {base}/{loc.group}: {exc.strerror or exc}") from None
    return index


def _comps(path: Path, href: str) -> Comps:
    data = path.read_bytes()
    try:
        if href.endswith(".gz"):
            data = gzip.decompress(data)
        elif href.endswith(".xz"):
            data = lzma.decompress(data)
        elif href.endswith(".zst"):
            stream, proc = _open_decompressed(path, href)
            try:
                data = stream.read()
            finally:
                stream.close()
                if proc is not None:
                    proc.wait()
        return parse_comps(data)
    except (OSError, EOFError, lzma.LZMAError, ET.ParseError) as exc:
        raise RepodataError(f"{href}: cannot read the comps groups ({exc})") from None


def read_remote(baseurl: str, *, verify: bool = True, timeout: float = REMOTE_TIMEOUT,
                max_bytes: int = REMOTE_MAX_BYTES) -> RepoIndex:
    """The metadata of an http(s) repository, fetched with the installer's limits (byte cap,
    wall-clock deadline, no https->http redirect). primary's sha256 is checked against repomd."""
    base = baseurl.rstrip("/")
    try:
        repomd = fetch.http_request(f"{base}/repodata/repomd.xml", max_bytes=16 * 1024 * 1024,
                                    timeout=timeout, verify=verify).body
    except fetch.FetchError as exc:
        raise RepodataError(str(exc)) from None
    loc = parse_repomd(repomd)
    index = RepoIndex()
    with tempfile.TemporaryDirectory(prefix="azl-repodata-") as tmp:
        for href in [loc.primary] + ([loc.group] if loc.group else []):
            dest = Path(tmp) / os.path.basename(href)
            try:
                with open(dest, "wb") as out:
                    fetch.http_request(f"{base}/{href}", max_bytes=max_bytes, timeout=timeout,
                                       verify=verify, out=out)
            except fetch.FetchError as exc:
                raise RepodataError(str(exc)) from None
            if href == loc.primary:
                if loc.primary_sha256 and _sha256(dest) != loc.primary_sha256:
                    raise RepodataError(f"{fetch.safe_url(base)}/{href} does not match the checksum in repomd.xml")
                _read_file(dest, href, index)
            else:
                index.comps = _comps(dest, href)
    return index
