from installer.live.bootopts import parse_cmdline, read_boot_options


def test_kickstart_and_repo_options():
    o = parse_cmdline("BOOT_IMAGE=/vmlinuz root=live:LABEL=AZL-LIVE inst.ks=hd:LABEL=OEMDRV:/ks.cfg "
                      "inst.repo=cdrom console=tty0 console=ttyS0,115200n8 quiet\n")
    assert o.ks == "hd:LABEL=OEMDRV:/ks.cfg"
    assert o.repo == "cdrom"
    assert o.serial_console == "ttyS0"
    assert o.unattended and not o.cmdline


def test_bare_inst_ks_means_oemdrv_and_cmdline_flag():
    o = parse_cmdline("inst.ks inst.cmdline inst.text inst.dryrun")
    assert o.ks == ""
    assert o.cmdline and o.text and o.dry_run


def test_no_installer_options():
    o = parse_cmdline("root=/dev/vda1 ro quiet")
    assert o.ks is None and o.repo is None and not o.unattended


def test_legacy_names_and_unknown_options_kept():
    o = parse_cmdline("ks=http://127.0.0.1:8000/ks.cfg inst.sshd inst.loglevel=debug")
    assert o.ks == "http://127.0.0.1:8000/ks.cfg"
    assert o.extra == {"sshd": "", "loglevel": "debug"}


def test_unbalanced_quotes_do_not_break_parsing():
    o = parse_cmdline('inst.ks=file:/ks.cfg foo="bar')
    assert o.ks == "file:/ks.cfg"


def test_read_boot_options_missing_file(tmp_path):
    assert read_boot_options(tmp_path / "nope").ks is None
    f = tmp_path / "cmdline"
    f.write_text("inst.ks=file:///run/ks.cfg\n")
    assert read_boot_options(f).ks == "file:///run/ks.cfg"
