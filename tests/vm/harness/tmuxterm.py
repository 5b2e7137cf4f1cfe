"""A real terminal for VM tests: a tmux session at 80x24 running a command (make try, an SSH
client), read with capture-pane and typed at with send-keys."""
from __future__ import annotations

import shutil
import subprocess
import time


class Tmux:
    def __init__(self, session: str, width: int = 80, height: int = 24):
        self.session, self.width, self.height = session, width, height

    def start(self, shell_command: str) -> None:
        if shutil.which("tmux") is None:
            raise RuntimeError("tmux is missing (tools/setup.sh installs it)")
        self.kill()
        subprocess.run(["tmux", "new-session", "-d", "-s", self.session, "-x", str(self.width), "-y",
                        str(self.height), shell_command], check=True)

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], capture_output=True, check=False)

    def pane(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.session], capture_output=True,
                              text=True, check=False).stdout

    def wait(self, text: str, timeout: float, poll: float = 1.0) -> str:
        """The screen once it shows `text`; AssertionError with the screen after `timeout` s."""
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.pane()
            if text in screen:
                return screen
            time.sleep(poll)
        raise AssertionError(f"{text!r} not on the terminal after {timeout:.0f} s; it shows:\n{screen}")

    def keys(self, *names: str, pause: float = 1.5) -> None:
        """tmux key names (Enter, Escape, Tab, F10, C-a ...), one at a time."""
        for name in names:
            subprocess.run(["tmux", "send-keys", "-t", self.session, name], check=True)
            time.sleep(pause)

    def type(self, text: str, pause: float = 2.0) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, "-l", text], check=True)
        time.sleep(pause)
