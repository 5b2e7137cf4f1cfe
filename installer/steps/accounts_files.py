"""Editing /etc/passwd, shadow, group and gshadow directly, for targets without
shadow-utils (useradd & co.). The four files are kept consistent: every user has a
shadow line, every group a gshadow line, memberships are mirrored."""

from __future__ import annotations

import os
import time
from pathlib import Path

FILES = {"passwd": 0o644, "shadow": 0o000, "group": 0o644, "gshadow": 0o000}


class AccountFiles:
    def __init__(self, etc: Path):
        self.etc = Path(etc)
        self.tables: dict[str, list[list[str]]] = {}
        for name in FILES:
            path = self.etc / name
            text = path.read_text() if path.exists() else ""
            self.tables[name] = [line.split(":") for line in text.splitlines() if line.strip()]
        self._login_defs = self._read_login_defs()

    def _read_login_defs(self) -> dict[str, str]:
        out: dict[str, str] = {}
        path = self.etc / "login.defs"
        if path.exists():
            for line in path.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 2 and not parts[0].startswith("#"):
                    out[parts[0]] = parts[1]
        return out

    # ---------------------------------------------------------------- lookups
    def user(self, name: str) -> list[str] | None:
        return next((r for r in self.tables["passwd"] if r[0] == name), None)

    def group(self, name: str) -> list[str] | None:
        return next((r for r in self.tables["group"] if r[0] == name), None)

    def group_by_gid(self, gid: int) -> list[str] | None:
        return next((r for r in self.tables["group"] if r[2] == str(gid)), None)

    def _free_id(self, table: str, column: int) -> int:
        low = int(self._login_defs.get("UID_MIN" if table == "passwd" else "GID_MIN", 1000))
        used = {int(r[column]) for r in self.tables[table] if len(r) > column and r[column].isdigit()}
        while low in used:
            low += 1
        return low

    # ---------------------------------------------------------------- changes
    def add_group(self, name: str, gid: int | None = None) -> int:
        if gid is None:
            gid = self._free_id("group", 2)
        self.tables["group"].append([name, "x", str(gid), ""])
        self.tables["gshadow"].append([name, "!", "", ""])
        return gid

    def add_user(self, name: str, *, uid: int | None, gid: int | None, gecos: str, home: str,
                 shell: str, groups: list[str]) -> tuple[int, int]:
        if uid is None:
            uid = self._free_id("passwd", 2)
        if gid is None:
            existing = self.group(name)
            gid = int(existing[2]) if existing else self.add_group(name, uid if not self.group_by_gid(uid) else None)
        elif not self.group_by_gid(gid):
            self.add_group(name, gid)
        self.tables["passwd"].append([name, "x", str(uid), str(gid), gecos, home, shell])
        days = str(int(time.time() // 86400))
        self.tables["shadow"].append([name, "!", days, "0", "99999", "7", "", "", ""])
        for g in groups:
            self.add_member(g, name)
        return uid, gid

    def add_member(self, group: str, user: str) -> None:
        if not self.group(group):
            self.add_group(group)
        for table, column in (("group", 3), ("gshadow", 3)):
            for row in self.tables[table]:
                if row[0] == group:
                    while len(row) <= column:
                        row.append("")
                    members = [m for m in row[column].split(",") if m]
                    if user not in members:
                        members.append(user)
                    row[column] = ",".join(members)

    def set_hash(self, name: str, password_hash: str) -> None:
        row = self._shadow_row(name)
        row[1] = password_hash
        row[2] = str(int(time.time() // 86400))

    def lock(self, name: str) -> None:
        row = self._shadow_row(name)
        if not row[1].startswith("!"):
            row[1] = "!" + row[1]

    def _shadow_row(self, name: str) -> list[str]:
        row = next((r for r in self.tables["shadow"] if r[0] == name), None)
        if row is None:
            if not self.user(name):
                raise KeyError(name)
            row = [name, "!", "", "0", "99999", "7", "", "", ""]
            self.tables["shadow"].append(row)
        return row

    def save(self) -> None:
        for name, mode in FILES.items():
            path = self.etc / name
            text = "".join(":".join(row) + "\n" for row in self.tables[name])
            tmp = path.with_name(f".{name}.azl-tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
            os.chmod(tmp, mode)
            os.replace(tmp, path)
