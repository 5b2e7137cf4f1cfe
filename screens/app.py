"""The installer App: holds the plan, the machine and the product; screens edit the plan."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import weakref

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.message import Message

from installer.model.machine import Machine
from installer.model.plan import InstallPlan
from installer.model.product import Product
from installer.model.status import AreaStatus, hub_status
from screens import backend
from screens.console import MIN_HEIGHT, MIN_WIDTH, install_console_policy, key_display, wants_ansi_theme


class ValidationDone(Message):
    def __init__(self, diagnostics: list, error: str | None = None):
        super().__init__()
        self.diagnostics = diagnostics
        self.error = error


class MachineChanged(Message):
    """A new probe result (at startup, or after a disk appeared or disappeared)."""

    def __init__(self, machine: Machine, reason: str = ""):
        super().__init__()
        self.machine = machine
        self.reason = reason


class PreviousFound(Message):
    """The systems azl-install installed on this machine's disks (the hub offers to reinstall them)."""

    def __init__(self, installs: list):
        super().__init__()
        self.installs = installs


class InstallerApp(App):
    CSS_PATH = "theme.tcss"
    ENABLE_COMMAND_PALETTE = False
    TITLE = "azl-install"
    BINDINGS = [Binding("ctrl+c", "quit_installer", "Quit", show=False, priority=True),
                Binding("f1", "help", "Help"), Binding("question_mark", "help", "Help", show=False)]

    # ------------------------------------------------------------ type-ahead

    # An outer bound only: a key waits for the previous one to be handled and the screen to settle,
    # which on a busy machine or a slow serial console under TCG can take more than a second.
    TYPEAHEAD_MAX_WAIT = 5.0  # seconds a key waits before it goes anyway

    async def on_event(self, event: events.Event) -> None:
        """Keys typed ahead act as if typed one at a time.

        Textual routes a key to the focused widget's queue at once, before the previous key
        was handled there: after the hub's `3` (which opens a spoke once it reaches the hub's
        bindings), `Space Down` would still go to the hub's list, and keys reaching a spoke
        before its widgets and focus exist are lost. So a key is held, in order, until the one
        before it has been handled (the widgets it goes through have empty queues) and the
        current screen is mounted with its focus set; then it is routed as if typed then.
        """
        if isinstance(event, events.Key) and event.key != "ctrl+c":
            held = self.__dict__.setdefault("_typeahead", [])
            if held or not self._keys_settled():
                if not held:
                    self._typeahead_since = time.monotonic()
                held.append(event)
                self.set_timer(0.005, self._deliver_typeahead)
                return
            await self._route_key(event)
            return
        await super().on_event(event)

    async def _route_key(self, event: events.Key) -> None:
        target = self.focused or self.screen
        self._key_path = [target, *target.ancestors_with_self[1:]] if target is not None else []
        await super().on_event(event)

    def _keys_settled(self) -> bool:
        screen = self.screen
        ready = self.__dict__.setdefault("_ready_screens", weakref.WeakSet())
        if screen not in ready:
            # mounted, then one refresh later (focus requested in on_mount is applied by then)
            if not screen.is_mounted:
                return False
            pending = self.__dict__.setdefault("_pending_screens", weakref.WeakSet())
            if screen not in pending:
                pending.add(screen)
                self.call_after_refresh(ready.add, screen)
            return False
        # a widget removed since (its screen was dismissed) will never empty its queue
        path = [w for w in self.__dict__.get("_key_path", []) if w is not self and w.is_attached]
        return all(w._message_queue.empty() for w in path)

    async def _deliver_typeahead(self) -> None:
        held = self.__dict__.get("_typeahead", [])
        while held:
            if not self._keys_settled() and time.monotonic() - self._typeahead_since < self.TYPEAHEAD_MAX_WAIT:
                self.set_timer(0.005, self._deliver_typeahead)
                return
            await self._route_key(held.pop(0))
            self._typeahead_since = time.monotonic()

    def action_help(self) -> None:
        from screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(type(self.screen).__name__))

    def __init__(
        self,
        *,
        plan: InstallPlan,
        machine: Machine | None,
        product: Product,
        dry_run: bool = True,
        target: str = "/mnt/sysimage",
        autostart: bool = False,
        ks_path: str | None = None,
        ks_messages: list[str] | None = None,
        watch_disks: bool = False,
        countdown_seconds: int = 10,
        ansi: bool | None = None,
        log_dir: str = "/tmp/azl-install",
        look_for_previous: bool = False,
        previous_finder=None,
    ):
        self.use_ansi = wants_ansi_theme() if ansi is None else ansi
        super().__init__()
        if self.use_ansi:
            # Before any CSS is parsed: a theme set on mount re-parses every stylesheet.
            self.theme = "ansi-dark"
        self.plan = plan
        self.machine = machine
        self.product = product
        self.product_name = f"{product.name} {product.version}"
        self.dry_run = dry_run
        self.target = target
        self.autostart = autostart
        self.ks_path = ks_path
        self.ks_messages = list(ks_messages or [])
        self.watch_disks = watch_disks
        self.countdown_seconds = countdown_seconds
        self.diagnostics: list = []
        self.validation_error: str | None = None
        self._stop_watch = threading.Event()
        self.disk_watch_started = threading.Event()
        self._workers_started = False
        self.ready_file = os.environ.get("AZL_TUI_READY_FILE")
        self.log_dir = log_dir
        self.after_exit: list[str] | None = None  # reboot / poweroff, run once the terminal is restored
        from installer.live.keymap import console_tty

        self.console_tty = console_tty()  # a VT of the live medium: the chosen keymap is loaded there
        self.keymap_run = None  # the command runner for loadkeys (tests fake it); None: subprocess.run
        self.keymap_warning: str | None = None
        # Earlier installs on these disks: looked for only on the real machine (or with a test's finder).
        self.previous_finder = previous_finder
        self.look_for_previous = look_for_previous or previous_finder is not None
        self.previous: list = []
        # Held while the look mounts volumes read-only; the install waits for it before touching a disk.
        self.disk_lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def on_mount(self) -> None:
        install_console_policy()
        from screens.hub import HubScreen

        self.push_screen(HubScreen())
        if self.autostart:
            from screens.countdown import CountdownScreen

            self.push_screen(CountdownScreen(self.countdown_seconds))
        self._check_size()

    def on_ready(self) -> None:
        self._check_size()

    def first_paint(self) -> None:
        """Called by the hub after its first refresh; the startup benchmark listens for it.

        The workers start only now: their imports (validation, probing, pyudev) would
        otherwise compete with the first paint for the interpreter.
        """
        self._check_size()
        if self.ready_file:
            stamp = time.time()
            report = os.environ.get("AZL_TUI_REPORT_MODULES")
            if report:
                import sys

                Path(report).write_text("\n".join(sorted(sys.modules)) + "\n")
            Path(self.ready_file).write_text(f"{stamp:.6f} {time.process_time():.6f}\n")
            self.exit()
            return
        self.start_workers()

    def start_workers(self) -> None:
        if self._workers_started:
            return
        self._workers_started = True
        kb = self.plan.system.origin_of("keyboard")
        if kb is not None and kb.source == "kickstart":
            self.apply_keymap(self.plan.system.keyboard)
        if self.machine is None:
            self.probe()
        else:
            self.revalidate()
            self.find_previous_installs()
        if self.watch_disks:
            self.watch_for_disks()

    def apply_keymap(self, keymap: str) -> None:
        """Load the chosen keymap on the live console (a thread: loadkeys may be slow); a failure
        is a visible warning, never an error."""
        if not self.console_tty:
            return
        self.run_worker(lambda: self._load_keymap(keymap), thread=True, group="keymap", exclusive=True)

    def _load_keymap(self, keymap: str) -> None:
        from installer.live.keymap import apply_console_keymap

        kw = {"run": self.keymap_run} if self.keymap_run is not None else {}
        self.keymap_warning = apply_console_keymap(keymap, self.console_tty, **kw)
        if self.keymap_warning:
            self.call_from_thread(self.notify, f"Keyboard: {self.keymap_warning}", severity="warning", timeout=8)

    def on_unmount(self) -> None:
        self._stop_watch.set()

    def _set_pointer_shape(self, shape: str) -> None:
        # The Linux console and serial terminals have no pointer and would print the
        # OSC 22 sequence Textual sends for it as text.
        if not self.use_ansi:
            super()._set_pointer_shape(shape)

    def get_key_display(self, binding: Binding) -> str:
        if binding.key_display:
            return binding.key_display
        return key_display(binding.key)

    def begin_install(self) -> None:
        """The progress screen in place of the current one (summary, countdown, or retry after a failure)."""
        from screens.progress import ProgressScreen

        self.look_for_previous = False  # no more read-only mounts once the install may write
        self.switch_screen(ProgressScreen())

    def action_quit_installer(self) -> None:
        self.exit(1)

    # ------------------------------------------------------------ size

    def on_resize(self, event) -> None:
        self._check_size(event.size)

    def _check_size(self, size=None) -> None:
        from screens.hub import TooSmallScreen

        if len(self.screen_stack) < 2:  # before the hub is up (a resize can come first)
            return
        width, height = size or self.size
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        top_is_small = isinstance(self.screen, TooSmallScreen)
        if small and not top_is_small:
            self.push_screen(TooSmallScreen())
        elif not small and top_is_small:
            self.pop_screen()

    # ------------------------------------------------------------ plan state

    def statuses(self) -> list[AreaStatus]:
        return hub_status(self.plan, self.machine, self.diagnostics)

    def plan_changed(self) -> None:
        self.revalidate()
        self.refresh_hub()

    def refresh_hub(self) -> None:
        from screens.hub import HubScreen

        for screen in self.screen_stack:
            if isinstance(screen, HubScreen):
                screen.refresh_status()

    @work(thread=True, exclusive=True, group="validate")
    def revalidate(self) -> None:
        if self.machine is None:
            return
        try:
            diags = backend.validate(self.plan, self.machine, self.product)
            self.post_message(ValidationDone(diags))
        except ImportError as exc:
            self.post_message(ValidationDone([], f"validation unavailable: {exc}"))
        except Exception as exc:  # a validator bug must not take the UI down
            self.post_message(ValidationDone([], f"validation failed: {type(exc).__name__}: {exc}"))

    def on_validation_done(self, message: ValidationDone) -> None:
        self.diagnostics = message.diagnostics
        self.validation_error = message.error
        self.refresh_hub()

    # ------------------------------------------------------------ machine

    @work(thread=True, exclusive=True, group="probe")
    def probe(self, reason: str = "") -> None:
        try:
            machine = backend.probe_machine()
        except Exception as exc:
            self.call_from_thread(self.notify, f"Probing the machine failed: {exc}", severity="error", timeout=10)
            return
        self.post_message(MachineChanged(machine, reason))

    def find_previous_installs(self) -> None:
        """Look again only when the disks' contents differ from the last look: events that the look
        itself may cause (a volume activated read-only) must not start another one."""
        if not self.look_for_previous or self.machine is None:
            return
        seen = tuple((d.name, d.size, d.fstype, tuple((p.name, p.start, p.size, p.fstype) for p in d.partitions))
                     for d in self.machine.disks)
        if seen == getattr(self, "_previous_looked_at", None):
            return
        self._previous_looked_at = seen
        self._find_previous_worker()

    @work(thread=True, exclusive=True, group="previous")
    def _find_previous_worker(self) -> None:
        finder = self.previous_finder or backend.find_previous
        with self.disk_lock:
            try:
                installs = list(finder(self.machine))
            except Exception:  # noqa: BLE001 - what cannot be read is not offered (fail closed)
                installs = []
        self.post_message(PreviousFound(installs))

    def on_previous_found(self, message: PreviousFound) -> None:
        self.previous = message.installs
        for screen in self.screen_stack:
            handler = getattr(screen, "previous_changed", None)
            if handler:
                handler()

    @work(thread=True, exclusive=True, group="udev")
    def watch_for_disks(self) -> None:
        def changed(action: str, device: str) -> None:
            if self._stop_watch.is_set():
                return
            self.probe(f"{device} {'removed' if action == 'remove' else 'appeared' if action == 'add' else 'changed'}")

        try:
            backend.watch_disks(lambda a, d: self.call_from_thread(changed, a, d), self._stop_watch,
                                started=self.disk_watch_started)
        except Exception as exc:
            self.call_from_thread(self.notify, f"Not watching for new disks: {exc}", severity="warning")

    def stop_watching_disks(self) -> None:
        """Once the install runs, its own partitioning would look like hot-plug events."""
        self._stop_watch.set()

    def on_machine_changed(self, message: MachineChanged) -> None:
        self.machine = message.machine
        st = self.plan.storage

        def present(spec: str) -> bool:
            disk = self.machine.disk(spec)
            return disk is not None and not disk.is_live_medium

        gone = [d for d in st.selected_disks if not present(d)]
        if gone:
            from installer.model.plan import TUI

            st.set("selected_disks", [d for d in st.selected_disks if present(d)], TUI)
            st.clearpart.set("drives", [d for d in st.clearpart.drives if present(d)], TUI)
            self.notify(f"Disk(s) gone: {', '.join(gone)} - no longer selected", severity="warning", timeout=8)
        elif message.reason:
            self.notify(f"Disks changed: {message.reason}", timeout=5)
        for screen in self.screen_stack:
            handler = getattr(screen, "machine_changed", None)
            if handler:
                handler()
        self.find_previous_installs()
        self.plan_changed()
