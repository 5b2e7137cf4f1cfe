"""Hostile kickstart input (issue 12, items 13 and 14): one byte budget for a kickstart and all it includes,
no file that is not a regular file is opened, reads are bounded, and lines that used to stop the parser
(or end in exit code 3) become errors naming FILE:LINE, all in one pass."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.kickstart import source as kickstart_source
from installer.kickstart.files import load_kickstart, parse_kickstart

ROOT = Path(__file__).resolve().parents[2]


def messages(result) -> list[str]:
    return [str(d) for d in result.errors]


def test_includes_share_one_byte_budget(tmp_path):
    chunk = ("# padding " + "x" * 53 + "\n") * (2 * 1024 * 1024 // 64)  # 2 MiB of comments
    (tmp_path / "big.ks").write_text(chunk)
    main = tmp_path / "main.ks"
    main.write_text("lang en_US.UTF-8\n" + "%include big.ks\n" * 8)  # 16 MiB if each include were capped alone
    src = kickstart_source.expand(main.read_text(), str(main))
    assert len(src.text.encode()) <= kickstart_source.MAX_BYTES
    errors = [str(d) for d in src.diagnostics]
    budget_error = (f"{main}:6: cannot include 'big.ks': the kickstart and its includes would exceed the limit "
                    f"of {kickstart_source.MAX_BYTES} bytes in all")
    assert errors[0] == budget_error
    assert all(e.endswith(f"reach the limit of {kickstart_source.MAX_BYTES} bytes in all") for e in errors[1:])
    assert [e.split(":")[1] for e in errors] == ["6", "7", "8", "9"]


def test_a_nested_fan_cannot_multiply_the_input(tmp_path):
    (tmp_path / "leaf.ks").write_text("# " + "y" * (1024 * 1024 - 3) + "\n")  # 1 MiB
    (tmp_path / "mid.ks").write_text("%include leaf.ks\n" * 4)
    main = tmp_path / "main.ks"
    main.write_text("%include mid.ks\n" * 4)  # 16 MiB in all without a shared budget
    src = kickstart_source.expand(main.read_text(), str(main))
    assert len(src.text.encode()) <= kickstart_source.MAX_BYTES
    assert any("in all" in d.message for d in src.diagnostics)


def test_kernel_files_are_refused_before_reading(tmp_path):
    main = tmp_path / "main.ks"
    main.write_text("lang en_US.UTF-8\n%include /proc/self/status\n")
    assert messages(load_kickstart(main)) == [f"{main}:2: cannot include '/proc/self/status': not a regular file"]


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.ks"
    os.mkfifo(fifo)
    main = tmp_path / "main.ks"
    main.write_text("%include pipe.ks\n")
    assert messages(load_kickstart(main)) == [f"{main}:1: cannot include 'pipe.ks': not a regular file"]
    assert messages(load_kickstart(fifo)) == [f"{fifo}: cannot read: not a regular file"]


@pytest.mark.skipif(not os.path.exists("/proc/kmsg"), reason="no /proc/kmsg here")
def test_including_kmsg_does_not_block(tmp_path):
    main = tmp_path / "main.ks"
    main.write_text("%include /proc/kmsg\n")
    code = ("import sys; from installer.kickstart.files import load_kickstart; "
            "print(*map(str, load_kickstart(sys.argv[1]).errors))")
    proc = subprocess.run([sys.executable, "-c", code, str(main)], cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=60)
    assert proc.stdout.strip() == f"{main}:1: cannot include '/proc/kmsg': not a regular file"


def test_reads_are_bounded_in_wall_clock_time(tmp_path, monkeypatch):
    path = tmp_path / "slow.ks"
    path.write_text("lang en_US.UTF-8\n" * 10)
    monkeypatch.setattr(kickstart_source, "READ_SECONDS", -1.0)  # every read is already late
    assert messages(load_kickstart(path)) == [f"{path}: cannot read: reading took longer than -1 seconds"]


def test_an_empty_command_name_is_an_error_and_parsing_goes_on():
    result = parse_kickstart("lang en_US.UTF-8\n''\nbogus1\n\"\" --x\nbogus2\n", "ks.cfg")
    assert messages(result) == ["ks.cfg:2: a command name cannot be empty", "ks.cfg:3: unknown command 'bogus1'",
                                "ks.cfg:4: a command name cannot be empty", "ks.cfg:5: unknown command 'bogus2'"]


def test_an_unclosed_quote_is_an_error_and_parsing_goes_on():
    result = parse_kickstart("rootpw --plaintext 'Secr3tPw\nbogus\n", "ks.cfg")
    assert messages(result) == ["ks.cfg:1: cannot split the line into words: No closing quotation",
                                "ks.cfg:2: unknown command 'bogus'"]
    assert "Secr3tPw" not in "\n".join(messages(result))
