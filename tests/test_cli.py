"""azl-install validate and plan as a user runs them: exit codes, output, no tracebacks."""

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installer.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "tests" / "profiles"
HASH = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example"
GOOD = f"""cmdline
zerombr
clearpart --all --initlabel
autopart --type=lvm --noswap
rootpw --iscrypted {HASH}
sshkey --username=root "{KEY}"
timezone Europe/Berlin --utc
network --bootproto=static --device=link --ip=192.168.1.20 --netmask=24 --gateway=192.168.1.1 --hostname=web01
%packages
@^server
%end
"""


def run(*argv, cwd=None):
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    if cwd:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main([str(a) for a in argv])
    finally:
        os.chdir(old)
    return rc, out.getvalue(), err.getvalue()


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.ks"
    path.write_text(GOOD)
    return path


def test_valid_kickstart_exits_0_and_prints_nothing_on_stdout(good):
    rc, out, err = run("validate", good, "--machine", PROFILES / "nvme-uefi.json")
    assert (rc, out) == (0, "")
    assert "0 error(s)" in err


def test_warnings_print_but_still_exit_0(tmp_path):
    path = tmp_path / "warn.ks"
    path.write_text(GOOD.replace("autopart --type=lvm --noswap", "autopart --type=lvm --noswap --encrypted "
                                 "--passphrase=short"))
    rc, out, _ = run("validate", path, cwd=tmp_path)
    assert rc == 0
    assert out == f"{path}:4: warning: the encryption passphrase is shorter than 8 characters\n"


def test_errors_are_compiler_style_and_sorted_across_files(tmp_path):
    a = tmp_path / "a.ks"
    b = tmp_path / "b.ks"
    a.write_text(GOOD.replace("timezone Europe/Berlin", "timezone Mars/Base").replace("--hostname=web01",
                                                                                       "--hostname=web_01"))
    b.write_text(GOOD.replace("--gateway=192.168.1.1", "--gateway=10.9.9.9"))
    rc, out, err = run("validate", "b.ks", "a.ks", cwd=tmp_path)
    assert rc == 1
    assert out.splitlines() == [
        "b.ks:8: --gateway=10.9.9.9 is not in the subnet 192.168.1.0/24 of --ip=192.168.1.20",
        "a.ks:7: timezone 'Mars/Base' does not exist",
        "a.ks:8: hostname 'web_01' contains '_': only letters, digits, '-' and '.' are allowed",
    ]
    assert "2 file(s), 3 error(s)" in err


def test_one_bad_file_among_good_ones_fails_the_run(good, tmp_path):
    bad = tmp_path / "bad.ks"
    bad.write_text("frobnicate\n")
    assert run("validate", good, bad)[0] == 1
    assert run("validate", good, good)[0] == 0


@pytest.mark.parametrize("content,message", [
    (b"", "empty.ks:1: the file is empty"),
    (b"\n  \n", "empty.ks:1: the file is empty"),
    (b"\x7fELF\x02\x01\x01\x00\x00\x00garbage\xff\xfe", "empty.ks:1: not a text file"),
    (b"rootpw --plaintext \xe9t\xe9\n", "empty.ks:1: not valid UTF-8 (byte 0xe9)"),
])
def test_empty_and_binary_files(tmp_path, content, message):
    (tmp_path / "empty.ks").write_bytes(content)
    rc, out, _ = run("validate", "empty.ks", cwd=tmp_path)
    assert rc == 1
    assert out.splitlines()[0] == message


def test_huge_file_is_refused_quickly(tmp_path):
    huge = tmp_path / "huge.ks"
    with open(huge, "wb") as fh:
        line = b"# " + b"x" * 1021 + b"\n"
        for _ in range(50 * 1024):
            fh.write(line)
    rc, out, _ = run("validate", "huge.ks", cwd=tmp_path)
    assert rc == 1
    assert out.startswith("huge.ks: cannot read: file is too large")


def test_directories_missing_and_special_paths(tmp_path):
    rc, out, _ = run("validate", tmp_path, tmp_path / "nope.ks", "/dev/null")
    assert rc == 1
    assert out.splitlines() == [
        f"{tmp_path}: cannot read: is a directory",
        f"{tmp_path / 'nope.ks'}: cannot read: No such file or directory",
        "/dev/null: cannot read: not a regular file",
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path, good):
    good.chmod(0)
    rc, out, _ = run("validate", good)
    assert rc == 1 and "cannot read: Permission denied" in out


@pytest.mark.parametrize("argv,message", [
    (["validate"], "the following arguments are required: FILE"),
    (["validate", "x.ks", "--bogus"], "unrecognized arguments: --bogus"),
    (["validate", "x.ks", "--machine", "/nonexistent/profile.json"],
     "--machine /nonexistent/profile.json: cannot read the profile: No such file or directory"),
    (["validate", "x.ks", "--product", "nosuchproduct"], "--product nosuchproduct: cannot load the product"),
    (["plan"], "the following arguments are required: FILE"),
    (["plan", "x.ks", "--machine", "/nonexistent.json"], "--machine /nonexistent.json: cannot read the profile"),
])
def test_usage_errors_exit_2(argv, message):
    rc, out, err = run(*argv)
    assert rc == 2
    assert message in err
    assert "Traceback" not in err + out


def test_machine_profile_that_is_not_json_is_a_usage_error(tmp_path, good):
    prof = tmp_path / "m.json"
    prof.write_text("{not json")
    rc, _, err = run("validate", good, "--machine", prof)
    assert rc == 2 and "not a machine profile" in err


def test_machine_checks_apply_with_a_profile(tmp_path):
    path = tmp_path / "ks.cfg"
    path.write_text(GOOD.replace("autopart --type=lvm --noswap", "autopart --type=lvm --noswap\n"
                                 "ignoredisk --only-use=sdb"))
    rc, out, _ = run("validate", "ks.cfg", "--machine", PROFILES / "vm-virtio-usb-live.json", cwd=tmp_path)
    assert rc == 1
    assert out == "ks.cfg:5: ignoredisk --only-use: sdb is the live installation medium and is never an install target\n"
    assert run("validate", "ks.cfg", cwd=tmp_path)[0] == 0, "without a machine, disk names cannot be checked"


def test_plan_prints_sections_with_origins(good):
    rc, out, _ = run("plan", good)
    assert rc == 0
    for section in ("Storage", "Software", "System", "Network", "Accounts", "Security", "Boot loader"):
        assert f"\n{section}\n" in out
    assert f"layout          automatic, lvm, xfs    [{good}:4]" in out
    assert f"timezone        Europe/Berlin    [{good}:7]" in out
    assert "language        en_US.UTF-8    [product default]" in out
    assert "storage actions: give --machine PROFILE to see them" in out
    assert HASH not in out


def test_plan_json_has_plan_and_diagnostics(good):
    rc, out, _ = run("plan", good, "--json")
    assert rc == 0
    data = json.loads(out)
    assert data["system"]["timezone"] == "Europe/Berlin"
    assert data["system"]["origins"]["timezone"] == f"{good}:7"
    assert data["diagnostics"] == []
    assert data["storage"]["autopart"]["scheme"] == "lvm"
    assert "storage_preview" not in data, "no machine, no storage preview"


def test_plan_of_an_invalid_kickstart_exits_1_with_diagnostics(tmp_path):
    path = tmp_path / "bad.ks"
    path.write_text(GOOD.replace("Europe/Berlin", "Europe/Berlinn"))
    rc, out, _ = run("plan", "bad.ks", cwd=tmp_path)
    assert rc == 1
    assert out == "bad.ks:7: timezone 'Europe/Berlinn' does not exist (did you mean 'Europe/Berlin'?)\n"
    rc, out, _ = run("plan", "bad.ks", "--json", cwd=tmp_path)
    assert rc == 1
    diag = json.loads(out)["diagnostics"]
    assert diag == [{"severity": "error", "message": "timezone 'Europe/Berlinn' does not exist (did you mean "
                     "'Europe/Berlin'?)", "file": "bad.ks", "line": 7, "field": "system.timezone",
                     "text": "bad.ks:7: timezone 'Europe/Berlinn' does not exist (did you mean 'Europe/Berlin'?)"}]


def test_plan_with_machine_shows_storage_when_the_planner_is_there(good):
    pytest.importorskip("blivet")
    rc, out, _ = run("plan", good, "--machine", PROFILES / "nvme-uefi.json")
    assert rc == 0, out
    assert "Storage actions" in out and "/etc/fstab" in out
    assert " / xfs " in out
    rc, out, _ = run("plan", good, "--machine", PROFILES / "nvme-uefi.json", "--json")
    data = json.loads(out)
    assert data["storage_preview"] and data["storage"]["autopart"]["scheme"] == "lvm"


def test_cli_in_a_subprocess_never_prints_a_traceback(tmp_path):
    garbage = tmp_path / "garbage.ks"
    garbage.write_bytes(os.urandom(4096))
    proc = subprocess.run([sys.executable, "-m", "installer", "validate", str(garbage), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stdout.count("\n") == 2
