"""The hub: every area of the plan with its status; Begin installation when nothing is missing."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from installer.model.status import ready
from screens.console import MIN_HEIGHT, MIN_WIDTH
from screens.widgets import GatedButton, StatusLine, TitleBar


def spoke_for(key: str):
    if key == "language":
        from screens.spoke_language import LanguageSpoke as cls
    elif key == "time":
        from screens.spoke_time import TimeSpoke as cls
    elif key == "destination":
        from screens.spoke_destination import DestinationSpoke as cls
    elif key == "software":
        from screens.spoke_software import SoftwareSpoke as cls
    elif key == "network":
        from screens.spoke_network import NetworkSpoke as cls
    elif key == "users":
        from screens.spoke_users import UsersSpoke as cls
    elif key == "security":
        from screens.spoke_security import SecuritySpoke as cls
    else:
        raise KeyError(key)
    return cls()


def ks_text(messages: list[str]) -> Text:
    """The kickstart's warnings, in the hub itself: a pop-up would cover the status line."""
    text = Text(no_wrap=True, overflow="crop")
    for msg in messages[:2]:
        text.append(f"Kickstart: {msg}\n", style="bold")
    if len(messages) > 2:
        text.append(f"... and {len(messages) - 2} more kickstart warning(s)\n")
    text.rstrip()
    return text


STATUS_CLASSES = {"error": "-error", "ok": "-ok"}


def area_options(statuses) -> list[Option]:
    options = []
    for n, s in enumerate(statuses, 1):
        prompt = Text(no_wrap=True, overflow="crop")
        style = "bold red" if s.state == "missing" else ("bold" if s.state == "done" else "")
        prompt.append(f"{n}) ")
        prompt.append(s.mark, style=style)
        prompt.append(f" {s.title}\n")
        summary = s.summary if len(s.summary) <= 70 else s.summary[:67] + "..."
        prompt.append(f"       {summary}", style="dim" if s.state != "missing" else "red")
        options.append(Option(prompt, id=s.key))
    return options


class HubScreen(Screen):
    BINDINGS = [
        Binding("f10", "begin", "Begin install"),
        Binding("f2", "save_kickstart", "Save kickstart"),
        Binding("f3", "quit", "Quit"),
        Binding("f5", "reinstall", "Reinstall as before"),
    ] + [Binding(str(n), f"open_number({n})", show=False) for n in range(1, 8)]

    def compose(self) -> ComposeResult:
        # Built with its content so the first paint needs no restyling.
        self.statuses = self.app.statuses()
        message, kind = self.status_message(self.statuses)
        yield TitleBar("Installation summary")
        with Vertical(classes="body"):
            yield Label("Choose an item with Up/Down and Enter (or its number). [!] must be completed.",
                        classes="hint", markup=False)
            if self.app.ks_messages:
                yield Static(ks_text(self.app.ks_messages), id="ks-messages", markup=False)
            yield Static(previous_text(self.app.previous), id="previous", markup=False)
            yield OptionList(*area_options(self.statuses), id="areas")
            with Horizontal(classes="buttons"):
                yield GatedButton("Begin installation", waiting="complete [!] first", id="begin", classes="-primary",
                                  disabled=not self.can_begin(self.statuses))
                yield Button("Reinstall as before", id="reinstall")
                yield Button("Save kickstart", id="save-ks")
                yield Button("Quit", id="quit")
        yield StatusLine(Text(message), id="status", classes=STATUS_CLASSES.get(kind, ""))
        yield Footer()

    def on_mount(self) -> None:
        self.previous_changed()
        areas = self.query_one("#areas", OptionList)
        areas.highlighted = 0
        areas.focus()
        self.call_after_refresh(self.app.first_paint)

    def on_screen_resume(self) -> None:
        if getattr(self, "_resumed_before", False):  # the first resume is the first show: composed fresh
            self.refresh_status()
        self._resumed_before = True

    def previous_changed(self) -> None:
        found = bool(self.app.previous)
        self.query_one("#previous", Static).update(previous_text(self.app.previous))
        self.query_one("#previous").display = found
        self.query_one("#reinstall").display = found
        self.refresh_bindings()

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "reinstall":
            return bool(self.app.previous)  # no earlier install: no key in the footer
        return True

    def action_reinstall(self) -> None:
        installs = list(self.app.previous)
        if not installs:
            self.app.bell()
            return
        if len(installs) == 1:
            start_reinstall(self.app, installs[0])
        else:
            self.app.push_screen(ChoosePreviousScreen(installs))

    def can_begin(self, statuses) -> bool:
        return ready(statuses) and self.app.machine is not None

    def status_message(self, statuses) -> tuple[str, str]:
        if self.app.machine is None:
            return "Probing disks and network interfaces...", "info"
        if not self.can_begin(statuses):
            todo = ", ".join(s.title for s in statuses if s.state == "missing")
            return f"Before installing, complete: {todo}", "error"
        if self.app.validation_error:
            return self.app.validation_error, "info"
        return "Ready to install. Review the summary with Begin installation (F10).", "ok"

    def refresh_status(self) -> None:
        statuses = self.app.statuses()
        self.statuses = statuses
        areas = self.query_one("#areas", OptionList)
        highlighted = areas.highlighted
        areas.clear_options()
        areas.add_options(area_options(statuses))
        areas.highlighted = highlighted if highlighted is not None else 0
        self.query_one("#begin", Button).disabled = not self.can_begin(statuses)
        self.query_one(StatusLine).show(*self.status_message(statuses))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.open_area(event.option.id)

    def action_open_number(self, n: int) -> None:
        statuses = getattr(self, "statuses", None) or self.app.statuses()
        if 1 <= n <= len(statuses):
            self.open_area(statuses[n - 1].key)

    def open_area(self, key: str) -> None:
        if self.app.machine is None and key in ("destination", "network"):
            self.app.notify("Still probing the machine; try again in a moment.")
            return
        self.app.push_screen(spoke_for(key))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "begin":
            self.action_begin()
        elif event.button.id == "reinstall":
            self.action_reinstall()
        elif event.button.id == "save-ks":
            self.action_save_kickstart()
        elif event.button.id == "quit":
            self.action_quit()

    def action_begin(self) -> None:
        if self.query_one("#begin", Button).disabled:
            self.app.bell()
            return
        from screens.summary import SummaryScreen

        self.app.push_screen(SummaryScreen())

    def action_save_kickstart(self) -> None:
        self.app.push_screen(SaveKickstartScreen())

    def action_quit(self) -> None:
        self.app.push_screen(ConfirmQuitScreen())


def previous_text(installs) -> Text:
    text = Text(no_wrap=True, overflow="crop")
    for prev in installs[:2]:
        text.append("Found: ", style="bold")
        text.append(f"{prev.describe()}. F5 reinstalls it as before.\n")
    text.rstrip()
    return text


def start_reinstall(app, previous) -> None:
    """The saved kickstart of `previous` becomes the plan; the summary (what is erased, typed
    confirmation) follows, after the passphrase when the saved kickstart encrypts volumes."""
    from installer.kickstart.replay import needs_passphrase, replay_plan, without_passphrase_errors

    result = replay_plan(previous.kickstart, f"{previous.device}:/root/installer-ks.cfg", previous.disks,
                         app.product)
    errors = [d for d in without_passphrase_errors(result.diagnostics) if d.is_error]
    if result.plan is None or errors:
        app.notify(f"The saved kickstart on {previous.device} cannot be replayed: "
                   + "; ".join(str(d) for d in errors[:3]), severity="error", timeout=20)
        return
    plan = result.plan
    plan.interactive = True

    def go(passphrase: str | None) -> None:
        if passphrase is None and needs_passphrase(plan):
            return  # cancelled
        if passphrase is not None:
            from installer.kickstart.replay import fill_passphrase

            fill_passphrase(plan, passphrase)
        app.plan = plan
        app.ks_messages = []
        app.plan_changed()
        app.notify(f"Settings of {previous.describe()} loaded: confirm what is erased to reinstall.")
        from screens.summary import SummaryScreen

        app.push_screen(SummaryScreen())

    if needs_passphrase(plan):
        app.push_screen(PassphraseScreen(previous.describe()), go)
    else:
        go(None)


class ChoosePreviousScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    CSS = """
    ChoosePreviousScreen { align: center middle; }
    ChoosePreviousScreen > Vertical { width: 76; height: auto; border: double $accent; padding: 0 1; background: $surface; }
    ChoosePreviousScreen OptionList { height: auto; max-height: 8; }
    """

    def __init__(self, installs):
        super().__init__()
        self.installs = installs

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Reinstall which system?", markup=False)
            yield OptionList(*(Option(p.describe(), id=str(n)) for n, p in enumerate(self.installs)), id="choices")
        yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.app.pop_screen()
        start_reinstall(self.app, self.installs[int(event.option.id)])


class PassphraseScreen(ModalScreen):
    """The one thing a saved kickstart never holds: the passphrase of the encrypted volumes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    CSS = """
    PassphraseScreen { align: center middle; }
    PassphraseScreen > Vertical { width: 70; height: auto; border: double $accent; padding: 0 1; background: $surface; }
    """

    def __init__(self, what: str):
        super().__init__()
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"{self.what}: its volumes are encrypted.", markup=False)
            yield Label("Passphrase for the new encrypted volumes:", markup=False)
            yield Input(password=True, id="passphrase")
            yield Label("Again:", markup=False)
            yield Input(password=True, id="passphrase-again")
            with Horizontal(classes="buttons"):
                yield Button("Continue", id="ok")
                yield Button("Cancel", id="cancel")
            yield StatusLine(id="passphrase-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase").focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "passphrase":
            self.query_one("#passphrase-again").focus()
        else:
            self.accept()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.accept()
        else:
            self.action_cancel()

    def accept(self) -> None:
        first = self.query_one("#passphrase", Input).value
        again = self.query_one("#passphrase-again", Input).value
        status = self.query_one(StatusLine)
        if not first:
            status.show("Passphrase: type one", "error")
        elif first != again:
            status.show("Passphrase: the two entries differ", "error")
        else:
            self.dismiss(first)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmQuitScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back")]
    CSS = """
    ConfirmQuitScreen { align: center middle; }
    ConfirmQuitScreen > Vertical { width: 60; height: auto; border: double $warning; padding: 0 1; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Quit the installer? Nothing has been written to disk.", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Quit", id="yes")
                yield Button("Back", id="no")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#no").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self.app.exit(1)
        else:
            self.app.pop_screen()


def write_kickstart(path: str, text: str) -> None:
    """Write with mode 0600 from the start: the kickstart holds password hashes."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode())
    finally:
        os.close(fd)


class SaveKickstartScreen(ModalScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Cancel")]
    CSS = """
    SaveKickstartScreen { align: center middle; }
    SaveKickstartScreen > Vertical { width: 74; height: auto; border: double $accent; padding: 0 1; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save this plan as a kickstart (passwords as hashes, mode 0600)", markup=False)
            yield Label("File:", markup=False)
            yield Input(value=self.default_path(), id="ks-path")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save")
                yield Button("Cancel", id="cancel")
            yield StatusLine(id="save-status")
        yield Footer()

    def default_path(self) -> str:
        for base in ("/run/media", "/media"):
            p = Path(base)
            if p.is_dir():
                for mounted in sorted(p.glob("*/*")) + sorted(p.glob("*")):
                    if mounted.is_dir() and os.access(mounted, os.W_OK):
                        return str(mounted / "azl-install.ks")
        return str(Path.cwd() / "azl-install.ks")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.save()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.save()
        else:
            self.app.pop_screen()

    def save(self) -> None:
        from screens import backend

        path = self.query_one(Input).value.strip()
        status = self.query_one(StatusLine)
        if not path:
            status.show("File: give a path", "error")
            return
        try:
            text = backend.dump_kickstart(self.app.plan)
            write_kickstart(path, text)
        except Exception as exc:
            status.show(f"Could not save {path}: {exc}", "error")
            return
        self.app.pop_screen()
        self.app.notify(f"Kickstart saved to {path}")


class TooSmallScreen(Screen):
    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self.update()

    def on_resize(self, event) -> None:
        self.update(event.size)

    def update(self, size=None) -> None:
        w, h = size or self.app.size
        self.query_one(Static).update(
            # short lines, the command alone on its own: all of it shows on a 40-column terminal
            Text(f"Terminal too small: {w}x{h}.\nThe installer needs at least {MIN_WIDTH}x{MIN_HEIGHT}.\n"
                 f"Enlarge the window, or on a\nserial console run:\n\n  stty cols {MIN_WIDTH} rows {MIN_HEIGHT}")
        )
