from pathlib import Path

from installer.live.bootopts import parse_cmdline
from installer.cli import main
from installer.live.start import decide

ROOT = Path(__file__).resolve().parents[2]


def test_no_kickstart_starts_the_tui():
    assert decide(parse_cmdline("quiet"), None) == ["azl-install", "tui"]


def test_kickstart_with_cmdline_installs_unattended():
    argv = decide(parse_cmdline("inst.ks=file:/ks.cfg inst.cmdline"), "/run/install/ks.cfg")
    assert argv == ["azl-install", "install", "--kickstart", "/run/install/ks.cfg", "--yes"]


def test_kickstart_without_cmdline_prefills_the_tui_with_countdown():
    argv = decide(parse_cmdline("inst.ks=file:/ks.cfg inst.dryrun"), "/run/install/ks.cfg")
    assert argv == ["azl-install", "tui", "--ks", "/run/install/ks.cfg", "--dry-run"]


def test_start_print_fetches_the_kickstart(tmp_path, capsys):
    ks = tmp_path / "my.ks"
    ks.write_text("text\n")
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"inst.ks=file://{ks} inst.cmdline\n")
    assert main(["start", "--cmdline-file", str(cmdline), "--ks-dir", str(tmp_path / "run"), "--print"]) == 0
    assert capsys.readouterr().out.strip() == f"azl-install install --kickstart {ks} --yes"


def test_start_with_missing_kickstart_fails_unattended(tmp_path, capsys):
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"inst.ks=file://{tmp_path}/missing.ks inst.cmdline\n")
    assert main(["start", "--cmdline-file", str(cmdline), "--print"]) == 1
    assert "no such file" in capsys.readouterr().err


def test_boot_option_errors_stop_before_anything(tmp_path, capsys):
    cmdline = tmp_path / "cmdline"
    cmdline.write_text("inst.ks=nfs:srv:/ks.cfg inst.cmdline ip=bogus\n")
    assert main(["start", "--cmdline-file", str(cmdline), "--print"]) == 1
    err = capsys.readouterr().err
    assert "inst.ks=nfs:srv:/ks.cfg: NFS is not supported" in err and "ip=bogus:" in err
    assert "nothing was changed" in err


def test_strict_and_nosave_reach_the_unattended_install(tmp_path, capsys):
    ks = tmp_path / "my.ks"
    ks.write_text("text\n")
    cmdline = tmp_path / "cmdline"
    cmdline.write_text(f"inst.ks=file://{ks} inst.cmdline inst.ksstrict inst.nosave=all_ks\n")
    assert main(["start", "--cmdline-file", str(cmdline), "--print"]) == 0
    assert capsys.readouterr().out.strip() == \
        f"azl-install install --kickstart {ks} --yes --strict --nosave input_ks,output_ks"
