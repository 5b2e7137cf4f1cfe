"""The installation medium (build/azl-install.iso) built the same way twice, and a kickstart with
a syntax error delivered to the medium's unattended entry: the FILE:LINE message on the serial
console, and not one byte changed on any disk. (The medium's unattended installs, UEFI and BIOS,
and its inst.cmdline console are proven in test_config_scenarios.py.)"""
import hashlib
import shutil

import pytest
from harness import iso, isoboot, scenario
from harness.diskhash import hash_disks
from harness.paths import BUILD
from harness.qemu import Disk

pytestmark = pytest.mark.vm

BROKEN_KS = """\
cmdline
lang en_US.UTF-8
rootpw --lock
ignoredisk --only-use=iso-ks-os
clearpart --all --initlabel
part / --size=4096
part /srv --size=notanumber
bootloader --timeout=1
poweroff
"""
BROKEN_LINE = 7


def test_the_same_inputs_give_the_same_medium(install_medium, tmp_path):
    """The live root rebuilt from the same inputs has the same tree and squashfs bytes, and the
    ISO made again from the same tree is byte-identical."""
    root = iso.build_live_root()
    again = BUILD / "runs" / "iso-repro"       # beside the cache: the step hard-links from it
    if again.exists():
        shutil.rmtree(again)
    again.mkdir(parents=True)
    iso.make_live_root(again)
    assert (again / "tree.sha256").read_text() == (root.dir / "tree.sha256").read_text()
    assert _sha(again / "squashfs.img") == _sha(root.squashfs)
    second = tmp_path / iso.ISO_NAME
    iso._mkrescue(install_medium.dir / "tree", second, install_medium.label, tmp_path / "mkrescue.log")
    assert _sha(second) == _sha(install_medium.iso)
    assert install_medium.manifest["LiveOS/squashfs.img"] == _sha(root.squashfs)
    shutil.rmtree(again)


def _sha(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def test_kickstart_syntax_error_names_file_and_line_and_writes_nothing(install_medium, vm_timer):
    """BIOS, the kickstart at inst.ks=hd:LABEL=AZL-KS:/kickstarts/ks.cfg on a USB stick (the
    admin edits the unattended entry's kernel line in GRUB); the target holds data."""
    sc = scenario.Scenario(name="iso-ks-error", firmware="bios", expected={}, kickstart=BROKEN_KS,
                           disks=[scenario.TargetDisk("os", "4G", "virtio", True, "iso-ks-os", existing="1G")])
    sc.workdir.mkdir(parents=True, exist_ok=True)
    disks = scenario._prepare_disks(sc)
    stick = Disk(scenario._oemdrv_image(sc, "AZL-KS", "kickstarts/ks.cfg", BROKEN_KS), bus="usb",
                 serial="azl-ks", selected=False)
    every = [*disks, stick]
    before = hash_disks(every)
    vm = isoboot.iso_vm(install_medium, "iso-ks-error", every, "bios")
    with vm:
        isoboot.choose_entry(vm, "unattended", (*isoboot.TEST_ARGS, "inst.ks=hd:LABEL=AZL-KS:/kickstarts/ks.cfg"))
        vm.wait_for("has errors; nothing was changed", 600)
        vm_timer.add("boot", "iso-ks-error", vm.elapsed())
        log = vm.serial_log.read_text(errors="replace")
    assert f"ks.cfg:{BROKEN_LINE}" in log, vm.tail(40)
    assert "Installation finished" not in log
    assert hash_disks(every) == before
