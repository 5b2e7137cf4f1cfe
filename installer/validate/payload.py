"""Payload checks: sources and repositories well formed, package sets known, liveimg sane."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from installer.model.plan import InstallPlan, Origin, Repository
from installer.model.product import Product
from installer.validate.common import Report, from_kickstart, origin, suggest, where
from installer.validate.network import hostname_problem

SOURCE_SCHEMES = ("http", "https", "ftp", "file", "nfs", "hd", "cdrom")
REPO_SCHEMES = ("http", "https", "ftp", "file", "nfs")
LIVEIMG_SCHEMES = ("http", "https", "ftp", "file")
LIVEIMG_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar.zst",
                    ".img", ".squashfs", ".squashfs.img", ".iso")
PACKAGE = re.compile(r"^[A-Za-z0-9_+.*?\[\]:^~-]+$")
REPO_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")
SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def url_problem(url: str, schemes: tuple[str, ...]) -> str | None:
    """Why `url` is not a well formed source URL with one of `schemes`, or None."""
    if not url or url != url.strip() or re.search(r"\s", url):
        return "is empty or contains whitespace"
    scheme = url.split(":", 1)[0].lower() if ":" in url else url.lower()
    if scheme not in schemes:
        return f"has an unsupported scheme (use {', '.join(s + ':' for s in schemes)})"
    if scheme in ("http", "https", "ftp"):
        if not url.lower().startswith(scheme + "://"):
            return f"must start with {scheme}://"
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # "Invalid IPv6 URL" and the like: bad input, not an internal error
            return f"is not a valid URL ({exc})"
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            return "has an invalid port"
        if not host:
            return "has no host name"
        if port == 0:
            return "has an invalid port"
        if "[" not in parts.netloc:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                if hostname_problem(host):
                    return f"has an invalid host name {host!r}"
        return None
    if scheme == "file":
        if not url.startswith("file:///"):
            return "must be file:///ABSOLUTE/PATH"
        return None
    if scheme == "nfs":
        rest = url[4:]
        if rest.startswith("//"):
            try:
                parts = urlsplit(url)
            except ValueError as exc:
                return f"is not a valid URL ({exc})"
            return None if parts.hostname and parts.path.startswith("/") else "must be nfs://SERVER/PATH"
        server_path = rest.rsplit(":", 1) if ":/" in rest else None
        if not server_path or not server_path[0] or not server_path[1].startswith("/"):
            return "must be nfs:[OPTIONS:]SERVER:/PATH"
        server = server_path[0].rsplit(":", 1)[-1]
        return None if server else "must be nfs:[OPTIONS:]SERVER:/PATH"
    if scheme == "hd":
        m = re.match(r"^hd:([^:]+):(/.*)$", url)
        return None if m else "must be hd:DEVICE:/PATH"
    if scheme == "cdrom":
        return None if url == "cdrom" or re.match(r"^cdrom(:\S+)?$", url) else "must be cdrom or cdrom:DEVICE"
    return None


def check_payload(plan: InstallPlan, product: Product, report: Report) -> None:
    pay = plan.payload
    if pay.source is not None:
        _check_repo(pay.source, SOURCE_SCHEMES, "url", report)
    names: dict[str, Origin] = {}
    for repo in pay.repositories:
        if not REPO_NAME.match(repo.name or ""):
            report.error(f"repo --name={repo.name!r}: use letters, digits, '-', '_', '.' and ':'", repo.origin)
        elif repo.name in names or repo.name == product.iso_repo_name:
            prev = names.get(repo.name)
            report.error(f"repository {repo.name} is already defined{where(prev, repo.origin)}"
                         if prev else f"repository name {repo.name} is the install medium's; choose another",
                         repo.origin)
        names.setdefault(repo.name, repo.origin)
        _check_repo(repo, REPO_SCHEMES, "repo", report)

    live = pay.liveimg
    if live is not None:
        o = live.origin
        problem = url_problem(live.url, LIVEIMG_SCHEMES)
        if problem:
            report.error(f"liveimg --url={live.url} {problem}", o)
        elif not live.url.lower().split("?", 1)[0].endswith(LIVEIMG_SUFFIXES):
            report.warning(f"liveimg --url={live.url}: not a tarball or image name "
                           f"({', '.join(LIVEIMG_SUFFIXES[:4])}, ...)", o)
        if live.checksum is not None and not SHA256.match(live.checksum):
            report.error("liveimg --checksum must be a SHA-256 digest (64 hexadecimal digits)", o)
        if live.proxy:
            _check_proxy(live.proxy, o, report)
        if pay.source is not None:
            report.error("liveimg cannot be combined with url: choose one installation source",
                         pay.source.origin)
        pk_o = origin(pay.packages, "packages", "sets", "groups", "environment")
        if from_kickstart(pk_o) and (pay.packages.packages or pay.packages.groups or pay.packages.environment):
            report.warning("%packages is ignored with liveimg: the image already holds the system", pk_o)
        return
    _check_packages(plan, product, report)


def _check_repo(repo: Repository, schemes: tuple[str, ...], cmd: str, report: Report) -> None:
    o = repo.origin
    given = [(f, v) for f, v in (("--baseurl" if cmd == "repo" else "--url", repo.baseurl),
                                 ("--mirrorlist", repo.mirrorlist), ("--metalink", repo.metalink)) if v]
    if not given:
        report.error(f"{cmd}{' ' + repo.name if cmd == 'repo' else ''}: give --baseurl, --mirrorlist or --metalink"
                     if cmd == "repo" else "url: give --url, --mirrorlist or --metalink", o)
    if len(given) > 1:
        report.error(f"{cmd}: {' and '.join(f for f, _ in given)} cannot be used together", o)
    for flag, value in given:
        problem = url_problem(value, schemes if flag in ("--url", "--baseurl") else ("http", "https"))
        if problem:
            report.error(f"{cmd} {flag}={value} {problem}", o)
    for key in repo.gpgkeys:
        problem = url_problem(key, ("http", "https", "ftp", "file"))
        if problem:
            report.error(f"{cmd} --gpgkey={key} {problem}", o)
    if repo.proxy:
        _check_proxy(repo.proxy, o, report)
    if repo.cost is not None and repo.cost < 0:
        report.error(f"{cmd} --cost={repo.cost} must not be negative", o)
    if not repo.gpgcheck:
        report.warning(f"{cmd}{' ' + repo.name if cmd == 'repo' else ''}: GPG checking is off; packages from it "
                       f"are not verified", o)


def _check_proxy(proxy: str, o: Origin, report: Report) -> None:
    url = proxy if "://" in proxy else "http://" + proxy
    problem = url_problem(url, ("http", "https"))
    if problem:
        report.error(f"--proxy={proxy} {problem}", o)


def _check_packages(plan: InstallPlan, product: Product, report: Report) -> None:
    pk = plan.payload.packages
    o = origin(pk, "sets", "packages", "groups", "environment")
    known = product.package_sets
    for s in pk.sets:
        if s not in known:
            report.error(f"package set {s!r} is not defined by {product.name} {product.version}"
                         f"{suggest(s, known)}; sets: {', '.join(sorted(known))}",
                         origin(pk, f"sets[{s}]", "sets") or o)
    extra_repos = bool(plan.payload.repositories) or plan.payload.source is not None
    missing = [("@^" + pk.environment, origin(pk, "environment"))] if pk.environment else []
    missing += [("@" + g, origin(pk, f"groups[{g}]", "groups")) for g in pk.groups]
    for g, g_o in missing:
        name = g.lstrip("@^")
        msg = (f"{g}: {product.name} repositories have no comps groups and {name!r} is not a package set"
               f"{suggest(name, known)}; sets: {', '.join(sorted(known))}")
        if extra_repos or pk.ignoremissing:
            report.warning(msg + " (it must come from an added repository)", g_o or o)
        else:
            report.error(msg, g_o or o)
    for field in ("packages", "excluded_packages"):
        for p in getattr(pk, field):
            if not PACKAGE.match(p):
                report.error(f"%packages: {p!r} is not a package name", origin(pk, f"{field}[{p}]", field) or o)
    for p in sorted(set(pk.packages) & set(pk.excluded_packages)):
        report.warning(f"%packages: {p} is both included and excluded; excluded wins",
                       origin(pk, f"excluded_packages[{p}]", "excluded_packages") or o)
    if pk.timeout is not None and pk.timeout <= 0:
        report.error(f"%packages --timeout={pk.timeout} must be positive", o)
    if pk.retries is not None and pk.retries < 0:
        report.error(f"%packages --retries={pk.retries} must not be negative", o)
