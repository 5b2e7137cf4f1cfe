"""The end: reboot or power off; a dry run shows what it would have done and the kickstart."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Log, Static

from screens.widgets import StatusLine, TitleBar

POWER_COMMANDS = {"reboot": ["systemctl", "reboot"], "poweroff": ["systemctl", "poweroff"]}


class DoneScreen(Screen):
    BINDINGS = [
        Binding("f5", "reboot", "Reboot"),
        Binding("f6", "poweroff", "Power off"),
        Binding("f10", "quit", "Quit"),
    ]
    CSS = """
    DoneScreen #report { height: 1fr; }
    DoneScreen #headline { text-style: bold; color: $success; }
    """

    def __init__(self, result=None):
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        dry = self.app.dry_run
        yield TitleBar("Dry run complete" if dry else "Installation complete")
        with Vertical(classes="body"):
            secs = getattr(self.result, "seconds", 0.0) or 0.0
            if dry:
                yield Static(f"Dry run finished in {secs:.1f} s: nothing was written. Below: what the install would "
                             "do, then its kickstart.", id="headline", markup=False)
            else:
                yield Static(f"{self.app.product_name} is installed ({secs:.0f} s). Remove the installation medium "
                             "and reboot.", id="headline", markup=False)
            yield Log(id="report")
            with Horizontal(classes="buttons"):
                yield Button("Reboot (F5)", id="reboot")
                yield Button("Power off (F6)", id="poweroff")
                yield Button("Quit (F10)", id="quit")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one("#report", Log)
        for line in self.report_lines():
            log.write_line(line)
        log.scroll_home(animate=False)
        self.call_after_refresh(self.focus_default)

    def focus_default(self) -> None:
        action = self.app.plan.finish.action
        wanted = "#poweroff" if action in ("poweroff", "shutdown", "halt") else "#reboot"
        for button in self.query(wanted):
            button.focus()

    def report_lines(self) -> list[str]:
        lines = []
        for step in getattr(self.result, "steps", []) or []:
            if step.skipped:
                continue
            lines.append(f"== {step.title or step.name}")
            lines.extend(f"   {d}" for d in step.description)
        for w in getattr(self.result, "warnings", []) or []:
            lines.append(f"warning: {w}")
        if self.app.dry_run:
            from screens import backend

            lines.append("")
            lines.append("== The kickstart this plan amounts to (passwords as hashes):")
            try:
                lines.extend(backend.dump_kickstart(self.app.plan).splitlines())
            except Exception as exc:
                lines.append(f"(cannot write the kickstart: {exc})")
        return lines

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}")()

    def _power(self, what: str) -> None:
        if self.app.dry_run:
            self.app.exit(0, message=f"Dry run: would {what} now.")
            return
        self.app.after_exit = POWER_COMMANDS[what]
        self.app.exit(0)

    def action_reboot(self) -> None:
        self._power("reboot")

    def action_poweroff(self) -> None:
        self._power("poweroff")

    def action_quit(self) -> None:
        self.app.exit(0)
