"""Root account and users: passwords with quality feedback, an administrator, SSH keys."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

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


def parse_keys(text: str, allow_path: bool = True) -> list[str]:
    """Public keys from pasted text, or from a file when the text is a path (e.g. on a USB stick).
    Text fetched from the network is never taken as a path (allow_path=False)."""
    text = text.strip()
    if not text:
        return []
    if allow_path and text.startswith("/") and "\n" not in text and " " not in text:
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


def key_line(owner: str | None, key: str) -> str:
    """One saved key, short enough for 80 columns: owner, type, the end of the key data, comment."""
    parts = key.split()
    kind = next((i for i, p in enumerate(parts) if p in KEY_TYPES), 0)
    blob = parts[kind + 1] if kind + 1 < len(parts) else ""
    comment = " ".join(parts[kind + 2:])
    who = owner or "(administrator, or root)"
    return f"{who[:24]:<25}{parts[kind]:<12} ...{blob[-12:]}  {comment}"[:74]


class KeysInput(Input):
    """The SSH key field. A paste of several lines is several keys: each line is handed to the
    spoke as it is, instead of Input's default of keeping the first line only."""

    class Pasted(Message):
        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def _on_paste(self, event: events.Paste) -> None:
        if "\n" in event.text.strip() or "\r" in event.text.strip():
            event.stop()
            self.post_message(self.Pasted(event.text))
            return
        super()._on_paste(event)


class UsersSpoke(Spoke):
    TITLE_TEXT = "Root account and users"
    CSS = """
    UsersSpoke .row Label { width: 22; }
    UsersSpoke .quality { padding-left: 22; height: 1; }
    UsersSpoke #ssh-key-list { height: auto; max-height: 6; }
    """
    BINDINGS = Spoke.BINDINGS + [Binding("delete", "remove_key", "Remove key", show=False)]

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
        yield Label("Paste keys (one per line), a file path, gh:USER, lp:USER or an https:// URL; Enter.",
                    classes="hint", markup=False)
        yield KeysInput(placeholder="ssh-ed25519 AAAA... user@host", id="ssh-keys")
        yield OptionList(id="ssh-key-list")
        yield Button("Remove selected key (Del)", id="remove-key")

    def on_mount(self) -> None:
        self.weak_ok: set[str] = set()
        # (owner, key); owner None: the administrator named on Done, or root when there is none
        self.keys: list[tuple[str | None, str]] = [(k.username, k.key) for k in self.plan.accounts.ssh_keys]
        self.fill_keys()
        self.query_one("#root-pw").focus()

    def fill_keys(self, highlight: int | None = None) -> None:
        lst = self.query_one("#ssh-key-list", OptionList)
        lst.clear_options()
        for owner, key in self.keys:
            lst.add_option(Option(Text(key_line(owner, key), no_wrap=True, overflow="crop")))
        lst.display = bool(self.keys)
        self.query_one("#remove-key").display = bool(self.keys)
        if self.keys:
            lst.highlighted = min(highlight or 0, len(self.keys) - 1)

    def add_keys(self, text: str, allow_path: bool = True) -> int:
        known = {k for _, k in self.keys}
        new = list(dict.fromkeys(k for k in parse_keys(text, allow_path) if k not in known))
        self.keys.extend((None, k) for k in new)
        self.fill_keys(len(self.keys) - 1)
        return len(new)

    def take_keys(self, text: str) -> None:
        from screens.widgets import StatusLine

        status = self.query_one(StatusLine)
        if "\n" not in text.strip():
            from installer.live.keyimport import KeyImportError, import_url

            try:
                url = import_url(text)
            except KeyImportError as exc:
                status.show(f"SSH keys: {exc}", "error")
                return
            if url is not None:
                status.show(f"Fetching SSH keys from {url} ...", "info")
                self.run_worker(lambda: self._fetch_keys(url), thread=True, group="key-import")
                return
        try:
            added = self.add_keys(text)
        except FieldError as exc:
            status.show(str(exc), "error")
            return
        self.query_one("#ssh-keys", Input).value = ""
        status.show(f"{added} SSH key(s) added; {len(self.keys)} in the list", "ok")

    def _fetch_keys(self, url: str) -> None:
        from installer.live.keyimport import KeyImportError, fetch_keys

        try:
            body = fetch_keys(url)
        except KeyImportError as exc:
            self.app.call_from_thread(self._imported, url, None, str(exc))
            return
        self.app.call_from_thread(self._imported, url, body, None)

    def _imported(self, url: str, body: str | None, error: str | None) -> None:
        from screens.widgets import StatusLine

        status = self.query_one(StatusLine)
        if error is None:
            try:
                if not parse_keys(body or "", allow_path=False):
                    error = f"no SSH public key at {url}"
                else:
                    added = self.add_keys(body or "", allow_path=False)
            except FieldError as exc:
                error = f"{url} does not serve SSH public keys ({str(exc).removeprefix('SSH keys: ')})"
        if error is not None:
            status.show(f"SSH keys: {error}", "error")
            return
        self.query_one("#ssh-keys", Input).value = ""
        status.show(f"{added} SSH key(s) imported from {url}; {len(self.keys)} in the list", "ok")

    def on_keys_input_pasted(self, message: KeysInput.Pasted) -> None:
        self.take_keys(message.text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "ssh-keys" and event.value.strip():
            event.stop()
            self.take_keys(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "remove-key":
            self.action_remove_key()

    def action_remove_key(self) -> None:
        lst = self.query_one("#ssh-key-list", OptionList)
        if lst.highlighted is None or not self.keys:
            return
        index = lst.highlighted
        owner, key = self.keys.pop(index)
        self.fill_keys(index)
        from screens.widgets import StatusLine

        self.query_one(StatusLine).show(f"SSH key removed ({key_line(owner, key).split()[-1]})", "ok")
        if not self.keys:
            self.query_one("#ssh-keys").focus()

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
        pending = self.query_one("#ssh-keys", Input).value
        if "\n" not in pending.strip():
            from installer.live.keyimport import KeyImportError, import_url

            try:
                url = import_url(pending)
            except KeyImportError as exc:
                raise FieldError(f"SSH keys: {exc}", "ssh-keys") from None
            if url is not None:
                raise FieldError(f"SSH keys: press Enter to import the keys from {url} (or clear the field)",
                                 "ssh-keys")
        self.add_keys(pending)
        self.query_one("#ssh-keys", Input).value = ""
        owner = name or "root"
        keys = [(o or owner, k) for o, k in self.keys]
        old = self.existing_user()
        old_same = old if old is not None and old.name == name else None
        if name and user_pw is None and not (old_same and old_same.password_hash) \
                and not any(o == name for o, _ in keys):
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
        before = [(k.username, k.key) for k in acc.ssh_keys]
        if keys != before:
            old_keys = {(k.username, k.key): k for k in acc.ssh_keys}
            acc.set("ssh_keys", [old_keys.get((o, k)) or SshKey(username=o, key=k, origin=TUI) for o, k in keys], TUI)
        for wid in ("#root-pw", "#root-pw2", "#user-pw", "#user-pw2"):
            self.query_one(wid, Input).value = ""
