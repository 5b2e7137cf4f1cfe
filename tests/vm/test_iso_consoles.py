"""Every console, on the ISO booted as a CD-ROM (BIOS, SATA CD, serial only): the generator
starts the launcher on tty1 and ttyS0, Enter on ttyS0 claims the install and starts the TUI,
tty1 switches to the read-only monitor, quitting the TUI leaves a menu, and its shell shows
the units and masks."""
import time

import pytest

from harness import iso
from harness.paths import BUILD
from harness.qemu import VM, Disk, sparse_disk

pytestmark = pytest.mark.vm


class CdromVM(VM):
    """A VM that boots an ISO from an AHCI CD-ROM (never a direct kernel)."""

    iso_path = None

    def command(self, serial="stdio"):
        return super().command(serial) + [
            "-drive", f"file={self.iso_path},if=none,id=cd0,media=cdrom,readonly=on",
            "-device", "ide-cd,drive=cd0,bus=sata0.1,bootindex=0"]


def test_enter_claims_the_install_other_consoles_monitor_and_quit_leaves_a_menu(tmp_path):
    medium = iso.build_iso()
    work = BUILD / "runs" / "iso-consoles"
    disk = sparse_disk(tmp_path / "disk.img", "20G")
    vm = CdromVM("iso-consoles", work, [Disk(disk, bus="sata", serial="blank")], interactive=True, memory=3072)
    vm.iso_path = medium.iso
    with vm.start():
        vm.wait_for("Press Enter to install from this console.", 600)
        vm.send("\r")
        vm.wait_for("Begin installation", 600)
        vm.send("\x11")  # Ctrl+Q quits the TUI
        vm.wait_for("The installer exited.", 120)
        vm.wait_for("5) Power off", 30)
        vm.send("3\r")
        vm.wait_for("A shell;", 30)
        time.sleep(2)
        vm.send("systemctl is-active azl-install@ttyS0 azl-install@tty1 azl-install-shell | tr '\\n' ' ';"
                " echo; systemctl is-enabled serial-getty@ttyS0 getty@tty1 | tr '\\n' ' '; echo;"
                " echo monitors=$(( $(ps -t tty1 -o args= | grep -c 'installer monitor') + 100 ))\r")
        vm.wait_for("monitors=10", 60)  # the typed line shows "$((", the answer "monitors=10N"
        log = vm.serial_log.read_text(errors="replace")
        assert "active active active" in log
        assert "masked-runtime masked-runtime" in log
        assert "monitors=101" in log, vm.tail(20)
        assert "Traceback" not in log
