"""The JSON event encoding: real event streams from dry-run installs validate against
docs/events.schema.json, and every event survives encode -> decode."""

import json
from pathlib import Path

import pytest

from installer.cli import main
from installer.model import eventjson
from installer.model.events import Failed, Finished, Log, Progress, StepFinished, StepStarted
from tests.model.schema_subset import errors

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs/events.schema.json").read_text())
PROFILES = ROOT / "tests/profiles"

SAMPLES = [
    StepStarted(step="storage", index=3, total=21, title="Creating partitions"),
    StepFinished(step="storage", seconds=1.5),
    StepFinished(step="pre_scripts", seconds=0.0, skipped=True),
    Progress(step="payload", done=3, total=10, unit="packages", item="bash-5.2", bytes_done=10, bytes_total=100),
    Progress(step="payload", done=0.5, total=1.0),
    Log(level="warning", message="café \x1b[31m", step=None),
    Failed(step="validate", message="bad", log_tail=["a", "b"]),
    Finished(seconds=12.0, dry_run=True),
]


def stream(tmp_path, ks, profile: str) -> tuple[int, list[dict]]:
    out = tmp_path / "events.jsonl"
    rc = main(["install", "-k", str(ROOT / "kickstarts" / ks), "--machine", str(PROFILES / profile), "--dry-run",
               "--json-events", str(out), "--log-dir", str(tmp_path / "logs")])
    lines = out.read_text().splitlines()
    assert lines, "no events written"
    return rc, [json.loads(line) for line in lines]


def test_schema_rejects_what_it_should():
    good = json.loads(eventjson.encode(SAMPLES[0]))
    assert errors(good, SCHEMA) == []
    assert errors({**good, "v": 2}, SCHEMA)
    assert errors({**good, "index": "3"}, SCHEMA)
    assert errors({**good, "extra": 1}, SCHEMA)
    assert errors({k: v for k, v in good.items() if k != "step"}, SCHEMA)
    assert errors({**good, "kind": "exploded"}, SCHEMA)


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: e.kind)
def test_every_kind_validates_and_round_trips(event):
    line = eventjson.encode(event)
    assert "\n" not in line and line.isascii()
    assert errors(json.loads(line), SCHEMA) == []
    assert eventjson.decode(line) == event
    assert event.to_json() == line


def test_a_dry_run_install_stream_validates(tmp_path, capsys):
    rc, records = stream(tmp_path, "minimal.ks", "nvme-uefi.json")
    assert rc == 0
    for record in records:
        assert errors(record, SCHEMA) == [], record
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "step-started" and kinds[-1] == "finished"
    assert kinds.count("step-started") == records[0]["total"]
    # the console view still went to stdout, and it is not JSON
    assert "Dry run finished" in capsys.readouterr().out


def test_a_failed_install_stream_validates(tmp_path):
    bad = tmp_path / "bad.ks"
    text = (ROOT / "kickstarts/minimal.ks").read_text()
    bad.write_text("\n".join("clearpart --all --drives=nosuchdisk" if line.startswith("clearpart") else line
                             for line in text.splitlines()) + "\n")
    rc, records = stream(tmp_path, bad, "nvme-uefi.json")
    assert rc == 1
    assert [r["kind"] for r in records] == ["failed"]
    assert errors(records[0], SCHEMA) == []
    assert records[0]["step"] == "validate" and "bad.ks:" in records[0]["message"]


def test_json_events_dash_writes_only_json_to_stdout(tmp_path, capsys):
    rc = main(["install", "-k", str(ROOT / "kickstarts/minimal.ks"), "--machine", str(PROFILES / "nvme-uefi.json"),
               "--dry-run", "--json-events", "-", "--log-dir", str(tmp_path / "logs")])
    assert rc == 0
    out = capsys.readouterr().out.splitlines()
    assert out and all(errors(json.loads(line), SCHEMA) == [] for line in out)


def test_json_events_file_is_private(tmp_path):
    stream(tmp_path, "minimal.ks", "nvme-uefi.json")
    assert (tmp_path / "events.jsonl").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("line,message", [
    ("nope", "not JSON"), ("[]", "object"), ('{"v": 2, "kind": "log"}', "version"),
    ('{"v": 1, "kind": "boom"}', "unknown event kind"), ('{"v": 1, "kind": "failed", "time": 1}', "failed"),
])
def test_decode_refuses_bad_lines(line, message):
    with pytest.raises(eventjson.EventDecodeError, match=message):
        eventjson.decode(line)


def test_decode_ignores_unknown_optional_keys():
    record = json.loads(eventjson.encode(SAMPLES[1]))
    record["new_field"] = "from a newer writer"
    assert eventjson.decode(json.dumps(record)) == SAMPLES[1]


def test_a_kickstart_with_errors_reaches_the_monitors_and_writes_nothing(tmp_path, monkeypatch, capsys):
    import threading

    from installer.eventbus import Follower

    sock = tmp_path / "events.sock"
    monkeypatch.setenv("AZL_EVENT_SOCKET", str(sock))
    bad = tmp_path / "bad.ks"
    bad.write_text("text\nbogus_command --x\nrootpw\n")
    seen = []

    def watch():
        for event in Follower(sock, idle_limit=8):
            if event is not None:
                seen.append(event)
                return

    watcher = threading.Thread(target=watch)
    watcher.start()
    rc = main(["install", "-k", str(bad), "--machine", str(PROFILES / "nvme-uefi.json"), "--yes",
               "--target", str(tmp_path / "target"), "--log-dir", str(tmp_path / "logs")])
    watcher.join(10)
    assert rc == 1
    err = capsys.readouterr().err
    assert f"{bad}:2:" in err
    assert seen and seen[0].kind == "failed" and f"{bad}:2:" in seen[0].message
    assert not (tmp_path / "target").exists() and not (tmp_path / "logs").exists()


def test_strict_turns_warnings_into_errors(tmp_path, capsys):
    ks = tmp_path / "warn.ks"
    text = (ROOT / "kickstarts/minimal.ks").read_text()
    ks.write_text(text.replace("autopart --type=lvm --nohome --noswap",
                               "autopart --type=lvm --nohome --noswap --encrypted --passphrase=Xq9zk", 1))
    args = ["install", "-k", str(ks), "--machine", str(PROFILES / "nvme-uefi.json"), "--dry-run",
            "--log-dir", str(tmp_path / "logs")]
    assert main(args) == 0
    assert f"{ks}:24: warning: the encryption passphrase is shorter" in capsys.readouterr().out
    assert main([*args, "--strict"]) == 1
    out = capsys.readouterr().out
    assert "has warnings (strict: inst.ksstrict); nothing was changed" in out
    assert f"{ks}:24: warning: the encryption passphrase is shorter" in out


def test_nosave_leaves_out_what_it_names(tmp_path, capsys):
    args = ["install", "-k", str(ROOT / "kickstarts/minimal.ks"), "--machine", str(PROFILES / "nvme-uefi.json"),
            "--dry-run", "--log-dir", str(tmp_path / "logs")]
    assert main(args) == 0
    full = capsys.readouterr().out
    assert "installer-ks.cfg" in full and "copy the install logs" in full
    assert main([*args, "--nosave", "output_ks,logs"]) == 0
    out = capsys.readouterr().out
    assert "installer-ks.cfg" not in out and "copy the install logs" not in out and "original-ks.cfg" in out
    assert main([*args, "--nosave", "kernel"]) == 2
