"""`make try` (tests/vm/try.sh) in a real terminal: tmux at 80x24 with TERM=linux runs it, the
installation medium boots from QEMU's CD-ROM drive, GRUB's menu is on that terminal, its default
entry ("Install Azure Linux") boots after the timeout, the console asks for Enter and then the
installer's hub is drawn on the terminal from the guest's serial console; Ctrl-a x then quits QEMU."""
import pytest
from harness.paths import VM_DIR
from harness.tmuxterm import Tmux

pytestmark = pytest.mark.vm


def test_make_try_puts_the_installer_on_the_terminal(install_medium):
    term = Tmux("azl-try-test")
    term.start(f"TERM=linux sh {VM_DIR / 'try.sh'}; echo azl-try-exited; sleep 600")
    try:
        term.wait("Ctrl-a x quits QEMU", 60)
        term.wait("Install unattended", 120)        # GRUB's menu, on the terminal
        # the default entry boots after the timeout; each console waits for Enter, as for users
        term.wait("Press Enter to install from this console.", 420)
        term.keys("Enter")
        hub = term.wait("Begin installation", 300)
        assert "Installation destination" in hub, hub
        assert "Traceback" not in hub
        term.keys("C-a", "x")
        term.wait("azl-try-exited", 60)
    finally:
        term.kill()
