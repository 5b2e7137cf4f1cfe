"""The install running: overall and per-step bars, the current item, elapsed time, the log on F2."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Log

from installer.model import events as ev
from screens.widgets import ProgressMeter, TitleBar


class EngineEvent(Message):
    def __init__(self, event: ev.Event):
        super().__init__()
        self.event = event


class EngineProgress(EngineEvent):
    """Progress within a step; a newer one replaces a queued older one, so fast progress stays cheap."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, EngineProgress)


class EngineDone(Message):
    def __init__(self, result=None, error: str | None = None):
        super().__init__()
        self.result = result
        self.error = error


class ProgressScreen(Screen):
    BINDINGS = [Binding("f2", "toggle_log", "Log"), Binding("l", "toggle_log", show=False),
                Binding("escape", "close_log", show=False)]
    CSS = """
    ProgressScreen #meters { height: auto; }
    ProgressScreen #step-title { text-style: bold; margin-top: 1; }
    ProgressScreen #item { height: 1; color: $text-muted; }
    ProgressScreen #log { height: 1fr; margin-top: 1; }
    ProgressScreen.-full-log #meters { display: none; }
    """

    def compose(self) -> ComposeResult:
        yield TitleBar("Dry run" if self.app.dry_run else "Installing")
        with Vertical(classes="body"):
            with Vertical(id="meters"):
                yield Label("Starting...", id="step-title", markup=False)
                yield ProgressMeter("Overall", id="overall")
                yield ProgressMeter("This step", id="step")
                yield Label("", id="item", markup=False)
                yield Label("Elapsed 0:00", id="elapsed", markup=False)
            yield Log(id="log", max_lines=5000)
        yield Footer()

    def on_mount(self) -> None:
        self.started = time.monotonic()
        self.steps_total = 0
        self.steps_done = 0
        self.log_lines: list[str] = []
        self.finished = False
        self.set_interval(1.0, self.tick)
        if not getattr(self, "no_engine", False):
            self.app.stop_watching_disks()
            self.run_install()

    def tick(self) -> None:
        if self.finished:
            return
        secs = int(time.monotonic() - self.started)
        self.query_one("#elapsed", Label).update(f"Elapsed {secs // 60}:{secs % 60:02d}")

    def action_toggle_log(self) -> None:
        self.toggle_class("-full-log")

    def action_close_log(self) -> None:
        self.remove_class("-full-log")

    @work(thread=True, exclusive=True, group="install")
    def run_install(self) -> None:
        from screens import backend

        app = self.app

        def sink(event: ev.Event) -> None:
            self.post_message(EngineProgress(event) if isinstance(event, ev.Progress) else EngineEvent(event))

        lock = getattr(app, "disk_lock", None)
        if lock is not None:  # a read-only look for earlier installs may still have a volume mounted
            with lock:
                pass
        try:
            result = backend.run_engine(app.plan, app.machine, app.product, target=app.target, events=sink,
                                        dry_run=app.dry_run, log_dir=app.log_dir)
        except Exception as exc:
            self.post_message(EngineDone(None, f"{type(exc).__name__}: {exc}"))
            return
        self.post_message(EngineDone(result))

    def on_engine_event(self, message: EngineEvent) -> None:
        self.show_event(message.event)

    def show_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.StepStarted):
            self.steps_total = e.total
            self.steps_done = e.index - 1
            self.query_one("#step-title", Label).update(f"Step {e.index} of {e.total}: {e.title or e.step}")
            self.query_one("#overall", ProgressMeter).fraction = self.steps_done / max(e.total, 1)
            self.query_one("#step", ProgressMeter).fraction = 0.0
            self.query_one("#item", Label).update("")
            self.add_log(f"== {e.title or e.step}")
        elif isinstance(e, ev.Progress):
            frac = e.done / e.total if e.total else 0.0
            self.query_one("#step", ProgressMeter).fraction = frac
            if self.steps_total:
                self.query_one("#overall", ProgressMeter).fraction = (self.steps_done + frac) / self.steps_total
            if e.item:
                self.query_one("#item", Label).update(f"{e.item}  ({int(e.done)}/{int(e.total)} {e.unit})"[:76])
        elif isinstance(e, ev.StepFinished):
            self.steps_done += 1
            self.query_one("#step", ProgressMeter).fraction = 1.0
            if self.steps_total:
                self.query_one("#overall", ProgressMeter).fraction = self.steps_done / self.steps_total
        elif isinstance(e, ev.Log):
            self.add_log(e.message if e.level == "info" else f"{e.level}: {e.message}")
        elif isinstance(e, ev.Failed):
            self.add_log(f"FAILED in {e.step}: {e.message}")
        elif isinstance(e, ev.Finished):
            self.query_one("#overall", ProgressMeter).fraction = 1.0
            self.add_log(f"Finished in {e.seconds:.1f} s")

    def add_log(self, line: str) -> None:
        for part in line.splitlines() or [""]:
            self.log_lines.append(part)
            self.query_one(Log).write_line(part)

    def on_engine_done(self, message: EngineDone) -> None:
        self.finished = True
        result = message.result
        if result is not None and result.ok:
            from screens.done import DoneScreen

            self.app.switch_screen(DoneScreen(result))
            return
        from screens.error import ErrorScreen

        failure = getattr(result, "failure", None)
        text = message.error or (failure.message if failure else "the installation failed")
        tail = list(failure.log_tail) if failure and failure.log_tail else self.log_lines[-15:]
        log_path = getattr(result, "log_path", None)
        self.app.switch_screen(ErrorScreen(text, tail, step=failure.step if failure else None,
                                           log_path=str(log_path) if log_path else None))
