"""%packages (and the TUI's software selection) checked against the repositories' metadata
before any disk is touched: every name no repository offers, with its FILE:LINE, in one pass;
and the installed size of what was asked for, a lower bound for the space check.

Which repositories are read: local ones (the medium's, file://, a directory) always; http(s)
ones only when the caller says the network may be used (the install itself, not `validate`
or the TUI's live checks), with the limits of installer/fetch.py. A mirrorlist/metalink,
nfs:, hd: or an unreadable repository leaves the decision to dnf's depsolve in the payload
step: names are then reported only when every repository could be read, because a name
missing from the ones read may come from the others.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from installer.model.diagnostics import Diagnostic
from installer.model.plan import InstallPlan, Origin
from installer.model.product import Product
from installer.payload import repodata, repos
from installer.payload.package_sets import build_request

ARCHES = {"noarch", "x86_64", "aarch64", "i686", "src"}
GLOB = re.compile(r"[*?\[]")
MAX_GLOBS = 32  # more patterns than this are left to dnf (each costs a pass over the names)
_CACHE: dict[tuple, repodata.RepoIndex] = {}


@dataclass
class RepoCheck:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    installed_bytes: int | None = None  # lower bound for what %packages installs; None: unknown
    size_of: dict[str, int] = field(default_factory=dict)  # what makes up installed_bytes, per name
    deferred: list[str] = field(default_factory=list)  # why some checks are left to the payload step
    complete: bool = False  # every repository was read


def _origin(pk, *fields: str) -> Origin | None:
    for f in fields:
        o = pk.origin_of(f)
        if o is not None:
            return o
    return None


def _local_index(path: Path) -> repodata.RepoIndex:
    st = (path / "repodata/repomd.xml").stat()
    key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    if key not in _CACHE:
        if len(_CACHE) > 8:
            _CACHE.clear()
        _CACHE[key] = repodata.read_local(path)
    return _CACHE[key]


def read_repositories(plan: InstallPlan, product: Product, *, network: bool) -> tuple[repodata.RepoIndex, list[str]]:
    """The merged metadata of every repository that can be read, and why the others were not."""
    merged = repodata.RepoIndex()
    deferred: list[str] = []
    try:
        specs = repos.resolve(plan.payload, product)
    except repos.RepositoryError as exc:
        return merged, [str(exc)]
    for spec in specs:
        if not spec.baseurl:
            deferred.append(f"repository {spec.name} uses a mirror list: its packages are checked by dnf "
                            "in the payload step")
            continue
        url = spec.baseurl[0]
        path = repos.url_path(url)
        try:
            if path is not None:
                if not (path / "repodata/repomd.xml").is_file():
                    what = "the installation medium is not mounted here" if spec.iso else f"no {path}/repodata"
                    deferred.append(f"repository {spec.name}: {what}; its packages are checked by dnf in the "
                                    "payload step")
                    continue
                merged.merge(_local_index(path))
            elif url.startswith(("http://", "https://")):
                if not network:
                    deferred.append(f"repository {spec.name} ({spec.where}) is read only by the install itself")
                    continue
                merged.merge(repodata.read_remote(url, verify=spec.sslverify))
            else:
                deferred.append(f"repository {spec.name} ({spec.where}) is checked by dnf in the payload step")
        except (repodata.RepodataError, OSError) as exc:
            deferred.append(f"repository {spec.name} ({spec.where}) could not be read: {exc}; its packages "
                            "are checked by dnf in the payload step")
    return merged, deferred


def _offered(spec: str, index: repodata.RepoIndex) -> bool | None:
    """Whether a package spec names something the repositories offer; None when undecidable here."""
    if spec in index.sizes or spec in index.provides:
        return True
    if spec.startswith("/"):
        return True if spec in index.files else None  # primary lists only some files
    base, dot, arch = spec.rpartition(".")
    if dot and arch in ARCHES and (base in index.sizes or base in index.provides):
        return True
    name = spec
    for _ in range(2):  # name-version and name-version-release
        name = name.rpartition("-")[0]
        if name and name in index.sizes:
            return True
    return False


def check_packages(plan: InstallPlan, product: Product, *, network: bool = False) -> RepoCheck:
    out = RepoCheck()
    pay = plan.payload
    if pay.liveimg is not None:
        return out
    index, out.deferred = read_repositories(plan, product, network=network)
    out.complete = not out.deferred
    pk = pay.packages
    if not out.complete:
        return out
    severity = "warning" if pk.ignoremissing else "error"
    suffix = " (skipped: --ignoremissing)" if pk.ignoremissing else ""
    report = out.diagnostics

    globs = [p for p in pk.packages if GLOB.search(p)]
    matched_globs: set[str] = set()
    if globs and len(globs) <= MAX_GLOBS:
        patterns = [(g, re.compile(fnmatch.translate(g))) for g in dict.fromkeys(globs)]
        for name in index.sizes:
            for g, rx in patterns:
                if g not in matched_globs and rx.match(name):
                    matched_globs.add(g)
    for p in dict.fromkeys(pk.packages):
        if GLOB.search(p):
            if len(globs) > MAX_GLOBS or p in matched_globs:
                continue
            found: bool | None = False
        else:
            found = _offered(p, index)
        if found is False:
            o = _origin(pk, f"packages[{p}]", "packages")
            what = "%packages" if o is None or o.source == "kickstart" else "Extra packages"
            report.append(Diagnostic(f"{what}: no repository offers a package {p!r}{suffix}",
                                     o, severity, "payload.packages"))
    extra_repos = bool(pay.repositories) or pay.source is not None
    for raw in ([("^" + pk.environment)] if pk.environment else []) + list(pk.groups):
        key = raw.lstrip("@^")
        if ":" in key or product.package_set(key) or index.comps.group(key) or index.comps.environment(key):
            continue
        if extra_repos and not pk.ignoremissing:  # otherwise installer.validate.payload reported it
            report.append(Diagnostic(f"%packages: no repository has a group @{'^' if raw.startswith('^') else ''}"
                                     f"{key}", _origin(pk, f"groups[{key}]", "groups", "environment"),
                                     "error", "payload.packages"))
    used_sets = ([] if pk.nocore or not product.package_set("core") else ["core"]) + list(pk.sets)
    used_sets += [g.lstrip("@^") for g in pk.groups if product.package_set(g.lstrip("@^"))]
    excluded = set(pk.excluded_packages)
    for s in dict.fromkeys(used_sets):
        missing = [n for n in product.package_set(s).packages
                   if n not in excluded and _offered(n, index) is False] if product.package_set(s) else []
        if missing:
            report.append(Diagnostic(
                f"package set {s!r} needs {', '.join(missing)}, which no repository offers{suffix}",
                _origin(pk, f"sets[{s}]", f"groups[{s}]", "sets", "groups") or _origin(pk, "packages"),
                severity, "payload.sets"))

    req = build_request(pk, product, index.comps)
    names = list(req.packages)
    for gid in req.groups + ([g for g in index.comps.environments[req.environment].groups]
                             if req.environment in index.comps.environments else []):
        group = index.comps.group(gid)
        if group is not None:
            names += group.installed_by_default
    for n in dict.fromkeys(names):
        if n in index.sizes and n not in excluded:
            out.size_of[n] = index.sizes[n]
    out.installed_bytes = sum(out.size_of.values())
    if pk.excludedocs or pk.inst_langs is not None:
        out.installed_bytes = None  # documentation or translations left out: the sum is no lower bound
        out.deferred.append("--excludedocs/--inst-langs: the space needed is known only after dnf's "
                            "transaction check")
    return out
