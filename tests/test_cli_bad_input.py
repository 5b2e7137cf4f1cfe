"""Bad input is a user error with the documented exit code, never exit 3 ("internal error") (issue 12 item 14)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from installer.cli import main

ROOT = Path(__file__).resolve().parent.parent
PROFILES = ROOT / "tests" / "profiles"
MINIMAL = ROOT / "kickstarts" / "minimal.ks"


def run(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("url", ["http://[::1/x", "https://[fe80::1/os", "ftp://[::1"])
@pytest.mark.parametrize("command", [("validate",), ("plan",), ("plan", "--json")])
def test_a_malformed_ipv6_url_is_an_error_at_its_line(tmp_path, url, command):
    ks = tmp_path / "ks.cfg"
    ks.write_text(f"lang en_US.UTF-8\nurl --url={url}\nrepo --name=extra --baseurl={url} --proxy=http://[::1\n")
    rc, out, err = run(*command, ks)
    assert rc == 1, err
    text = out + err
    assert "internal error" not in text
    assert f"{ks}:2: url --url={url} is not a valid URL (Invalid IPv6 URL)" in text
    assert f"{ks}:3: repo --baseurl={url} is not a valid URL" in text
    assert f"{ks}:3: --proxy=http://[::1 is not a valid URL" in text


def _overlapping_profile(tmp_path) -> Path:
    data = json.loads((PROFILES / "dualboot-windows-linux.json").read_text())
    parts = data["disks"][0]["partitions"]
    parts[1]["start"] = parts[0]["start"] + 4096  # inside the first partition
    path = tmp_path / "overlap.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("command", [("validate",), ("plan",), ("install", "--dry-run", "--kickstart")])
def test_a_profile_with_overlapping_partitions_is_a_usage_error(tmp_path, command):
    profile = _overlapping_profile(tmp_path)
    rc, out, err = run(*command, MINIMAL, "--machine", profile)
    assert rc == 2, out + err
    assert "internal error" not in out + err
    assert f"--machine {profile}: not a consistent machine profile: nvme0n1p1 and nvme0n1p2 overlap" in err


def test_a_partition_beyond_its_disk_is_named(tmp_path):
    data = json.loads((PROFILES / "dualboot-windows-linux.json").read_text())
    disk = data["disks"][0]
    disk["partitions"][-1]["size"] = disk["size"]
    path = tmp_path / "beyond.json"
    path.write_text(json.dumps(data))
    rc, _, err = run("plan", MINIMAL, "--machine", path)
    assert rc == 2 and "beyond the end of nvme0n1" in err


def test_the_shipped_profiles_are_consistent():
    from installer.commands.validate import profile_problems
    from installer.model.machine import Machine

    for path in sorted(PROFILES.glob("*.json")):
        assert profile_problems(Machine.from_dict(json.loads(path.read_text()))) == [], path.name


def test_a_profile_that_is_not_a_regular_file_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "profile.json"
    os.mkfifo(fifo)  # opening it for reading would wait for a writer forever
    for profile in (fifo, Path("/proc/self/status")):
        rc, _, err = run("plan", MINIMAL, "--machine", profile)
        assert rc == 2 and f"--machine {profile}: cannot read the profile: not a regular file" in err
