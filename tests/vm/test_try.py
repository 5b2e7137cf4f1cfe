"""`make try` (tests/vm/try.sh) in a real terminal: tmux at 80x24 with TERM=linux runs it, the
live environment boots under QEMU and the installer's hub is drawn on that terminal from the
guest's serial console; Ctrl-a x then quits QEMU."""
import shutil
import subprocess
import time

import pytest

from harness.paths import VM_DIR

pytestmark = pytest.mark.vm

SESSION = "azl-try-test"


def pane() -> str:
    return subprocess.run(["tmux", "capture-pane", "-p", "-t", SESSION], capture_output=True,
                          text=True).stdout


def wait_pane(text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = pane()
        if text in screen:
            return screen
        time.sleep(2)
    raise AssertionError(f"{text!r} not on the terminal after {timeout:.0f} s; it shows:\n{screen}")


def test_make_try_puts_the_installer_on_the_terminal(live_env, test_payload):
    if shutil.which("tmux") is None:
        pytest.fail("tmux is missing (tools/setup.sh installs it)")
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    subprocess.run(["tmux", "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24",
                    f"TERM=linux sh {VM_DIR / 'try.sh'}; echo azl-try-exited; sleep 600"], check=True)
    try:
        wait_pane("Ctrl-a x quits QEMU", 60)
        hub = wait_pane("Begin installation", 420)
        assert "Installation destination" in hub, hub
        assert "Traceback" not in hub
        subprocess.run(["tmux", "send-keys", "-t", SESSION, "C-a", "x"], check=True)
        wait_pane("azl-try-exited", 60)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
