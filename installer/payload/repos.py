"""Where packages come from: the plan's repositories resolved into dnf repository
definitions (the ISO repository by default, `url`, `repo`, `inst.repo=`)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from installer.model.plan import PRODUCT, Origin, Repository
from installer.model.product import Product

BOOT = Origin("boot")
_REPO_ID_BAD = re.compile(r"[^A-Za-z0-9_.:-]")


class RepositoryError(Exception):
    """A repository definition that cannot be used; the message is for the user."""


@dataclass
class RepoSpec:
    """One repository exactly as dnf will see it."""

    id: str
    name: str
    baseurl: list[str] = field(default_factory=list)
    mirrorlist: str | None = None
    metalink: str | None = None
    cost: int | None = None
    includepkgs: list[str] = field(default_factory=list)
    excludepkgs: list[str] = field(default_factory=list)
    gpgcheck: bool = True
    gpgkeys: list[str] = field(default_factory=list)  # URLs (file:// for local keys)
    sslverify: bool = True
    proxy: str | None = None
    install: bool = False  # also written to TARGET/etc/yum.repos.d
    iso: bool = False  # the install medium's repository: never left enabled on the target
    origin: Origin = PRODUCT

    @property
    def where(self) -> str:
        """The repository's location for messages and logs, without any password in it."""
        return hide_password(self.baseurl[0] if self.baseurl else (self.mirrorlist or self.metalink or "?"))

    def ini(self, *, enabled: bool = True) -> str:
        lines = [f"[{self.id}]", f"name={self.name}", f"enabled={int(enabled)}"]
        if self.baseurl:
            lines.append("baseurl=" + " ".join(self.baseurl))
        if self.mirrorlist:
            lines.append(f"mirrorlist={self.mirrorlist}")
        if self.metalink:
            lines.append(f"metalink={self.metalink}")
        if self.cost is not None:
            lines.append(f"cost={self.cost}")
        if self.includepkgs:
            lines.append("includepkgs=" + ",".join(self.includepkgs))
        if self.excludepkgs:
            lines.append("excludepkgs=" + ",".join(self.excludepkgs))
        lines.append(f"gpgcheck={int(self.gpgcheck)}")
        lines.append("repo_gpgcheck=0")
        if self.gpgkeys:
            lines.append("gpgkey=" + " ".join(self.gpgkeys))
        lines.append(f"sslverify={int(self.sslverify)}")
        if self.proxy:
            lines.append(f"proxy={self.proxy}")
        lines.append("skip_if_unavailable=0")
        return "\n".join(lines) + "\n"


def hide_password(url: str) -> str:
    return re.sub(r"^([a-z][a-z0-9+.-]*://[^/@:]+):[^/@]*@", r"\1:***@", url, flags=re.I)


def repo_id(name: str) -> str:
    cleaned = _REPO_ID_BAD.sub("-", name.strip())
    return cleaned or "repo"


def to_url(location: str) -> str:
    """A path or URL as a URL dnf accepts (local paths become file://)."""
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", location):
        return location
    if location.startswith("file:"):
        return "file://" + location[len("file:"):]
    if location.startswith("/"):
        return "file://" + location
    raise RepositoryError(f"{location!r} is neither an absolute path nor a URL")


def url_path(url: str) -> Path | None:
    """The local path of a file:// URL (or plain path), None for network URLs."""
    if url.startswith("file://"):
        return Path(url[len("file://"):])
    if url.startswith("/"):
        return Path(url)
    return None


def iso_repository(product: Product) -> Repository:
    return Repository(name=product.iso_repo_name, baseurl=to_url(product.iso_repo_path),
                      gpgkeys=list(product.gpg_keys), origin=PRODUCT)


def _keys(urls: list[str]) -> list[str]:
    return [to_url(u) for u in urls]


def spec_for(repo: Repository, *, gpgcheck: bool, default_keys: list[str], iso: bool = False,
             iso_path: str | None = None) -> RepoSpec:
    if not (repo.baseurl or repo.mirrorlist or repo.metalink):
        raise RepositoryError(f"{repo.origin}: repository {repo.name!r} has no --baseurl, --mirrorlist "
                              "or --metalink")
    keys = _keys(repo.gpgkeys or default_keys)
    if repo.baseurl and (repo.baseurl == "cdrom" or repo.baseurl.startswith("cdrom:")):
        iso = True  # the live environment mounts the medium at the product's ISO path
        repo = Repository(**{**repo.__dict__, "baseurl": to_url(iso_path)}) if iso_path else repo
    return RepoSpec(
        id=repo_id(repo.name), name=repo.name,
        baseurl=[to_url(u) for u in (repo.baseurl or "").split()] if repo.baseurl else [],
        mirrorlist=repo.mirrorlist, metalink=repo.metalink, cost=repo.cost,
        includepkgs=list(repo.includepkgs), excludepkgs=list(repo.excludepkgs),
        gpgcheck=gpgcheck and repo.gpgcheck, gpgkeys=keys, sslverify=repo.sslverify,
        proxy=repo.proxy, install=repo.install, iso=iso, origin=repo.origin)


def resolve(payload, product: Product) -> list[RepoSpec]:
    """The repositories dnf uses: the base source (`url`/inst.repo=, else the ISO) then `repo` lines."""
    keys = list(product.gpg_keys)
    specs: list[RepoSpec] = []
    if payload.source is not None:
        specs.append(spec_for(payload.source, gpgcheck=payload.gpgcheck, default_keys=keys,
                              iso_path=product.iso_repo_path))
    else:
        specs.append(spec_for(iso_repository(product), gpgcheck=payload.gpgcheck,
                              default_keys=keys, iso=True))
    for repo in payload.repositories:
        specs.append(spec_for(repo, gpgcheck=payload.gpgcheck, default_keys=keys))
    seen: dict[str, RepoSpec] = {}
    for spec in specs:
        if spec.id in seen:
            raise RepositoryError(f"{spec.origin}: repository name {spec.name!r} is used twice "
                                  f"(also {seen[spec.id].origin})")
        seen[spec.id] = spec
    return specs


def unverified(specs: list[RepoSpec]) -> list[RepoSpec]:
    return [s for s in specs if not s.gpgcheck]


def missing_keys(specs: list[RepoSpec]) -> dict[str, list[str]]:
    """Repositories with gpgcheck on whose local key files are all absent: {repo: [key paths]}."""
    out: dict[str, list[str]] = {}
    for spec in specs:
        if not spec.gpgcheck:
            continue
        local = [url_path(k) for k in spec.gpgkeys]
        if not spec.gpgkeys:
            out[spec.name] = []
            continue
        if all(p is not None and not p.exists() for p in local):
            out[spec.name] = [str(p) for p in local]
    return out


def usable_keys(spec: RepoSpec) -> list[str]:
    """Keys dnf can read: network keys, and local keys that exist."""
    return [k for k in spec.gpgkeys if url_path(k) is None or url_path(k).exists()]


# ---------------------------------------------------------------- inst.repo=

def repository_from_cmdline(cmdline: str, product: Product) -> Repository | None:
    """The Repository named by inst.repo= (or the legacy repo=) on a kernel command line.

    Forms: http(s)://, ftp://, file:///path, cdrom[:DEVICE] (the medium the live
    environment mounts at the product's ISO path), hd:DEVICE:/path, nfs:[OPTS:]HOST:/path.
    Device-backed forms keep their scheme; mount_source() makes them local before use.
    """
    value = None
    for word in shlex.split(cmdline):
        for key in ("inst.repo=", "repo="):
            if word.startswith(key):
                value = word[len(key):]
    if not value:
        return None
    if value == "cdrom" or value.startswith("cdrom:"):
        repo = iso_repository(product)
        repo.origin = BOOT
        return repo
    if re.match(r"^(https?|ftp|file)://", value) or value.startswith(("hd:", "nfs:", "nfs4:", "nfs://")):
        return Repository(name="inst.repo", baseurl=value, gpgkeys=list(product.gpg_keys), origin=BOOT)
    raise RepositoryError(f"inst.repo={value}: unsupported source (use http://, https://, ftp://, "
                          "file:///, cdrom, hd:DEVICE:/path or nfs:HOST:/path)")


def parse_device_source(url: str) -> tuple[str, str, str, str]:
    """hd:DEVICE:/path or nfs:[OPTS:]HOST:/path -> (kind, device-or-host, path, options)."""
    if url.startswith("hd:"):
        rest = url[3:]
        m = re.match(r"^((?:LABEL|UUID|PARTUUID|PARTLABEL)=[^:]+|/dev/[^:]+|[^:/][^:]*)(?::(/.*))?$", rest)
        if not m:
            raise RepositoryError(f"{url}: expected hd:DEVICE:/path")
        dev = m.group(1)
        if not dev.startswith(("/dev/", "LABEL=", "UUID=", "PARTUUID=", "PARTLABEL=")):
            dev = "/dev/" + dev
        return "hd", dev, m.group(2) or "/", ""
    if url.startswith("nfs://"):
        host, _, path = url[len("nfs://"):].partition("/")
        if not host:
            raise RepositoryError(f"{url}: expected nfs://HOST/PATH")
        return "nfs", host, "/" + path, ""
    if url.startswith(("nfs:", "nfs4:")):
        rest = url.split(":", 1)[1]
        parts = rest.split(":")
        if len(parts) == 3:
            opts, host, path = parts
        elif len(parts) == 2:
            opts, (host, path) = "", parts
        else:
            raise RepositoryError(f"{url}: expected nfs:[OPTIONS:]HOST:/path")
        return "nfs", host, path, opts
    raise RepositoryError(f"{url}: not a device source")


def is_device_source(url: str | None) -> bool:
    return bool(url) and url.startswith(("hd:", "nfs:", "nfs4:"))


# ---------------------------------------------------------------- the target's repositories

def write_installed(specs: list[RepoSpec], target: Path) -> list[Path]:
    """`repo --install` repositories (network ones) into TARGET/etc/yum.repos.d/NAME.repo."""
    written = []
    for spec in specs:
        if not spec.install or spec.iso:
            continue
        if spec.baseurl and all(url_path(u) is not None for u in spec.baseurl) and not (
                spec.mirrorlist or spec.metalink):
            continue  # a path on the live medium means nothing on the installed system
        d = target / "etc/yum.repos.d"
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{spec.id}.repo"
        path.write_text(spec.ini())
        path.chmod(0o644)
        written.append(path)
    return written


def disable_iso_repos(target: Path, iso_path: str) -> list[Path]:
    """Disable any repository file on the target that points at the install medium."""
    changed = []
    d = target / "etc/yum.repos.d"
    if not d.is_dir():
        return changed
    iso_url = to_url(iso_path).rstrip("/")
    for path in sorted(d.glob("*.repo")):
        text = path.read_text()
        out, section_local = [], False
        sections = re.split(r"(?m)^(?=\[)", text)
        new_sections = []
        for sec in sections:
            if re.search(rf"(?m)^\s*baseurl\s*=.*{re.escape(iso_url)}", sec) or re.search(
                    rf"(?m)^\s*baseurl\s*=\s*{re.escape(iso_path.rstrip('/'))}", sec):
                section_local = True
                if re.search(r"(?m)^\s*enabled\s*=", sec):
                    sec = re.sub(r"(?m)^(\s*enabled\s*=\s*).*$", r"\g<1>0", sec)
                else:
                    sec = re.sub(r"^(\[[^\]]*\][^\n]*\n)", r"\g<1>enabled=0\n", sec, count=1)
            new_sections.append(sec)
        out = "".join(new_sections)
        if section_local and out != text:
            path.write_text(out)
            changed.append(path)
    return changed
