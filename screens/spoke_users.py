"""Root account and users: passwords with quality feedback, an administrator, SSH keys."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

from installer.validate.password import check
from installer.model.plan import TUI, SshKey, User
from screens import backend
from screens.spoke import FieldError, Spoke
from screens.widgets import Check, MaskedInput

USERNAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
RESERVED = {"root", "bin", "daemon", "adm", "lp", "sync", "shutdown", "halt", "mail", "operator", "games", "ftp",
            "nobody", "systemd-network", "dbus", "polkitd", "sshd", "chrony", "tss", "wheel"}
KEY_TYPES = ("ssh-rsa", "ssh-ed25519", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


def parse_keys(text: str) -> list[str]:
    """Public keys from pasted text, or from a file when the text is a path (e.g. on a USB stick)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("/") and "\n" not in text and " " not in text:
        path = Path(text)
        try:
            text = path.read_text()
        except OSError as exc:
            raise FieldError(f"SSH keys: cannot read {path}: {exc.strerror or exc}", "ssh-keys") from None
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        kind = next((i for i, p in enumerate(parts) if p in KEY_TYPES), None)
        if kind is None or kind + 1 >= len(parts):
            raise FieldError(f"SSH keys: not an SSH public key: {line[:40]}...", "ssh-keys")
        try:
            base64.b64decode(parts[kind + 1], validate=True)
        except (binascii.Error, ValueError):
            raise FieldError(f"SSH keys: the key data of {parts[kind]} is not base64 (copied whole?)", "ssh-keys") from None
        keys.append(line)
    return keys


class UsersSpoke(Spoke):
    TITLE_TEXT = "Root account and users"
    CSS = """
    UsersSpoke .row Label { width: 22; }
    UsersSpoke .quality { padding-left: 22; height: 1; }
    """

    def compose_body(self) -> ComposeResult:
        acc = self.plan.accounts
        admin = self.existing_user()
        keep = "(set; leave empty to keep)"
        yield Label("Root account", classes="heading first", markup=False)
        with Horizontal(classes="row"):
            yield Label("Root password:", markup=False)
            yield MaskedInput(placeholder=keep if acc.root_password_hash else "", id="root-pw")
        with Horizontal(classes="row"):
            yield Label("Confirm:", markup=False)
            yield MaskedInput(id="root-pw2")
        yield Static("", id="root-quality", classes="quality")
        yield Check("Lock the root account (log in as the administrator)", acc.root_lock, id="root-lock")
        yield Check("Allow root to log in over SSH with a password", acc.root_allow_ssh, id="root-ssh")
        yield Label("Administrator", classes="heading", markup=False)
        with Horizontal(classes="row"):
            yield Label("Full name:", markup=False)
            yield Input(admin.gecos or "" if admin else "", id="user-gecos")
        with Horizontal(classes="row"):
            yield Label("User name:", markup=False)
            yield Input(admin.name if admin else "", placeholder="e.g. admin", id="user-name")
        with Horizontal(classes="row"):
            yield Label("Password:", markup=False)
            yield MaskedInput(placeholder=keep if admin and admin.password_hash else "", id="user-pw")
        with Horizontal(classes="row"):
            yield Label("Confirm:", markup=False)
            yield MaskedInput(id="user-pw2")
        yield Static("", id="user-quality", classes="quality")
        yield Check("Make this user an administrator (wheel group, sudo)", admin is None or "wheel" in admin.groups,
                    id="user-admin")
        yield Label("SSH public keys for the administrator (or root if none)", classes="heading", markup=False)
        yield Input(placeholder="paste a key, or a file path such as /run/media/usb/id_ed25519.pub", id="ssh-keys")
        owners = sorted({k.username for k in acc.ssh_keys})
        yield Static(Text(f"Keys already set for: {', '.join(owners)}" if owners else "", style="dim"), id="keys-known")

    def on_mount(self) -> None:
        self.weak_ok: set[str] = set()
        self.query_one("#root-pw").focus()

    def existing_user(self) -> User | None:
        users = self.plan.accounts.users
        admins = [u for u in users if "wheel" in u.groups]
        return (admins or users or [None])[0]

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id in ("root-pw", "user-pw"):
            which = event.input.id.split("-")[0]
            name = "root" if which == "root" else self.query_one("#user-name", Input).value
            self.weak_ok.discard(which)
            q = check(event.value, name)
            widget = self.query_one(f"#{which}-quality", Static)
            if not event.value:
                widget.update("")
            else:
                bar = "#" * q.score + "." * (5 - q.score)
                widget.update(Text(f"[{bar}] {q.describe()}", style="red" if q.weak else "green"))

    def _password(self, which: str, label: str, user: str) -> str | None:
        pw = self.query_one(f"#{which}-pw", Input).value
        confirm = self.query_one(f"#{which}-pw2", Input).value
        if not pw and not confirm:
            return None
        if pw != confirm:
            raise FieldError(f"{label}: the passwords do not match", f"{which}-pw2")
        q = check(pw, user)
        if q.weak and which not in self.weak_ok:
            self.weak_ok.add(which)
            raise FieldError(f"{label} is weak ({'; '.join(q.problems) or q.label}). Press Esc again to use it anyway.",
                             f"{which}-pw")
        return pw

    def apply(self) -> None:
        acc = self.plan.accounts
        name = self.query_one("#user-name", Input).value.strip()
        root_pw = self._password("root", "Root password", "root")
        if name:
            if not USERNAME.match(name):
                raise FieldError("User name: lower-case letters, digits, '-' and '_', starting with a letter",
                                 "user-name")
            if name in RESERVED:
                raise FieldError(f"User name: {name} is reserved for the system", "user-name")
        user_pw = self._password("user", "Administrator password", name) if name else None
        keys = parse_keys(self.query_one("#ssh-keys", Input).value)
        old = self.existing_user()
        old_same = old if old is not None and old.name == name else None
        if name and user_pw is None and not (old_same and old_same.password_hash) and not keys \
                and not any(k.username == name for k in acc.ssh_keys):
            raise FieldError(f"Password: set a password for {name} (or paste an SSH key below)", "user-pw")
        # Hash only once everything is known to be acceptable; plaintext goes no further.
        if root_pw is not None:
            acc.set("root_password_hash", backend.hash_password(root_pw), TUI)
        lock = self.query_one("#root-lock", Check).value
        if lock != acc.root_lock:
            acc.set("root_lock", lock, TUI)
        allow = self.query_one("#root-ssh", Check).value
        if allow != acc.root_allow_ssh:
            acc.set("root_allow_ssh", allow, TUI)
        users = [u for u in acc.users if old is None or u is not old]
        if name:
            user = old_same or User(name=name, origin=TUI)
            groups = [g for g in user.groups if g != "wheel"]
            if self.query_one("#user-admin", Check).value:
                groups.insert(0, "wheel")
            user.groups = groups
            user.gecos = self.query_one("#user-gecos", Input).value.strip() or None
            if user_pw is not None:
                user.password_hash = backend.hash_password(user_pw)
            users.insert(0, user)
        acc.set("users", users, TUI)
        if keys:
            owner = name or "root"
            kept = [k for k in acc.ssh_keys if k.username != owner or k.key not in keys]
            acc.set("ssh_keys", kept + [SshKey(username=owner, key=k, origin=TUI) for k in keys], TUI)
        for wid in ("#root-pw", "#root-pw2", "#user-pw", "#user-pw2"):
            self.query_one(wid, Input).value = ""
