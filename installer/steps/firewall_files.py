"""firewalld's permanent configuration edited as files, the way firewall-offline-cmd's lokkit
options leave it: the default zone (and, for --trust, the trusted zone) copied to
/etc/firewalld/zones with the services, ports and interfaces of the plan. Starting
firewall-offline-cmd costs seconds of Python start-up per install; the files are the same state.

Only the plain cases are handled here: numeric ports with tcp/udp/sctp/dccp, services the
target's firewalld defines, simple interface names, zone files that parse. Anything else
returns None and the step runs firewall-offline-cmd itself, which reports its own errors.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from installer import chroot

ETC = "/etc/firewalld"
USR = "/usr/lib/firewalld"
FALLBACK_ZONE = "public"
TRUSTED = "trusted"
PORT = re.compile(r"^(\d{1,5}(?:-\d{1,5})?):(tcp|udp|sctp|dccp)$")
IFACE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
ZONE_NAME = re.compile(r"^[A-Za-z0-9_+-]{1,17}$")
XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'


class Unsupported(Exception):
    """A case left to firewall-offline-cmd."""


@dataclass
class ZoneEdit:
    name: str
    root: ET.Element
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        return XML_HEAD + ET.tostring(self.root, encoding="unicode") + "\n"


def default_zone(target: Path) -> str:
    conf = chroot.resolve(target, f"{ETC}/firewalld.conf")
    zone = FALLBACK_ZONE
    if conf.is_file():
        for line in conf.read_text(errors="replace").splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and key.strip() == "DefaultZone" and value.strip():
                zone = value.strip()
    if not ZONE_NAME.match(zone):
        raise Unsupported(f"default zone {zone!r}")
    return zone


def _zone_source(target: Path, zone: str) -> Path:
    for base in (ETC, USR):
        path = chroot.resolve(target, f"{base}/zones/{zone}.xml")
        if path.is_file():
            return path
    raise Unsupported(f"zone {zone} has no file")


def _load(target: Path, zone: str) -> ZoneEdit:
    try:
        root = ET.fromstring(_zone_source(target, zone).read_bytes())
    except ET.ParseError as exc:
        raise Unsupported(f"zone {zone}: {exc}") from None
    if root.tag != "zone":
        raise Unsupported(f"zone {zone}: root element {root.tag}")
    return ZoneEdit(zone, root)


def service_defined(target: Path, name: str) -> bool:
    return any(chroot.resolve(target, f"{base}/services/{name}.xml").is_file() for base in (ETC, USR))


def _has(root: ET.Element, tag: str, **attrs: str) -> bool:
    return any(all(el.get(k) == v for k, v in attrs.items()) for el in root.findall(tag))


# The order firewalld writes a zone's elements in (its reader accepts any order).
ORDER = ("short", "description", "service", "port", "protocol", "icmp-block", "masquerade", "forward-port",
         "source-port", "rule", "interface", "source", "icmp-block-inversion", "forward")


def _add(root: ET.Element, tag: str, **attrs: str) -> None:
    """Insert `tag` after the elements that firewalld writes before it, keeping the indentation."""
    children = list(root)
    new = ET.Element(tag, attrs)
    if not children:
        root.text = "\n  "
        new.tail = "\n"
        root.append(new)
        return
    rank = ORDER.index(tag)
    earlier = [i for i, el in enumerate(children) if el.tag in ORDER and ORDER.index(el.tag) <= rank]
    if not earlier:
        new.tail = root.text
        root.insert(0, new)
        return
    at = earlier[-1] + 1
    before = children[at - 1]
    new.tail = before.tail
    before.tail = "\n  "
    root.insert(at, new)


def _remove(root: ET.Element, tag: str, **attrs: str) -> None:
    children = list(root)
    for i, el in enumerate(children):
        if el.tag == tag and all(el.get(k) == v for k, v in attrs.items()):
            if i > 0:
                children[i - 1].tail = el.tail
            elif el.tail is not None:
                root.text = el.tail
            root.remove(el)


def _bound_elsewhere(target: Path, iface: str, zone: str) -> bool:
    etc = chroot.resolve(target, f"{ETC}/zones")
    if not etc.is_dir():
        return False
    for path in etc.glob("*.xml"):
        if path.stem == zone:
            continue
        try:
            if _has(ET.fromstring(path.read_bytes()), "interface", name=iface):
                return True
        except ET.ParseError:
            raise Unsupported(f"zone file {path.name} does not parse") from None
    return False


def plan_zones(target: Path, fw) -> list[ZoneEdit]:
    """The zone files firewall-offline-cmd would write for `fw` (FirewallConfig), or Unsupported."""
    zone = default_zone(target)
    main = _load(target, zone)
    edits = [main]
    if fw.enabled:
        wanted = [s for s in dict.fromkeys(["ssh", *fw.services]) if s not in fw.remove_services]
        for name in [*wanted, *fw.remove_services]:
            if not service_defined(target, name):
                raise Unsupported(f"service {name}")
        for name in wanted:
            if not _has(main.root, "service", name=name):
                _add(main.root, "service", name=name)
        for name in fw.remove_services:
            _remove(main.root, "service", name=name)
        for spec in fw.ports:
            m = PORT.match(spec)
            if not m or any(not 1 <= int(n) <= 65535 for n in m.group(1).split("-")):
                raise Unsupported(f"port {spec}")
            if not _has(main.root, "port", port=m.group(1), protocol=m.group(2)):
                _add(main.root, "port", port=m.group(1), protocol=m.group(2))
        if fw.trusted:
            trusted = main if zone == TRUSTED else _load(target, TRUSTED)
            for iface in fw.trusted:
                if not IFACE.match(iface) or _bound_elsewhere(target, iface, TRUSTED):
                    raise Unsupported(f"interface {iface}")
                if not _has(trusted.root, "interface", name=iface):
                    _add(trusted.root, "interface", name=iface)
            if trusted is not main:
                edits.append(trusted)
    return edits
