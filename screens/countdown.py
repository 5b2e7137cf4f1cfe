"""A complete kickstart on the boot line (inst.ks, no inst.cmdline): start after a visible countdown
that names every disk the installation erases. The countdown only runs once the storage preview
of the very plan that will run has said what it erases; if it cannot, nothing starts."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from screens.widgets import TitleBar


class ErasureKnown(Message):
    def __init__(self, preview, error: str | None):
        super().__init__()
        self.preview = preview
        self.error = error


class CountdownScreen(Screen):
    BINDINGS = [
        Binding("escape", "cancel", "Stop and review"),
        Binding("enter", "start_now", "Start now"),
        Binding("f5", "reinstall", "Reinstall as before"),
    ]
    CSS = """
    CountdownScreen Vertical { align: center middle; }
    CountdownScreen #message { width: 76; height: auto; border: double $warning; padding: 0 1; }
    """

    def __init__(self, seconds: int = 10):
        super().__init__()
        self.remaining = seconds
        self.preview = None
        self.timer = None

    def compose(self) -> ComposeResult:
        yield TitleBar("Automatic installation")
        with Vertical(classes="body"):
            yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#message", Static).update(Text(f"The kickstart {self.app.ks_path} is complete.\n\n"
                                                       "Working out what the installation erases..."))
        self.plan_storage()

    @work(thread=True, exclusive=True, group="countdown")
    def plan_storage(self) -> None:
        from screens import backend

        app = self.app
        try:
            problems = [str(d) for d in backend.validate(app.plan, app.machine, app.product) if d.is_error]
            if problems:
                self.post_message(ErasureKnown(None, "\n".join(problems)))
                return
            self.post_message(ErasureKnown(backend.preview_storage(app.plan, app.machine, app.product), None))
        except Exception as exc:  # noqa: BLE001 - no list of what is erased: no automatic start
            diags = getattr(exc, "diagnostics", None)
            self.post_message(ErasureKnown(None, "\n".join(str(d) for d in diags) if diags
                                           else f"{type(exc).__name__}: {exc}"))

    def on_erasure_known(self, message: ErasureKnown) -> None:
        if message.preview is None:
            self.app.pop_screen()
            self.app.notify("Automatic installation stopped: cannot tell what it would erase "
                            f"({message.error}). Review the settings.", severity="error", timeout=30)
            return
        self.preview = message.preview
        self.render_message()
        self.timer = self.set_interval(1.0, self.tick)

    def render_message(self) -> None:
        from installer.storage.erasure import blank_disk_lines, confirmation_lines

        lines = [f"The kickstart {self.app.ks_path} is complete.", "",
                 f"Installation starts in {self.remaining} s.", ""]
        if self.preview.erasures:
            lines.append("It will ERASE:")
            lines.extend("  " + line for line in confirmation_lines(self.preview.erasures))
        else:
            lines.append("It erases nothing: the new system goes into free space.")
            lines.extend("  " + line for line in blank_disk_lines(self.preview, self.app.machine))
        lines.append("")
        lines.append("Press Esc to stop and review the settings, Enter to start now.")
        for prev in self.app.previous[:1]:
            lines.append(f"F5: reinstall {prev.describe()} as before instead.")
        self.query_one("#message", Static).update(Text("\n".join(lines)))

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "reinstall":
            return bool(self.app.previous)
        return True

    def previous_changed(self) -> None:
        self.refresh_bindings()
        if self.preview is not None:
            self.render_message()

    def action_reinstall(self) -> None:
        """The earlier install's saved kickstart instead of this one: stop, then the hub's reinstall path
        (passphrase if needed, the summary and its typed erase confirmation)."""
        installs = list(self.app.previous)
        if not installs:
            self.app.bell()
            return
        if self.timer is not None:
            self.timer.stop()
        app = self.app
        app.pop_screen()
        from screens.hub import ChoosePreviousScreen, start_reinstall

        if len(installs) == 1:
            start_reinstall(app, installs[0])
        else:
            app.push_screen(ChoosePreviousScreen(installs))

    def tick(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.action_start_now()
            return
        self.render_message()

    def action_cancel(self) -> None:
        if self.timer is not None:
            self.timer.stop()
        self.app.pop_screen()
        self.app.notify("Automatic installation stopped: review the settings, then Begin installation.")

    def action_start_now(self) -> None:
        if self.preview is None:  # not planned yet: Enter cannot skip the list of what is erased
            self.app.bell()
            return
        self.timer.stop()
        self.app.begin_install()
