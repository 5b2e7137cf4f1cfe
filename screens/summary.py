"""The last look before anything is written: what will be erased, created and configured."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Static

from installer.model.secrets import redact_urls
from screens.widgets import GatedButton, StatusLine, TitleBar

CONFIRM_WORD = "erase"


def disk_line(disk) -> str:
    from installer.storage.erasure import identity

    return identity(disk)


def erase_text(preview, machine) -> str:
    """The "Will be erased" section, from the storage preview of the plan that will run."""
    from installer.storage.erasure import blank_disk_lines, confirmation_lines

    if preview.erasures:
        return "\n".join(confirmation_lines(preview.erasures))
    return "\n".join(["Nothing: the new system goes into free space.", *blank_disk_lines(preview, machine)])


def configured_lines(plan) -> list[str]:
    from installer.model.sshd import permit_root_login

    s, acc, sec = plan.system, plan.accounts, plan.security
    users = ", ".join(f"{u.name}{' (admin)' if 'wheel' in u.groups else ''}" for u in acc.users) or "none"
    nets = ", ".join(f"{d.device or 'first NIC'} {'static ' + (d.ip or '') if d.bootproto == 'static' else d.bootproto}"
                     for d in plan.network.devices) or "DHCP on wired interfaces"
    sets = ", ".join(plan.payload.packages.sets) or "core"
    extra = f" + {' '.join(plan.payload.packages.packages)}" if plan.payload.packages.packages else ""
    if plan.payload.liveimg is not None:
        sets, extra = f"image {redact_urls(plan.payload.liveimg.url)}", ""
    root = "locked" if acc.root_lock else ("password set" if acc.root_password_hash else "no password")
    return [
        f"Host name     {s.hostname or '(none: localhost)'}",
        f"Language      {s.lang}, keyboard {s.keyboard}",
        f"Time zone     {s.timezone}{', NTP off' if s.nontp else ''}",
        f"Network       {nets}",
        f"Software      {sets}{extra}",
        f"Root          {root}; SSH root login {permit_root_login(plan)}",
        f"Users         {users}; {len(acc.ssh_keys)} SSH key(s)",
        f"Security      SELinux {sec.selinux}; sshd {'on' if sec.sshd_enabled else 'off'}; "
        f"firewall {'on' if sec.firewall.enabled else 'off'}",
    ]


class SummaryChecked(Message):
    def __init__(self, errors: list[str], warnings: list[str], preview):
        super().__init__()
        self.errors = errors
        self.warnings = warnings
        self.preview = preview  # None: not planned, so nothing may start


class SummaryScreen(Screen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("f10", "install", "Install")]
    CSS = """
    SummaryScreen #erase.destroys { color: $error; text-style: bold; }
    SummaryScreen #confirm-row { height: 1; }
    SummaryScreen #problems { height: auto; max-height: 4; padding: 0 1; }
    SummaryScreen #summary-buttons { margin-top: 0; padding: 0 1; }
    SummaryScreen #confirm-row Label { width: auto; }
    SummaryScreen #confirm { width: 12; }
    """

    def compose(self) -> ComposeResult:
        yield TitleBar("Summary: review before installing")
        with VerticalScroll(classes="body", id="body"):
            yield Label("Will be erased", classes="heading first", markup=False)
            yield Static("Planning the disk layout...", id="erase", markup=False)
            yield Label("Will be created", classes="heading", markup=False)
            yield Static("Planning the disk layout...", id="created", markup=False)
            yield Label("Will be configured", classes="heading", markup=False)
            yield Static("\n".join(configured_lines(self.app.plan)), id="configured", markup=False)
        yield Static(id="problems", markup=False)
        with Horizontal(id="confirm-row"):
            yield Label(f" Type {CONFIRM_WORD} to confirm that the disks above may be erased: ", id="confirm-label",
                        markup=False)
            yield Input(id="confirm")
        with Horizontal(classes="buttons", id="summary-buttons"):
            yield GatedButton("Begin installation", waiting="not ready", id="install", disabled=True)
            yield Button("Back", id="back")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.checked = False
        self.errors: list[str] = []
        self.preview = None
        # what is erased is known only from the storage preview: until then nothing may start
        self.destructive = False
        self.query_one("#confirm-row").display = False
        self.query_one("#back").focus()
        self.check()

    @work(thread=True, exclusive=True, group="summary")
    def check(self) -> None:
        from screens import backend

        app = self.app
        errors, warnings, preview = [], [], None
        try:
            for d in backend.validate(app.plan, app.machine, app.product):
                (errors if d.is_error else warnings).append(str(d))
        except ImportError as exc:
            errors.append(f"validation unavailable: {exc}")
        if not errors:
            try:
                preview = backend.preview_storage(app.plan, app.machine, app.product)
            except Exception as exc:  # noqa: BLE001 - unplanned means not startable (fail closed)
                diags = getattr(exc, "diagnostics", None)
                errors.extend(str(d) for d in diags) if diags else errors.append(
                    f"cannot tell what the installation would erase: {type(exc).__name__}: {exc}")
        self.post_message(SummaryChecked(errors, warnings, preview))

    def on_summary_checked(self, message: SummaryChecked) -> None:
        self.checked = True
        self.errors = message.errors
        self.preview = message.preview
        if self.preview is None and not self.errors:
            self.errors = ["the disk layout was not planned: nothing can start"]
        created = self.query_one("#created", Static)
        erase = self.query_one("#erase", Static)
        if self.preview is not None:
            created.update(Text("\n".join(self.preview.actions) or "nothing"))
            erase.update(Text(erase_text(self.preview, self.app.machine)))
            self.destructive = self.preview.destroys
            erase.set_class(self.destructive, "destroys")
            self.query_one("#confirm-row").display = self.destructive
        else:
            created.update(Text("(not planned: fix the problems below)"))
            erase.update(Text("(unknown: the disk layout could not be planned)"))
        problems = [f"error: {e}" for e in message.errors] + [f"warning: {w}" for w in message.warnings]
        self.query_one("#problems", Static).update(Text("\n".join(problems), style="bold red" if message.errors else "yellow"))
        self.sync_button()
        if message.errors:
            self.query_one(StatusLine).show("The plan has errors: go Back and fix them.", "error")
        elif self.destructive:
            self.query_one(StatusLine).show(f"Type {CONFIRM_WORD} in the box to enable Begin installation.")
            self.query_one("#confirm").focus()
        else:
            self.query_one(StatusLine).show("Ready.", "ok")
            self.query_one("#install").focus()

    def confirmed(self) -> bool:
        return not self.destructive or self.query_one("#confirm", Input).value.strip().lower() == CONFIRM_WORD

    def sync_button(self) -> None:
        ready = self.checked and self.preview is not None and not self.errors and self.confirmed()
        self.query_one("#install", Button).disabled = not ready

    def on_input_changed(self, event: Input.Changed) -> None:
        self.sync_button()
        if self.checked and not self.errors and self.destructive:
            if self.confirmed():
                self.query_one(StatusLine).show("Confirmed. F10 (or Begin installation) starts the installation.", "ok")
            else:
                self.query_one(StatusLine).show(f"Type {CONFIRM_WORD} in the box to enable Begin installation.")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not self.query_one("#install", Button).disabled:
            self.query_one("#install").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "install":
            self.action_install()
        else:
            self.action_back()

    def action_back(self) -> None:
        self.dismiss()

    def action_install(self) -> None:
        if self.query_one("#install", Button).disabled:
            self.app.bell()
            return
        self.app.begin_install()
