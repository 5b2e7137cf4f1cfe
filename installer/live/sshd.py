"""inst.sshd: sshd in the live environment. Accounts come from the kickstart's sshpw lines
(a hashed or plaintext password, never empty, or --sshkey keys) and from inst.sshkey=URL (keys
for the `install` account). Every such account is uid 0 in the live system only and its SSH
session is forced into the console launcher (`azl-install console --ssh`): the TUI, or the
monitor when another console runs the install. Nothing here writes a plaintext password:
plaintext sshpw passwords are hashed (SHA-512 crypt) before they reach /etc/shadow."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_USER = "install"
SESSION = "/usr/libexec/azl-install/ssh-session"
CONFIG = "etc/ssh/sshd_config.d/01-azl-install.conf"
KEYS_DIR = "run/azl-install/ssh/authorized_keys"
_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")


class SshSetupError(Exception):
    pass


@dataclass
class SshAccount:
    username: str
    password_hash: str | None = None  # crypt(3) hash; None: no password login
    keys: list[str] = field(default_factory=list)
    origin: str = ""


def _command_lines(text: str):
    in_section = False
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("%end"):
            in_section = False
        elif stripped.startswith("%") and not stripped.startswith("%include"):
            in_section = True
        elif not in_section and stripped and not stripped.startswith("#"):
            yield number, stripped


def accounts_from_kickstart(text: str, filename: str = "ks.cfg") -> tuple[list[SshAccount], list[str]]:
    """The sshpw accounts of a kickstart, and FILE:LINE errors for the unusable ones."""
    found: dict[str, SshAccount] = {}
    errors: list[str] = []
    for number, line in _command_lines(text):
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        if not words or words[0] != "sshpw":
            continue
        where = f"{filename}:{number}"
        username, crypted, plaintext, lock, is_key, values = None, False, False, False, False, []
        args = iter(words[1:])
        for word in args:
            if word.startswith("--username="):
                username = word.split("=", 1)[1]
            elif word == "--username":
                username = next(args, None)
            elif word == "--iscrypted":
                crypted = True
            elif word == "--plaintext":
                plaintext = True
            elif word == "--lock":
                lock = True
            elif word == "--sshkey":
                is_key = True
            elif word.startswith("--"):
                errors.append(f"{where}: sshpw: unknown option {word}")
            else:
                values.append(word)
        if not username or not _NAME.match(username):
            errors.append(f"{where}: sshpw needs --username=NAME (a valid user name)")
            continue
        if crypted and plaintext:
            errors.append(f"{where}: sshpw: --iscrypted and --plaintext exclude each other")
            continue
        secret = " ".join(values) if is_key else (values[0] if len(values) == 1 else None)
        if not secret:
            errors.append(f"{where}: sshpw --username={username}: "
                          + ("no key given" if is_key else "the password is missing or empty"))
            continue
        if is_key and not secret.startswith(("ssh-", "ecdsa-", "sk-")):
            errors.append(f"{where}: sshpw --sshkey: not an OpenSSH public key")
            continue
        if crypted and not is_key and not lock and (not secret.startswith("$") or secret.count("$") < 3):
            errors.append(f"{where}: sshpw --iscrypted: not a crypt(3) hash")
            continue
        account = found.setdefault(username, SshAccount(username, origin=where))
        if is_key:
            account.keys.append(secret)
        elif lock:
            account.password_hash = None
        elif crypted:
            account.password_hash = secret
        else:
            account.password_hash = hash_password(secret)
    return list(found.values()), errors


def hash_password(plain: str) -> str:
    """SHA-512 crypt of a plaintext password (openssl passwd -6; the password goes through a pipe)."""
    if not plain:
        raise SshSetupError("an empty password is never set")
    res = subprocess.run(["openssl", "passwd", "-6", "-salt", secrets.token_hex(8), "-stdin"],
                         input=plain + "\n", capture_output=True, text=True)
    hashed = res.stdout.strip()
    if res.returncode != 0 or not hashed.startswith("$6$"):
        raise SshSetupError(f"cannot hash the sshpw password: {res.stderr.strip() or 'openssl failed'}")
    return hashed


def merge_keys(accounts: list[SshAccount], keys_text: str, username: str = DEFAULT_USER) -> list[str]:
    """Adds the keys of an inst.sshkey= file to `username`; returns the lines that are not keys."""
    bad = []
    keys = []
    for line in keys_text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        (keys if line.startswith(("ssh-", "ecdsa-", "sk-")) else bad).append(line)
    if keys:
        account = next((a for a in accounts if a.username == username), None)
        if account is None:
            account = SshAccount(username, origin="inst.sshkey")
            accounts.append(account)
        account.keys += keys
    return bad


def sshd_config(accounts: list[SshAccount]) -> str:
    names = ",".join(a.username for a in accounts)
    password = "yes" if any(a.password_hash for a in accounts) else "no"
    return "\n".join([
        "# Written by azl-install for inst.sshd (live environment only).",
        "PermitEmptyPasswords no",
        f"Match User {names}",
        "    PermitRootLogin yes",
        f"    PasswordAuthentication {password}",
        "    KbdInteractiveAuthentication no",
        "    PubkeyAuthentication yes",
        f"    AuthorizedKeysFile /{KEYS_DIR}/%u",
        f"    ForceCommand {SESSION}",
        "    PermitTTY yes",
        "    AllowTcpForwarding no",
        "    X11Forwarding no",
        "",
    ])


def _replace_lines(path: Path, names: set[str], new_lines: list[str], mode: int) -> None:
    try:
        old = path.read_text().splitlines()
    except FileNotFoundError:
        old = []
    kept = [line for line in old if line.split(":", 1)[0] not in names]
    tmp = path.with_name(f".{path.name}.azl")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(kept + new_lines) + "\n")
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def apply(accounts: list[SshAccount], root: str | Path = "/") -> None:
    """Accounts in passwd/shadow, keys, the sshd_config snippet, under `root` (the live system)."""
    if not accounts:
        raise SshSetupError("inst.sshd: no account to log in with: add `sshpw --username=install ...` to the "
                            "kickstart or give inst.sshkey=URL; sshd was not started")
    for account in accounts:
        if not account.password_hash and not account.keys:
            raise SshSetupError(f"inst.sshd: {account.origin}: {account.username} has neither a password nor "
                                "a key; sshd was not started")
        if account.password_hash is not None and not account.password_hash.strip():
            raise SshSetupError("inst.sshd: an empty password is never set")
    root = Path(root)
    names = {a.username for a in accounts}
    passwd = root / "etc/passwd"
    shadow = root / "etc/shadow"
    existing = {line.split(":", 1)[0] for line in _read_lines(passwd)}
    _replace_lines(passwd, names - {"root"} if "root" in existing else names,
                   [f"{a.username}:x:0:0:Azure Linux installer:/root:/bin/sh"
                    for a in accounts if a.username != "root" or "root" not in existing], 0o644)
    _replace_lines(shadow, names, [f"{a.username}:{a.password_hash or '!'}:1::::::" for a in accounts], 0o600)
    keys_dir = root / KEYS_DIR
    keys_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(keys_dir, 0o755)
    for account in accounts:
        _replace_lines(keys_dir / account.username, set(), account.keys, 0o600)
        text = (keys_dir / account.username).read_text().strip()
        if not text:
            (keys_dir / account.username).unlink()
    config = root / CONFIG
    config.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(sshd_config(accounts))


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def host_key_fingerprints(root: str | Path = "/") -> list[str]:
    out = []
    for pub in sorted((Path(root) / "etc/ssh").glob("ssh_host_*_key.pub")):
        res = subprocess.run(["ssh-keygen", "-l", "-f", str(pub)], capture_output=True, text=True)
        if res.returncode == 0:
            out.append(res.stdout.strip())
    return out


def addresses() -> list[str]:
    res = subprocess.run(["ip", "-o", "addr", "show", "scope", "global"], capture_output=True, text=True)
    found = []
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[2] in ("inet", "inet6"):
            found.append(parts[3].split("/", 1)[0])
    return found


def banner(accounts: list[SshAccount], addrs: list[str], fingerprints: list[str]) -> str:
    user = accounts[0].username if accounts else DEFAULT_USER
    lines = ["SSH into the installer:"]
    lines += [f"  ssh {user}@{a}" for a in addrs] or ["  (no network address yet)"]
    lines.append("Host key fingerprints:")
    lines += [f"  {f}" for f in fingerprints] or ["  (none)"]
    return "\n".join(lines) + "\n"
