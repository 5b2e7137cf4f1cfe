"""A complete kickstart on the boot line (inst.ks, no inst.cmdline): start after a visible countdown."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from screens.widgets import TitleBar


class CountdownScreen(Screen):
    BINDINGS = [
        Binding("escape", "cancel", "Stop and review"),
        Binding("enter", "start_now", "Start now"),
    ]
    CSS = """
    CountdownScreen Vertical { align: center middle; }
    CountdownScreen #message { width: 70; height: auto; border: double $warning; padding: 1 2; }
    """

    def __init__(self, seconds: int = 10):
        super().__init__()
        self.remaining = seconds

    def compose(self) -> ComposeResult:
        yield TitleBar("Automatic installation")
        with Vertical(classes="body"):
            yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.render_message()
        self.timer = self.set_interval(1.0, self.tick)

    def render_message(self) -> None:
        from screens.summary import erase_lines

        app = self.app
        erase = erase_lines(app.plan, app.machine)
        lines = [f"The kickstart {app.ks_path} is complete.", "",
                 f"Installation starts in {self.remaining} s.", ""]
        if erase:
            lines.append("It will ERASE:")
            lines.extend("  " + e.splitlines()[0] for e in erase)
            lines.append("")
        lines.append("Press Esc to stop and review the settings, Enter to start now.")
        self.query_one("#message", Static).update(Text("\n".join(lines)))

    def tick(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0:
            self.action_start_now()
            return
        self.render_message()

    def action_cancel(self) -> None:
        self.timer.stop()
        self.app.pop_screen()
        self.app.notify("Automatic installation stopped: review the settings, then Begin installation.")

    def action_start_now(self) -> None:
        self.timer.stop()
        self.app.begin_install()
