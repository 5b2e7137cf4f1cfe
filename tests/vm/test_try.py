"""`make try` (tests/vm/try.sh) in a real terminal: tmux at 80x24 with TERM=linux runs it, the
installation medium boots from QEMU's CD-ROM drive, GRUB's menu is on that terminal, its default
entry ("Install Azure Linux") boots after the timeout, the console asks for Enter and then the
installer's hub is drawn on the terminal from the guest's serial console; Ctrl-a x then quits QEMU.

The same boot proves every console (the medium's console generator): the launcher runs on tty1
and ttyS0, Enter on ttyS0 claims the install and starts the TUI while tty1 switches to the
read-only monitor, and quitting the TUI leaves a menu (not a dead console) whose shell shows the
installer units active and the gettys masked."""
import pytest
from harness.paths import VM_DIR
from harness.tmuxterm import Tmux

pytestmark = pytest.mark.vm

UNITS = ("systemctl is-active azl-install@ttyS0 azl-install@tty1 azl-install-shell | tr '\\n' ' ';"
         " echo; systemctl is-enabled serial-getty@ttyS0 getty@tty1 | tr '\\n' ' '; echo;"
         " echo monitors=$(( $(ps -t tty1 -o args= | grep -c 'installer monitor') + 100 ))")


def test_make_try_puts_the_installer_on_the_terminal_and_every_console_behaves(install_medium):
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
        term.keys("C-q")                             # quit the TUI
        term.wait("The installer exited.", 120)
        term.wait("5) Power off", 30)
        term.type("3")
        term.keys("Enter")
        term.wait("A shell;", 30)
        term.type(UNITS)
        term.keys("Enter")
        screen = term.wait("monitors=10", 60)        # the typed line shows "$((", the answer "monitors=10N"
        assert "active active active" in screen, screen
        assert "masked-runtime masked-runtime" in screen, screen
        assert "monitors=101" in screen, screen      # tty1 went from the launcher to the monitor
        assert "Traceback" not in screen, screen
        term.keys("C-a", "x")
        term.wait("azl-try-exited", 60)
    finally:
        term.kill()
