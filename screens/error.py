"""When the install fails: the message, the log tail, save the logs, a shell, retry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, Log, Static

from screens.widgets import StatusLine, TitleBar


def removable_mounts() -> list[Path]:
    """Writable mounted media (USB sticks) where logs can go."""
    found = []
    for base in (Path("/run/media"), Path("/media"), Path("/mnt")):
        if not base.is_dir():
            continue
        for p in sorted(base.glob("*")) + sorted(base.glob("*/*")):
            if p.is_dir() and os.path.ismount(p) and os.access(p, os.W_OK):
                found.append(p)
    return found


def default_log_dir() -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    media = removable_mounts()
    base = media[0] if media else Path("/tmp")
    return str(base / f"azl-install-logs-{stamp}")


def save_logs(dest: str, *, log_dir: str | None, plan, lines: list[str]) -> list[str]:
    """Copy the install logs, the screen log and the plan into dest; returns the files written.

    Every file passes through the install log's secret filter (the kept scripts hold what the
    kickstart wrote) and is written 0600 in a 0700 directory, whatever the umask and the medium."""
    from installer.installlog import RedactFilter, plan_secrets

    redact = RedactFilter(plan_secrets(plan) if plan is not None else ()).redact
    out = Path(dest)
    out.mkdir(parents=True, exist_ok=True)
    os.chmod(out, 0o700)
    written = []
    if log_dir and Path(log_dir).is_dir():
        for f in sorted(Path(log_dir).iterdir()):
            if f.is_file() and not f.is_symlink():
                text = f.read_bytes().decode("utf-8", "surrogateescape")
                _write_private(out / f.name, redact(text).encode("utf-8", "surrogateescape"))
                written.append(f.name)
    _write_private(out / "screen.log", redact("\n".join(lines) + "\n").encode())
    written.append("screen.log")
    plan_json = json.dumps(plan.to_dict() if plan is not None else {}, indent=2, default=str) + "\n"
    _write_private(out / "plan.json", redact(plan_json).encode())
    written.append("plan.json")
    return written


def _write_private(path: Path, data: bytes) -> None:
    if path.is_symlink():
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as fh:
        os.fchmod(fh.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        fh.write(data)


class ErrorScreen(Screen):
    BINDINGS = [
        Binding("f2", "save_logs", "Save logs"),
        Binding("f3", "shell", "Shell"),
        Binding("f5", "retry", "Retry"),
        Binding("f10", "quit", "Quit"),
    ]
    CSS = """
    ErrorScreen #message { color: $error; text-style: bold; height: auto; max-height: 6; }
    ErrorScreen #tail { height: 1fr; }
    ErrorScreen .row Label { width: 14; }
    """

    def __init__(self, message: str, tail: list[str], *, step: str | None = None, log_path: str | None = None):
        super().__init__()
        self.message = message
        self.tail = tail
        self.step = step
        self.log_path = log_path

    def compose(self) -> ComposeResult:
        yield TitleBar("Installation failed")
        with Vertical(classes="body"):
            yield Static(Text(self.message), id="message")
            yield Label(f"Log ({self.log_path or 'no log file'}), last lines:", classes="heading", markup=False)
            yield Log(id="tail")
            with Horizontal(classes="row"):
                yield Label("Save logs to:", markup=False)
                yield Input(default_log_dir(), id="dest")
            with Horizontal(classes="buttons"):
                yield Button("Save logs (F2)", id="save")
                yield Button("Shell (F3)", id="shell")
                yield Button("Retry (F5)", id="retry")
                yield Button("Quit (F10)", id="quit")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        log = self.query_one("#tail", Log)
        for line in self.tail[-200:]:
            log.write_line(line)
        self.query_one("#save").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        getattr(self, f"action_{event.button.id}_logs" if event.button.id == "save" else f"action_{event.button.id}")()

    def action_save_logs(self) -> None:
        dest = self.query_one("#dest", Input).value.strip()
        status = self.query_one(StatusLine)
        if not dest:
            status.show("Save logs to: give a directory", "error")
            return
        log_dir = str(Path(self.log_path).parent) if self.log_path else getattr(self.app, "log_dir", None)
        try:
            files = save_logs(dest, log_dir=log_dir, plan=self.app.plan, lines=self.tail)
            os.sync()
        except OSError as exc:
            status.show(f"Could not save to {dest}: {exc}", "error")
            return
        status.show(f"Saved {len(files)} files to {dest}", "ok")

    def action_shell(self) -> None:
        shell = os.environ.get("SHELL") or "/bin/sh"
        with self.app.suspend():
            print("\nazl-install: type 'exit' to return to the installer.\n", flush=True)
            subprocess.call([shell], stderr=sys.__stderr__)

    def action_retry(self) -> None:
        self.app.begin_install()

    def action_quit(self) -> None:
        self.app.exit(1)
