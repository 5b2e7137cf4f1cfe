"""%packages semantics: the product's package sets, comps groups and environments,
single packages and exclusions, turned into what dnf is asked to install."""

from __future__ import annotations

import gzip
import lzma
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from installer import fetch
from installer.model.plan import PackageSelection
from installer.model.product import Product

CORE = "core"


@dataclass
class Group:
    id: str
    name: str
    mandatory: list[str] = field(default_factory=list)
    default: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)

    @property
    def installed_by_default(self) -> list[str]:
        return self.mandatory + self.default


@dataclass
class Environment:
    id: str
    name: str
    groups: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


@dataclass
class Comps:
    groups: dict[str, Group] = field(default_factory=dict)
    environments: dict[str, Environment] = field(default_factory=dict)

    def merge(self, other: "Comps") -> None:
        for k, v in other.groups.items():
            self.groups.setdefault(k, v)
        for k, v in other.environments.items():
            self.environments.setdefault(k, v)

    def group(self, key: str) -> Group | None:
        return self.groups.get(key) or next(
            (g for g in self.groups.values() if g.name.lower() == key.lower()), None)

    def environment(self, key: str) -> Environment | None:
        return self.environments.get(key) or next(
            (e for e in self.environments.values() if e.name.lower() == key.lower()), None)

    def __bool__(self) -> bool:
        return bool(self.groups or self.environments)


def parse_comps(xml: bytes) -> Comps:
    root = ET.fromstring(xml)
    comps = Comps()
    for g in root.findall("group"):
        gid = (g.findtext("id") or "").strip()
        grp = Group(gid, (g.findtext("name") or gid).strip())
        for req in g.iterfind("packagelist/packagereq"):
            kind = req.get("type", "default")
            name = (req.text or "").strip()
            {"mandatory": grp.mandatory, "default": grp.default}.get(kind, grp.optional).append(name)
        comps.groups[gid] = grp
    for e in root.findall("environment"):
        eid = (e.findtext("id") or "").strip()
        env = Environment(eid, (e.findtext("name") or eid).strip())
        env.groups = [(x.text or "").strip() for x in e.iterfind("grouplist/groupid")]
        env.options = [(x.text or "").strip() for x in e.iterfind("optionlist/groupid")]
        comps.environments[eid] = env
    return comps


_REPOMD_NS = "{http://linux.duke.edu/metadata/repo}"


def comps_location(repomd: bytes) -> str | None:
    """The href of a repository's comps data in repomd.xml, uncompressed preferred."""
    root = ET.fromstring(repomd)
    found: dict[str, str] = {}
    for data in root.findall(f"{_REPOMD_NS}data"):
        loc = data.find(f"{_REPOMD_NS}location")
        if loc is not None:
            found[data.get("type", "")] = loc.get("href", "")
    for kind in ("group", "group_gz", "group_xz"):
        if kind in found:
            return found[kind]
    return None


def read_comps(baseurl: str, *, verify_ssl: bool = True, proxy: str | None = None) -> Comps:
    """A repository's comps groups (empty when it has none). Raises fetch.FetchError."""
    base = baseurl.rstrip("/")
    repomd = fetch.read_bytes(f"{base}/repodata/repomd.xml", verify_ssl=verify_ssl, proxy=proxy)
    href = comps_location(repomd)
    if not href:
        return Comps()
    data = fetch.read_bytes(f"{base}/{href}", verify_ssl=verify_ssl, proxy=proxy)
    if href.endswith(".gz"):
        data = gzip.decompress(data)
    elif href.endswith(".xz"):
        data = lzma.decompress(data)
    return parse_comps(data)


@dataclass
class Request:
    """What dnf is asked for."""

    packages: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # comps group ids
    environment: str | None = None
    excludes: list[str] = field(default_factory=list)
    missing_groups: list[str] = field(default_factory=list)  # "@name" not found anywhere
    sets: list[str] = field(default_factory=list)  # product sets used

    def specs(self) -> list[str]:
        # dnf4 (4.14) does not resolve "@^ID"; "@ID" finds environments in dnf4 and dnf5 alike.
        out = []
        if self.environment:
            out.append("@" + self.environment)
        out += ["@" + g for g in self.groups]
        out += self.packages
        return out


def _add(seq: list[str], items) -> None:
    for item in items:
        if item not in seq:
            seq.append(item)


def build_request(sel: PackageSelection, product: Product, comps: Comps | None = None) -> Request:
    """Product sets first (they shadow comps ids of the same name), then comps, then packages.

    `-package` and `-@group` win over anything that would include them, as in Anaconda.
    """
    comps = comps or Comps()
    req = Request()
    excluded: list[str] = []
    for name in sel.excluded_packages:
        _add(excluded, [name])
    excluded_sets: set[str] = set()
    excluded_groups: set[str] = set()
    for name in sel.excluded_groups:
        key = name.lstrip("@^")
        if product.package_set(key):
            excluded_sets.add(key)
            _add(excluded, product.package_set(key).packages)
        elif comps.group(key):
            excluded_groups.add(comps.group(key).id)
            _add(excluded, comps.group(key).installed_by_default)
        else:
            _add(req.missing_groups, ["-@" + key])

    def use_set(key: str) -> None:
        if key in excluded_sets or key in req.sets:
            return
        req.sets.append(key)
        _add(req.packages, product.package_set(key).packages)

    if not sel.nocore and product.package_set(CORE):
        use_set(CORE)
    names = list(sel.sets)
    if sel.environment:
        names.append("^" + sel.environment)
    names += list(sel.groups)
    for raw in names:
        env = raw.startswith("^")
        key = raw.lstrip("@^")
        if product.package_set(key):
            use_set(key)
        elif env and comps.environment(key):
            environment = comps.environment(key)
            if req.environment is None and not excluded_groups & set(environment.groups):
                req.environment = environment.id
            else:  # an environment minus some of its groups: ask for the rest one by one
                _add(req.groups, [g for g in environment.groups if g not in excluded_groups])
        elif comps.group(key):
            gid = comps.group(key).id
            if gid not in excluded_groups:
                _add(req.groups, [gid])
        elif comps.environment(key):
            req.environment = req.environment or comps.environment(key).id
        else:
            _add(req.missing_groups, [("@^" if env else "@") + key])
    _add(req.packages, [p for p in sel.packages])
    req.packages = [p for p in req.packages if p not in excluded]
    req.excludes = excluded
    return req


_LANG = re.compile(r"^[A-Za-z]{2,3}(_[A-Za-z]{2})?(\.[\w-]+)?(@\w+)?$")


def install_langs(value: str | None) -> str | None:
    """--inst-langs=en_US,fr -> the rpm macro value 'en_US:fr' (None: all languages)."""
    if value is None:
        return None
    langs = [v.strip() for v in re.split(r"[,:]", value) if v.strip()]
    for lang in langs:
        if lang != "all" and not _LANG.match(lang):
            raise ValueError(f"--inst-langs: {lang!r} is not a language code")
    return ":".join(langs)
