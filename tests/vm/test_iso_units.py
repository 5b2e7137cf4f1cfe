"""The installation medium's boot menu is data (tools/iso/medium.toml) rendered into GRUB's
grub.cfg; these tests need no guest and no build."""
import re
import shutil
import subprocess

import pytest

from harness import iso
from installer.model.product import load_product


def entries(cfg: str) -> list[tuple[str, str, str]]:
    """(title, id, kernel line) for every menuentry of a grub.cfg."""
    found = re.findall(r"^menuentry '([^']*)' --id (\S+) \{\n\tlinux (.*)\n\tinitrd (.*)\n\}$", cfg, re.M)
    return [(title, id_, linux) for title, id_, linux, _ in found]


def test_the_shipped_menu_has_the_three_entries_on_serial_and_screen():
    m = iso.load_medium()
    cfg = iso.grub_cfg(m)
    got = entries(cfg)
    assert [t for t, _, _ in got] == ["Install Azure Linux",
                                      "Install unattended (kickstart on OEMDRV or inst.ks=)",
                                      "Rescue shell"]
    assert "serial --unit=0 --speed=115200" in cfg
    assert "terminal_input serial console" in cfg and "terminal_output serial console" in cfg
    assert 1 <= int(re.search(r"^set timeout=(\d+)$", cfg, re.M)[1]) <= 10
    assert re.search(r"^set default=(\d+)$", cfg, re.M)[1] == "0"    # "Install Azure Linux"
    for title, id_, linux in got:
        args = linux.split()
        assert args[0] == "/boot/vmlinuz"
        assert "root=live:CDLABEL=AZL-LIVE" in args and "rd.live.image" in args
        # the serial console last: /dev/console, where the installer starts, is the serial line
        assert args.index("console=tty0") < args.index("console=ttyS0,115200"), title
    by_id = {id_: linux.split() for _, id_, linux in got}
    assert "inst.ks" in by_id["unattended"] and "inst.cmdline" in by_id["unattended"]
    assert not any(a.startswith("inst.") for a in by_id["rescue"])
    assert "systemd.unit=rescue.target" in by_id["rescue"]


def test_the_medium_label_is_the_one_the_installer_hides_from_targets():
    assert iso.load_medium().label == load_product().live_label


def test_the_menu_follows_the_data(tmp_path):
    data = tmp_path / "medium.toml"
    data.write_text("""
label = "TEST_MEDIUM-2"
timeout = 2
default = "b"
serial = { unit = 1, speed = 9600 }
kernel_args = ["root=live:CDLABEL={label}", "console=ttyS1,9600"]
[[entries]]
id = "a"
title = "First thing"
args = ["inst.text"]
[[entries]]
id = "b"
title = "Second thing"
args = ["inst.ks=hd:LABEL=X:/ks.cfg", "quiet"]
""")
    m = iso.load_medium(data)
    cfg = iso.grub_cfg(m, kernel="/k", initrd="/i")
    assert entries(cfg) == [("First thing", "a", "/k root=live:CDLABEL=TEST_MEDIUM-2 console=ttyS1,9600 inst.text"),
                            ("Second thing", "b", "/k root=live:CDLABEL=TEST_MEDIUM-2 console=ttyS1,9600 "
                                                  "inst.ks=hd:LABEL=X:/ks.cfg quiet")]
    assert "set default=1\n" in cfg and "set timeout=2\n" in cfg
    assert "serial --unit=1 --speed=9600" in cfg
    assert "search --no-floppy --set=root --label TEST_MEDIUM-2" in cfg
    assert m.cmdline("a", ["norandmaps"]).endswith("inst.text norandmaps")


@pytest.mark.parametrize("edit, problem", [
    (lambda t: t.replace('default = "install"', 'default = "nope"'), "default 'nope' is not an entry id"),
    (lambda t: t.replace('label = "AZL-LIVE"', 'label = "azl live"'), "label 'azl live'"),
    (lambda t: t + '[[entries]]\nid = "q"\ntitle = "Q"\nargs = ["x=\'1\'"]\n', "entry q: kernel argument"),
    (lambda t: t + '[[entries]]\nid = "install"\ntitle = "Again"\n', "entry ids repeat"),
])
def test_bad_menu_data_is_refused_with_the_reason(tmp_path, edit, problem):
    text = iso.MEDIUM.read_text()
    data = tmp_path / "medium.toml"
    data.write_text(edit(text))
    assert data.read_text() != text
    with pytest.raises(iso.MediumError) as err:
        iso.load_medium(data)
    assert problem in str(err.value) and str(data) in str(err.value)


@pytest.mark.skipif(shutil.which("grub-script-check") is None, reason="grub-common not installed")
def test_grub_accepts_the_generated_configuration(tmp_path):
    cfg = tmp_path / "grub.cfg"
    cfg.write_text(iso.grub_cfg(iso.load_medium()))
    r = subprocess.run(["grub-script-check", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    cfg.write_text(iso.grub_cfg(iso.load_medium()).replace("}", "", 1))   # the check can fail
    assert subprocess.run(["grub-script-check", str(cfg)], capture_output=True).returncode != 0
