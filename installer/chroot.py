"""What the target root contains: its tools, its distribution family, its units.

Paths are resolved inside the target (an absolute symlink such as /sbin -> /usr/sbin
means the target's /usr/sbin, never the live environment's), so a step can ask
"does the target have useradd?" before running it through chroot.
"""

from __future__ import annotations

import os
from pathlib import Path

BIN_DIRS = ("/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin")
UNIT_DIRS = ("/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system")
FEDORA_IDS = {"fedora", "rhel", "centos", "azurelinux", "mariner", "almalinux", "rocky"}
DEBIAN_IDS = {"debian", "ubuntu"}


def resolve(target: Path, inside: str, _depth: int = 0) -> Path:
    """The host path of `inside`, following symlinks within the target root."""
    target = Path(target)
    current = target
    parts = [p for p in inside.split("/") if p and p != "."]
    while parts:
        part = parts.pop(0)
        if part == "..":
            current = current.parent if current != target else target
            continue
        candidate = current / part
        if candidate.is_symlink():
            if _depth > 40:
                return candidate
            link = os.readlink(candidate)
            rest = "/".join(parts)
            if link.startswith("/"):
                return resolve(target, link + "/" + rest, _depth + 1)
            rel = os.path.relpath(current, target)
            base = "" if rel == "." else rel
            return resolve(target, "/" + base + "/" + link + "/" + rest, _depth + 1)
        current = candidate
    return current


def exists(target: Path, inside: str) -> bool:
    return os.path.lexists(resolve(target, inside))


def find_tool(target: Path, *names: str) -> str | None:
    """The path inside the target of the first of `names` found in its bin directories."""
    for name in names:
        for d in BIN_DIRS:
            host = resolve(target, f"{d}/{name}")
            if host.is_file() and os.access(host, os.X_OK):
                return f"{d}/{name}"
    return None


def os_release(target: Path) -> dict[str, str]:
    for inside in ("/etc/os-release", "/usr/lib/os-release"):
        path = resolve(target, inside)
        if path.is_file():
            out: dict[str, str] = {}
            for line in path.read_text(errors="replace").splitlines():
                if "=" in line and not line.lstrip().startswith("#"):
                    key, _, value = line.partition("=")
                    out[key.strip()] = value.strip().strip('"').strip("'")
            return out
    return {}


def family(target: Path) -> str:
    """'fedora' (Azure Linux, RHEL...), 'debian' (Debian, Ubuntu) or 'unknown'."""
    info = os_release(target)
    ids = {info.get("ID", "").lower(), *info.get("ID_LIKE", "").lower().split()}
    if ids & FEDORA_IDS:
        return "fedora"
    if ids & DEBIAN_IDS:
        return "debian"
    if exists(target, "/usr/bin/rpm") and not exists(target, "/usr/bin/dpkg"):
        return "fedora"
    if exists(target, "/usr/bin/dpkg"):
        return "debian"
    return "unknown"


def unit_file(target: Path, unit: str) -> Path | None:
    """The host path of a unit file (or alias symlink) in the target; templates count for instances."""
    names = [unit]
    if "@" in unit:
        prefix, _, rest = unit.partition("@")
        suffix = rest.rsplit(".", 1)[-1] if "." in rest else "service"
        names.append(f"{prefix}@.{suffix}")
    for d in UNIT_DIRS:
        base = resolve(target, d)
        for name in names:
            path = base / name  # not followed: an alias symlink must stay visible as one
            if os.path.lexists(path):
                return path
    return None


def unit_aliases(target: Path) -> dict[str, str]:
    """Alias= names declared by the target's unit files, mapped to the real unit name."""
    out: dict[str, str] = {}
    for d in UNIT_DIRS[1:]:
        base = resolve(target, d)
        if not base.is_dir():
            continue
        for path in base.iterdir():
            if path.is_symlink() or not path.is_file() or "." not in path.name:
                continue
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                if line.strip().startswith("Alias="):
                    for alias in line.split("=", 1)[1].split():
                        out.setdefault(alias, path.name)
    return out


def kernels(target: Path) -> list[str]:
    """Kernel versions installed in the target (those with a vmlinuz under the modules tree or /boot)."""
    found: set[str] = set()
    mods = resolve(target, "/usr/lib/modules")
    if not mods.is_dir():
        mods = resolve(target, "/lib/modules")
    if mods.is_dir():
        for d in mods.iterdir():
            if (d / "vmlinuz").exists() or resolve(target, f"/boot/vmlinuz-{d.name}").exists():
                found.add(d.name)
    return sorted(found)
