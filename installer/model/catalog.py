"""Names the product ships, for checking kickstart values: locales, firewalld services, package set aliases.

Each list comes from the product definition when it has one, otherwise from the data files
shipped in installer/data/ (see the comment at the top of each).
"""

from __future__ import annotations

import functools
import re
import tomllib

from installer.model.product import DATA_DIR, Product

_TERRITORY = re.compile(r"^([a-z]{2,3})_([A-Z]{2})$")


def _lines(name: str) -> tuple[str, ...]:
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@functools.lru_cache(maxsize=1)
def _shipped_locales() -> frozenset[str]:
    return frozenset(_lines("locales.txt"))


@functools.lru_cache(maxsize=1)
def lang_defaults() -> dict[str, str]:
    with open(DATA_DIR / "lang-defaults.toml", "rb") as fh:
        return dict(tomllib.load(fh)["defaults"])


@functools.lru_cache(maxsize=1)
def _shipped_firewall_services() -> frozenset[str]:
    return frozenset(_lines("firewalld-services.txt"))


def locales(product: Product | None = None) -> frozenset[str]:
    listed = (product.system.get("locales") if product is not None else None) or ()
    return frozenset(listed) or _shipped_locales()


def firewall_services(product: Product | None = None) -> frozenset[str]:
    listed = (product.security.get("firewall_services") if product is not None else None) or ()
    return frozenset(listed) or _shipped_firewall_services()


def normalize_locale(name: str) -> str:
    """The spelling used in the lists: 'en_US.utf8' -> 'en_US.UTF-8'."""
    base, at, modifier = name.partition("@")
    lang, dot, charset = base.partition(".")
    if dot and charset.lower().replace("-", "") == "utf8":
        charset = "UTF-8"
    return f"{lang}{dot}{charset}{at}{modifier}"


def full_locale(name: str) -> str:
    """What `lang NAME` means, as in Anaconda: 'en' -> 'en_US.UTF-8', 'en_US' -> 'en_US.UTF-8'."""
    if name in lang_defaults():
        return lang_defaults()[name]
    if _TERRITORY.match(name):
        return f"{name}.UTF-8"
    return normalize_locale(name)


def locale_exists(name: str, product: Product | None = None) -> bool:
    if name in ("C", "POSIX") or name.upper() in ("C.UTF-8", "C.UTF8"):
        return True
    known = locales(product)
    name = normalize_locale(name)
    base, at, modifier = name.partition("@")
    return name in known or ("." not in base and f"{base}.UTF-8{at}{modifier}" in known)


def package_set_alias(name: str, product: Product) -> str | None:
    """The product's package set for a Fedora/RHEL group or environment id (any case), or None."""
    lowered = name.lower()
    for set_name in product.package_sets:
        if set_name.lower() == lowered:
            return set_name
    aliases = {k.lower(): v for k, v in (product.raw.get("package_set_aliases") or {}).items()}
    target = aliases.get(lowered)
    return target if target in product.package_sets else None
