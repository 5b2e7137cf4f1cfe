"""A remastered ISO boots as a CD-ROM on BIOS and on UEFI and installs from its embedded kickstart.

The input is a "vanilla" live ISO with no installer on it (harness.iso.build_vanilla_iso: the
medium's live root without the installer and the overlay, one "Start the live system" entry, the
package repository); `azl-install-iso remaster` adds the installer from this tree, its overlay and
the dependency wheels the root lacks, embeds tests/vm/scenarios/remaster/remaster.ks with a default boot entry that
also has inst.cmdline, and the guest must fetch the kickstart from the medium by its label
(inst.ks=hd:LABEL=...:/ks.cfg) and install onto the blank disk from the medium's repository, ending
with the success line on its serial console. One guest per firmware."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import have

ROOT = Path(__file__).resolve().parents[2]
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
SUCCESS = re.compile(r"Installation finished in \d+ s\.")
# The cmdline step line after storage: the disk is partitioned and its filesystems mounted.
MOUNTED = re.compile(r"\[ *\d+/\d+\] Running %pre-install scripts")
FATAL = ("Kernel panic - not syncing", "Dropping to a shell", "You are in emergency mode", "grub rescue>",
         "No bootable device", "has errors; nothing was changed", "azl-install exited with status",
         "Installation failed (", "The installer exited with status")
FIRST_PARTITION_TYPE = {"uefi": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",   # EFI System
                        "bios": "21686148-6449-6E6F-744E-656564454649"}   # BIOS boot
KICKSTART = Path(__file__).resolve().parent / "scenarios" / "remaster" / "remaster.ks"

pytestmark = [pytest.mark.vm, pytest.mark.slow,
              pytest.mark.skipif(not have("qemu-system-x86_64"), reason="needs qemu-system-x86_64")]


def remaster_for_test(iso_in: Path, out: Path) -> str:
    proc = subprocess.run([sys.executable, "-m", "isotools", "remaster", str(iso_in), str(out),
                           "--ks", str(KICKSTART), "--ks-default",
                           "--ks-append", "inst.cmdline"],
                          cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def boot_cdrom(iso: Path, workdir: Path, firmware: str, timeout: float = 1500,
               until: re.Pattern = SUCCESS) -> tuple[bool, str, float]:
    """Boot iso as a CD-ROM (AHCI) with a blank virtio disk until the serial log matches `until`;
    (matched, serial log, seconds)."""
    workdir.mkdir(parents=True, exist_ok=True)
    disk = workdir / "disk.raw"
    with open(disk, "wb") as f:
        f.truncate(8 << 30)
    log = workdir / f"serial-{firmware}.log"
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2",
           "-m", "2048", "-display", "none", "-no-reboot", "-serial", f"file:{log}", "-monitor", "none",
           "-drive", f"file={iso},media=cdrom,if=none,id=cd0,readonly=on",
           "-device", "ide-cd,drive=cd0,bus=ide.0,bootindex=0",
           "-drive", f"file={disk},if=none,id=d0,format=raw,cache=unsafe",
           "-device", "virtio-blk-pci,drive=d0,serial=blank0",
           "-netdev", "user,id=n0,restrict=on", "-device", "virtio-net-pci,netdev=n0"]
    if firmware == "uefi":
        vars_copy = workdir / "OVMF_VARS.fd"
        shutil.copy(OVMF_VARS, vars_copy)
        cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    text = ""
    try:
        while time.monotonic() - start < timeout:
            time.sleep(2)
            text = log.read_text(errors="replace") if log.exists() else ""
            if until.search(text):
                return True, text, time.monotonic() - start
            if any(f in text for f in FATAL) or proc.poll() is not None:
                break
        return False, text, time.monotonic() - start
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture(scope="module")
def remastered_medium(tmp_path_factory):
    sys.path.insert(0, str(ROOT / "tests" / "vm"))
    from harness import iso as harness_iso

    vanilla = harness_iso.build_vanilla_iso(log=lambda *_: None)
    out = tmp_path_factory.mktemp("remaster") / "remastered.iso"
    report = remaster_for_test(vanilla, out)
    assert "blivet" in report and "textual" in report, report   # the wheels the vanilla root lacked
    return out


@pytest.mark.parametrize("firmware", ["bios", "uefi"])
def test_remastered_iso_boots_and_installs_from_its_kickstart(remastered_medium, tmp_path, firmware):
    until = SUCCESS if firmware == "bios" else MOUNTED
    ok, serial, seconds = boot_cdrom(remastered_medium, tmp_path, firmware, until=until)
    tail = "\n".join(serial.splitlines()[-40:])
    # inst.cmdline runs an install only with a kickstart: the line means the embedded one was found.
    assert ok, f"{firmware}: no {until.pattern!r} after {seconds:.0f} s; serial tail:\n{tail}"
    assert "Traceback" not in serial, tail
    table = subprocess.run(["sfdisk", "--dump", str(tmp_path / "disk.raw")], capture_output=True, text=True,
                           check=True).stdout
    assert "label: gpt" in table and f"{tmp_path / 'disk.raw'}3" in table, table  # ESP/BIOS boot, /boot, LVM
    first = next(line for line in table.splitlines() if line.startswith(f"{tmp_path / 'disk.raw'}1 "))
    assert FIRST_PARTITION_TYPE[firmware] in first.upper(), table  # the installer saw which firmware booted it
