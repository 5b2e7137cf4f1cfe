"""Account checks: user names, hashes, SSH keys, and that someone can log in."""

from __future__ import annotations

import base64
import binascii
import re
import struct

from installer.model.plan import InstallPlan, Origin
from installer.model.syntax import user_field_problems
from installer.validate.common import Report, origin, where

# useradd (shadow-utils) as Fedora builds it, minus what breaks tools: no leading '-',
# not all digits, at most 32 characters, an optional trailing '$' (Samba machine accounts).
USERNAME = re.compile(r"^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,30}[A-Za-z0-9_.$-]?$")
RESERVED_USERS = frozenset({
    "root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "operator", "games", "ftp",
    "nobody", "dbus", "tss", "sshd", "chrony", "polkitd", "systemd-network", "systemd-resolve",
    "systemd-timesync", "systemd-coredump", "systemd-oom", "systemd-journal", "unbound", "rpc", "rpcuser",
})
CRYPT_HASH = re.compile(
    r"^(\$(1|5|6|md5|sha1|2[abxy]|y|gy|7)\$[^\s:]+|[./0-9A-Za-z]{13})$"
)
SSH_KEY_TYPES = (
    "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss",
)
UID_MAX = 2**32 - 2


def username_problem(name: str) -> str | None:
    if not name:
        return "is empty"
    if len(name) > 32:
        return f"is {len(name)} characters long (at most 32)"
    if name in (".", "..") or name.isdigit():
        return "is not allowed (all digits, '.' and '..' are refused by useradd)"
    if name.startswith("-"):
        return "must not start with '-'"
    if not USERNAME.match(name):
        bad = next((c for c in name if not (c.isascii() and (c.isalnum() or c in "_.-$"))), None)
        return f"contains {bad!r}: use letters, digits, '_', '.' and '-'" if bad else "is not valid"
    return None


def ssh_key_problem(key: str) -> str | None:
    """Why `key` is not an OpenSSH public key line, or None."""
    if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", key.strip()):  # a tab separates fields like a space
        return "contains a line break or control character: authorized_keys holds one key per line"
    fields = key.strip().split()
    if not fields:
        return "is empty"
    # authorized_keys lines may start with options (from="...",no-pty ...)
    start = next((i for i, f in enumerate(fields) if f in SSH_KEY_TYPES), None)
    if start is None:
        if fields[0].startswith("-----BEGIN"):
            return "is a private key or a PEM file; give the public key (the .pub file's line)"
        return f"does not start with a key type ({', '.join(SSH_KEY_TYPES[:3])}, ...)"
    if start + 1 >= len(fields):
        return "has no key data after its type"
    kind, blob = fields[start], fields[start + 1]
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "has key data that is not base64"
    if len(raw) < 4:
        return "has truncated key data"
    (n,) = struct.unpack(">I", raw[:4])
    if raw[4:4 + n] != kind.encode():
        return f"has key data that does not match its type {kind}"
    return None


def check_accounts(plan: InstallPlan, report: Report) -> None:
    acc = plan.accounts
    root_o = origin(acc, "root_password_hash", "root_lock")
    if acc.root_password_hash is not None and not _hash_ok(acc.root_password_hash):
        report.error("rootpw --iscrypted: the password is not a crypt(3) hash (e.g. $6$... or $y$...)", root_o)
    elif acc.root_password_hash and acc.root_password_hash.startswith("$1$"):
        report.warning("rootpw: MD5 ($1$) password hashes are weak; use SHA-512 ($6$) or yescrypt ($y$)", root_o)

    users: dict[str, Origin] = {}
    uids: dict[int, tuple[str, Origin]] = {}
    for u in plan.accounts.users:
        o = u.origin
        problem = username_problem(u.name)
        if problem:
            report.error(f"user name {u.name!r} {problem}", o)
        elif u.name in RESERVED_USERS:
            report.error(f"user name {u.name!r} is reserved for a system account", o)
        if u.name in users:
            report.error(f"user {u.name} is already defined{where(users[u.name], o)}", o)
        users.setdefault(u.name, o)
        if u.uid is not None:
            if u.uid == 0:
                report.error(f"user {u.name}: --uid=0 belongs to root", o)
            elif not 0 < u.uid <= UID_MAX:
                report.error(f"user {u.name}: --uid={u.uid} is out of range", o)
            elif u.uid < 1000:
                report.warning(f"user {u.name}: --uid={u.uid} is in the system account range (below 1000)", o)
            if u.uid in uids and uids[u.uid][0] != u.name:
                other, other_o = uids[u.uid]
                report.error(f"user {u.name}: --uid={u.uid} is already used by {other}{where(other_o, o)}", o)
            uids.setdefault(u.uid, (u.name, o))
        if u.gid is not None and not 0 <= u.gid <= UID_MAX:
            report.error(f"user {u.name}: --gid={u.gid} is out of range", o)
        for g in u.groups:
            gp = username_problem(g)
            if gp:
                report.error(f"user {u.name}: group name {g!r} {gp}", o)
        for problem in user_field_problems(u.homedir, u.shell, u.gecos):
            report.error(f"user {u.name}: {problem}", o)
        if u.password_hash is not None and not _hash_ok(u.password_hash):
            report.error(f"user {u.name}: the password is not a crypt(3) hash (e.g. $6$... or $y$...)", o)

    keyed: set[str] = set()
    for k in acc.ssh_keys:
        if k.username != "root" and k.username not in users:
            report.gap(f"sshkey --username={k.username}: no such user (define it with 'user --name="
                         f"{k.username}' or use root)", k.origin)
        problem = ssh_key_problem(k.key)
        if problem:
            report.error(f"sshkey for {k.username}: the key {problem}", k.origin)
        else:
            keyed.add(k.username)
            if k.key.split()[0] == "ssh-dss":
                report.warning("ssh-dss keys are refused by current OpenSSH; use ed25519 or rsa", k.origin)

    root_can = (not acc.root_lock and _usable(acc.root_password_hash)) or "root" in keyed
    user_can = any((not u.lock and _usable(u.password_hash)) or u.name in keyed for u in plan.accounts.users)
    if not root_can and not user_can and plan.interactive:
        report.gap("no way to log in is configured: the installer will ask for a root password or a user",
                   root_o if acc.root_lock else origin(plan, "interactive"), "accounts", "warning")
    elif not root_can and not user_can:
        blame = root_o if acc.root_lock else None
        report.gap("nobody can log in: set 'rootpw', add a 'user' with a password, or add an 'sshkey'", blame,
                   "accounts")


def _hash_ok(value: str) -> bool:
    return bool(CRYPT_HASH.match(value)) or value in ("", "!", "*") or value.startswith("!")


def _usable(value: str | None) -> bool:
    return bool(value) and not value.startswith("!") and value != "*"
