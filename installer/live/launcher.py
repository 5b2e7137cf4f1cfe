"""The live console's launcher: on each console (tty1, each serial console, each SSH session)
it waits for Enter, claims the install (first console wins) and runs the installer there, or
shows the monitor when another console owns it. Whatever the installer does (finish, quit,
crash), the console comes back to a menu: restart, monitor, shell, reboot, power off. It never
leaves a dead console."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable

from installer.live.owner import Ownership

PROMPT_POLL = 1.0  # seconds between checks whether another console took the install


@dataclass
class Commands:
    installer: list[str]
    monitor: list[str]
    shell: list[str] = field(default_factory=lambda: ["/bin/bash", "-l"])
    reboot: list[str] = field(default_factory=lambda: ["systemctl", "reboot"])
    poweroff: list[str] = field(default_factory=lambda: ["systemctl", "poweroff"])


def describe_status(status: int) -> str:
    if status == 0:
        return "The installer finished."
    if status < 0:
        name = signal.Signals(-status).name if -status in signal.Signals._value2member_map_ else str(-status)
        return f"The installer was killed by {name}."
    return f"The installer exited with status {status}."


class Launcher:
    def __init__(self, where: str, commands: Commands, ownership: Ownership, *, auto: bool = False,
                 auto_delay: float = 0.0, ssh: bool = False, fd_in: int = 0, fd_out: int = 1,
                 env: dict[str, str] | None = None, log_dir: str = "/tmp/azl-install",
                 spawn: Callable[[list[str], dict[str, str]], int] | None = None):
        self.where = where
        self.commands = commands
        self.ownership = ownership
        self.auto = auto
        self.auto_delay = auto_delay
        self.ssh = ssh
        self.fd_in = fd_in
        self.fd_out = fd_out
        self.env = dict(env if env is not None else os.environ)
        self.log_dir = log_dir
        self.spawn = spawn or self._spawn
        self._pending = b""
        self._termios = self._save_terminal()

    # terminal I/O -------------------------------------------------------------------------
    def say(self, text: str = "") -> None:
        os.write(self.fd_out, (text + "\n").encode())

    def read_line(self, timeout: float | None) -> str | None:
        """A line typed on the console; "" on timeout; None when the console is gone (EOF)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._pending and b"\r" not in self._pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.fd_in], [], [], left)
            if not ready:
                return ""
            try:
                chunk = os.read(self.fd_in, 1024)
            except OSError:
                return None
            if not chunk:
                return None
            self._pending += chunk
        for i, byte in enumerate(self._pending):
            if byte in b"\r\n":
                line, self._pending = self._pending[:i], self._pending[i + 1:].lstrip(b"\r\n")
                return line.decode(errors="replace").strip() + "\n"
        return None  # not reached

    def _save_terminal(self):
        import termios

        try:
            return termios.tcgetattr(self.fd_in)
        except (termios.error, OSError):
            return None

    def restore_terminal(self) -> None:
        """After a child (a crashed TUI leaves raw mode, the alternate screen, a hidden cursor)."""
        import termios

        if self._termios is None:
            return
        try:
            termios.tcsetattr(self.fd_in, termios.TCSANOW, self._termios)
            termios.tcflush(self.fd_in, termios.TCIFLUSH)
        except (termios.error, OSError):
            return
        if self.env.get("TERM", "dumb") not in ("dumb", ""):
            os.write(self.fd_out, b"\x1b[?1049l\x1b[?1000l\x1b[?1006l\x1b[?25h\x1b[0m")

    # children -----------------------------------------------------------------------------
    @staticmethod
    def _spawn(argv: list[str], env: dict[str, str]) -> int:
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the child
        try:
            proc = subprocess.Popen(argv, env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            return proc.wait()
        except OSError as exc:
            os.write(2, f"azl-install console: cannot run {argv[0]}: {exc.strerror}\n".encode())
            return 127
        finally:
            signal.signal(signal.SIGINT, old)

    def run(self, argv: list[str], env: dict[str, str] | None = None) -> int:
        try:
            return self.spawn(argv, env if env is not None else dict(self.env))
        finally:
            self.restore_terminal()

    def run_installer(self) -> int:
        try:
            return self.run(self.commands.installer, {**self.env, "AZL_INSTALL_WHERE": self.where})
        finally:
            self.ownership.release()

    def run_monitor(self) -> int:
        return self.run(self.commands.monitor)

    # the loop -----------------------------------------------------------------------------
    def loop(self) -> int:
        """Runs until the console goes away (EOF) or the user reboots / disconnects."""
        action = "auto" if (self.auto or self.ssh) else "wait"
        while True:
            if action == "wait":
                action = self.wait_for_enter()
            elif action == "auto":
                if self.auto_delay:
                    time.sleep(self.auto_delay)
                action = "claim"
            elif action == "claim":
                if self.ownership.claim(self.where):
                    status = self.run_installer()
                    action = self.menu(describe_status(status), status == 0)
                else:
                    action = "monitor"
            elif action == "monitor":
                self.run_monitor()
                action = self.menu("You left the monitor.", False)
            elif action == "shell":
                self.say("A shell; 'exit' comes back to this menu.")
                self.run(self.commands.shell)
                action = self.menu("The shell ended.", False)
            elif action in ("reboot", "poweroff"):
                self.run(getattr(self.commands, action))
                return 0
            elif action in ("eof", "disconnect"):
                return 0

    def wait_for_enter(self) -> str:
        self.say("")
        self.say(f"Azure Linux installer ({self.where})")
        self.say("Press Enter to install from this console.")
        self.say("(The first console where Enter is pressed runs the install; the others show its progress.)")
        self.show_ssh()
        while True:
            owner = self.ownership.current()
            if owner is not None:
                self.say(f"The install runs on {owner.get('where', 'another console')}; showing its progress.")
                return "monitor"
            line = self.read_line(PROMPT_POLL)
            if line is None:
                return "eof"
            if line:
                return "claim"

    def show_ssh(self) -> None:
        """inst.sshd's addresses and host key fingerprints (written by azl-install sshd-setup)."""
        try:
            text = (self.ownership.run_dir / "sshd.txt").read_text()
        except OSError:
            return
        self.say(text.rstrip("\n"))

    def menu(self, headline: str, success: bool) -> str:
        choices = [("claim", "Restart the installer"), ("monitor", "Watch the install (read-only)"),
                   ("shell", "Shell"), ("reboot", "Reboot"), ("poweroff", "Power off")]
        if self.ssh:
            choices.append(("disconnect", "Disconnect"))
        default = "reboot" if success and not self.ssh else ("disconnect" if success else "claim")
        while True:
            self.say("")
            self.say(headline)
            self.say(f"Logs: {self.log_dir}/")
            for number, (_, text) in enumerate(choices, start=1):
                self.say(f"  {number}) {text}")
            default_number = next(i for i, (a, _) in enumerate(choices, start=1) if a == default)
            os.write(self.fd_out, f"Choice [{default_number}]: ".encode())
            line = self.read_line(None)
            if line is None:
                return "eof"
            answer = line.strip()
            if not answer:
                return default
            if answer.isdigit() and 1 <= int(answer) <= len(choices):
                return choices[int(answer) - 1][0]
            headline = f"{answer!r} is not a choice."
