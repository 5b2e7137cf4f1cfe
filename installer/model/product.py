"""The product definition (Azure Linux 4.0), loaded from TOML data."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
DEFAULT_PRODUCT = "azurelinux-4.0"


@dataclass(frozen=True)
class PackageSet:
    name: str
    description: str
    packages: tuple[str, ...]


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    version: str
    releasever: str
    kickstart_version: str
    live_label: str
    os_release_id: str
    iso_repo_name: str
    iso_repo_path: str
    gpg_keys: tuple[str, ...]
    gpgcheck: bool
    default_set: str
    package_sets: dict[str, PackageSet]
    storage: dict[str, Any]
    bootloader: dict[str, Any]
    security: dict[str, Any]
    services_enabled: tuple[str, ...]
    system: dict[str, Any]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    def package_set(self, name: str) -> PackageSet | None:
        return self.package_sets.get(name)


def product_from_dict(data: dict[str, Any]) -> Product:
    p = data["product"]
    src = data["source"]
    sets = {
        name: PackageSet(name, s.get("description", ""), tuple(s.get("packages", ())))
        for name, s in data.get("package_sets", {}).items()
    }
    return Product(
        id=p["id"], name=p["name"], version=p["version"], releasever=p["releasever"],
        kickstart_version=p["kickstart_version"], live_label=p["live_label"],
        os_release_id=p["os_release_id"],
        iso_repo_name=src["iso_repo_name"], iso_repo_path=src["iso_repo_path"],
        gpg_keys=tuple(src.get("gpg_keys", ())), gpgcheck=bool(src.get("gpgcheck", True)),
        default_set=src["default_set"], package_sets=sets,
        storage=dict(data["storage"]), bootloader=dict(data.get("bootloader", {})),
        security=dict(data["security"]), services_enabled=tuple(data["services"]["enabled"]),
        system=dict(data["system"]), raw=data,
    )


@functools.lru_cache(maxsize=None)
def load_product(name_or_path: str = DEFAULT_PRODUCT) -> Product:
    path = Path(name_or_path)
    if not name_or_path.endswith(".toml"):
        path = DATA_DIR / f"{name_or_path}.toml"
    with open(path, "rb") as fh:
        return product_from_dict(tomllib.load(fh))
