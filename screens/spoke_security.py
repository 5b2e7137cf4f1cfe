"""Security: SELinux mode, the SSH server and its policy, the firewall."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Label, RadioSet

from installer.model.plan import TUI
from screens.spoke import Spoke
from screens.widgets import Check, Radio

SELINUX = (("enforcing", "Enforcing"), ("permissive", "Permissive (log only)"), ("disabled", "Disabled"))
ROOT_LOGIN = (("prohibit-password", "Keys only"), ("yes", "Yes"), ("no", "No"))


class SecuritySpoke(Spoke):
    TITLE_TEXT = "Security"

    def compose_body(self) -> ComposeResult:
        s = self.plan.security
        yield Label("SELinux", classes="heading first", markup=False)
        with RadioSet(id="selinux", classes="horizontal"):
            for key, title in SELINUX:
                yield Radio(title, value=(s.selinux == key), id=f"selinux-{key}")
        yield Label("SSH server", classes="heading", markup=False)
        yield Check("Enable the SSH server (sshd)", s.sshd_enabled, id="sshd")
        yield Check("Allow password authentication", s.password_authentication, id="password-auth")
        yield Label("Root login over SSH:", markup=False)
        with RadioSet(id="root-login", classes="horizontal"):
            for key, title in ROOT_LOGIN:
                yield Radio(title, value=(s.permit_root_login == key), id=f"root-{key}")
        yield Label("Firewall", classes="heading", markup=False)
        yield Check("Enable the firewall (firewalld; SSH allowed)", s.firewall.enabled, id="firewall")

    def on_mount(self) -> None:
        self.query_one("#selinux").focus()

    def _choice(self, wid: str, prefix: str, default: str) -> str:
        pressed = self.query_one(wid, RadioSet).pressed_button
        return pressed.id.removeprefix(prefix) if pressed else default

    def apply(self) -> None:
        s = self.plan.security
        values = {
            "selinux": self._choice("#selinux", "selinux-", s.selinux),
            "permit_root_login": self._choice("#root-login", "root-", s.permit_root_login),
            "sshd_enabled": self.query_one("#sshd", Check).value,
            "password_authentication": self.query_one("#password-auth", Check).value,
        }
        for field, value in values.items():
            if getattr(s, field) != value:
                s.set(field, value, TUI)
        fw = self.query_one("#firewall", Check).value
        if fw != s.firewall.enabled:
            s.firewall.set("enabled", fw, TUI)
