"""The end state of an installed disk image, read on the host without mounting anything
(sfdisk, blkid, debugfs, mtools), and what differs between two of them.

What is compared: the partition table (types, sizes in MiB), each partition's filesystem type and
label, and every file of the installed tree (/ with /boot and /boot/efi from their partitions):
type, mode, owner, symlink target and content. What cannot be equal is normalised, each for a
stated reason: filesystem and partition UUIDs become their role (<root>, <boot>, <esp>); SSH host
keys and the initramfs are compared by presence and mode (fresh keys and a build timestamp per
install); zone XML by canonical form; the installer's own record (saved kickstarts, install
logs) is listed apart, since a script keeps none.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import re
import stat
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

SECTOR = 512
# (glob, reason): compared by type, mode and owner only
PRESENCE_ONLY = [
    ("etc/ssh/ssh_host_*", "fresh host keys per install"),
    ("boot/initrd.img-*", "the initramfs archive carries build timestamps"),
    ("var/lib/initramfs-tools/*", "checksum of that initramfs"),
]
# the installer's own record of the install: a script keeps none
INSTALLER_RECORD = ["root/installer-ks.cfg", "root/original-ks.cfg", "var/log/installer", "var/log/installer/*"]
SKIP_DIRS = {"lost+found", "proc", "sys", "dev", "run", "tmp"}


def _run(*argv: str) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def partitions(image: Path) -> list[dict]:
    table = json.loads(_run("sfdisk", "--json", str(image)))["partitiontable"]
    out = []
    for n, p in enumerate(table.get("partitions", []), start=1):
        offset = p["start"] * SECTOR
        info = {}
        proc = subprocess.run(["blkid", "-p", "-O", str(offset), "-o", "export", str(image)],
                              capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            key, _, value = line.partition("=")
            info[key] = value
        out.append({"number": n, "offset": offset, "mib": round(p["size"] * SECTOR / 2**20),
                    "type": p["type"], "name": p.get("name", ""), "partuuid": p.get("uuid", ""),
                    "fstype": info.get("TYPE", ""), "label": info.get("LABEL", ""), "uuid": info.get("UUID", "")})
    return out


def _extract(image: Path, part: dict, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    if part["fstype"] == "ext4":
        subprocess.run(["debugfs", "-R", f"rdump / {dest}", f"{image}?offset={part['offset']}"],
                       check=True, capture_output=True)
        # rdump puts the root directory's entries straight into dest
    elif part["fstype"] == "vfat":
        subprocess.run(["mcopy", "-s", "-p", "-n", "-i", f"{image}@@{part['offset']}", "::/*", str(dest)],
                       check=True, capture_output=True)
    else:
        raise RuntimeError(f"partition {part['number']}: cannot read {part['fstype'] or 'no'} filesystem")


def extract_tree(image: Path, work: Path) -> tuple[Path, list[dict], dict[str, str]]:
    """The installed tree of `image` under work/root, its partitions, and UUID -> role names."""
    parts = [p for p in partitions(image) if p["fstype"] in ("ext4", "vfat")]
    for p in parts:
        _extract(image, p, work / f"p{p['number']}")
    root_part = next((p for p in parts if (work / f"p{p['number']}" / "etc/fstab").is_file()), None)
    if root_part is None:
        raise RuntimeError(f"{image}: no partition holds /etc/fstab")
    root = work / "root"
    (work / f"p{root_part['number']}").rename(root)
    roles = {root_part["uuid"]: "<root>", root_part["partuuid"].lower(): "<root-part>"}
    by_uuid = {p["uuid"]: p for p in parts}
    for line in (root / "etc/fstab").read_text().splitlines():
        words = line.split()
        if len(words) < 2 or words[0].startswith("#") or words[1] == "/" or not words[0].startswith("UUID="):
            continue
        part = by_uuid.get(words[0][5:])
        if part is None:
            continue
        where = root / words[1].lstrip("/")
        if where.is_dir() and not any(where.iterdir()):
            where.rmdir()
        (work / f"p{part['number']}").rename(where)  # fstab lists parents first
        role = "<" + (words[1].strip("/").replace("/", "-") or "root") + ">"
        roles[part["uuid"]] = role
        roles[part["partuuid"].lower()] = role[:-1] + "-part>"
    return root, parts, roles


DRIVE_HINT = re.compile(rb"\b(hd|ahci|ata|virtio|nvme)\d+,")


def _normalise(data: bytes, roles: dict[str, str], rel: str = "") -> bytes:
    for uuid, role in roles.items():
        if uuid:
            for form in (uuid, uuid.upper(), uuid.lower()):
                data = data.replace(form.encode(), role.encode())
    if rel.startswith("boot/"):
        data = DRIVE_HINT.sub(rb"\1N,", data)
    return data


def manifest(root: Path, roles: dict[str, str]) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    for top, dirs, files in os.walk(root):
        rel_top = os.path.relpath(top, root)
        if rel_top == ".":
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in [*dirs, *files]:
            path = os.path.join(top, name)
            rel = os.path.normpath(os.path.join(rel_top, name))
            st = os.lstat(path)
            kind = stat.S_IFMT(st.st_mode)
            entry: tuple = (kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
            if stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(path),)
            elif stat.S_ISREG(st.st_mode) and not any(fnmatch.fnmatch(rel, g) for g, _ in PRESENCE_ONLY):
                data = Path(path).read_bytes()
                if rel.endswith(".xml") and rel.startswith("etc/firewalld/"):
                    data = _canonical_xml(data)
                entry += (hashlib.sha256(_normalise(data, roles, rel)).hexdigest(),)
            out[rel] = entry
    return out


def _canonical_xml(data: bytes) -> bytes:
    try:
        return ET.canonicalize(data.decode(), strip_text=True).encode()
    except ET.ParseError:
        return data


def _describe(entry: tuple | None) -> str:
    if entry is None:
        return "absent"
    kinds = {stat.S_IFREG: "file", stat.S_IFDIR: "dir", stat.S_IFLNK: "link"}
    text = f"{kinds.get(entry[0], oct(entry[0]))} {entry[1]:o} {entry[2]}:{entry[3]}"
    return text + (f" {entry[4][:80] if entry[0] == stat.S_IFLNK else entry[4][:12]}" if len(entry) > 4 else "")


def differences(ref_image: Path, inst_image: Path, keep: Path | None = None) -> tuple[list[str], list[str]]:
    """(what differs between the two installed disks, the installer's own record). Empty first
    list: the same end state."""
    diffs: list[str] = []
    with tempfile.TemporaryDirectory(prefix="azl-endstate-", dir=keep) as tmp:
        trees = {}
        for who, image in (("reference", ref_image), ("installer", inst_image)):
            root, parts, roles = extract_tree(image, Path(tmp) / who)
            trees[who] = (manifest(root, roles), parts)
        (ref, ref_parts), (inst, inst_parts) = trees["reference"], trees["installer"]
        if len(ref_parts) != len(inst_parts):
            diffs.append(f"partitions: reference has {len(ref_parts)}, installer {len(inst_parts)}")
        for a, b in zip(ref_parts, inst_parts):
            if abs(a["mib"] - b["mib"]) > 1:
                diffs.append(f"partition {a['number']} size: reference {a['mib']} MiB, installer {b['mib']} MiB")
            for key in ("type", "fstype", "label", "name"):
                if a[key] != b[key]:
                    diffs.append(f"partition {a['number']} {key}: reference {a[key]!r}, installer {b[key]!r}")
        record = sorted(p for p in inst if any(fnmatch.fnmatch(p, g) for g in INSTALLER_RECORD) and p not in ref)
        for path in sorted(set(ref) | set(inst)):
            if path in record:
                continue
            if ref.get(path) != inst.get(path):
                diffs.append(f"/{path}: reference {_describe(ref.get(path))}, installer {_describe(inst.get(path))}")
    return diffs, record
