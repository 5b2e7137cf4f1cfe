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


import itertools

import pytest

BOOT_WORDS = ["inst.ks=file:/ks.cfg", "inst.cmdline", "inst.dryrun", "inst.text", "console=ttyS0,115200",
              "inst.noverifyssl", "autoinstall", "inst.unattended", "inst.yes"]


@pytest.mark.parametrize("words", [c for n in range(len(BOOT_WORDS) + 1)
                                   for c in itertools.combinations(BOOT_WORDS, n) if n <= 3])
@pytest.mark.parametrize("fetched", [True, False])
def test_only_inst_cmdline_with_a_kickstart_skips_the_confirmation(words, fetched):
    """The one unattended path without a person: inst.cmdline and a kickstart. Every other boot
    line reaches a person (TUI summary or countdown naming the disks) before anything is erased."""
    opts = parse_cmdline(" ".join(words))
    argv = decide(opts, "/run/install/ks.cfg" if fetched else None)
    unattended = fetched and "inst.cmdline" in words
    assert ("--yes" in argv) == unattended
    assert argv[1] == ("install" if unattended else "tui")


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


def test_reinstall_with_cmdline_reinstalls_unattended():
    opts = parse_cmdline("inst.reinstall inst.cmdline")
    assert opts.reinstall and not opts.errors
    assert decide(opts, None) == ["azl-install", "reinstall", "--yes"]
    assert decide(parse_cmdline("inst.reinstall inst.cmdline inst.dryrun"), None)[-1] == "--dry-run"


def test_reinstall_without_cmdline_opens_the_tui_that_offers_it():
    assert decide(parse_cmdline("inst.reinstall"), None) == ["azl-install", "tui"]
    assert not parse_cmdline("inst.reinstall=0").reinstall


def test_a_kickstart_given_wins_over_reinstall():
    argv = decide(parse_cmdline("inst.ks=file:/ks.cfg inst.reinstall inst.cmdline"), "/run/install/ks.cfg")
    assert argv[:2] == ["azl-install", "install"]
