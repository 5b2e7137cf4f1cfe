"""inst.report=URL: events reach a loopback stand-in endpoint in order, exactly once, while it is down,
failing or slow; the install is never blocked; secrets are never sent."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from installer.live.report import Reporter
from installer.model.events import (
    Failed,
    Finished,
    Log,
    Progress,
    StepFinished,
    StepStarted,
)
from tests.live.httpstub import Stub, free_port, make_ca, server_tls

ROOT = Path(__file__).resolve().parents[2]


class Endpoint:
    """A reporting endpoint that keeps the first copy of each Idempotency-Key (as the docs ask endpoints to),
    answers 500 to the first `fail_first` requests, and can hold an answer past the client's timeout."""

    def __init__(self, fail_first=0, hold=()):
        self.fail_first = fail_first
        self.hold = set(hold)  # sequence numbers whose first answer is late (stored, but the client gives up)
        self.accepted = []  # (key, seq, body) in arrival order, first copies only
        self.duplicates = []
        self.requests = 0

    def __call__(self, handler, seen):
        self.requests += 1
        if self.requests <= self.fail_first:
            handler.reply(500, b"busy\n")
            return
        key = seen.headers["Idempotency-Key"]
        seq = int(seen.headers["X-Azl-Event-Seq"])
        if any(k == key for k, _, _ in self.accepted):
            self.duplicates.append(key)
        else:
            self.accepted.append((key, seq, seen.body))
        if seq in self.hold:
            self.hold.discard(seq)
            time.sleep(1.0)
        handler.reply(204)


def install_events(steps=20):
    yield StepStarted(step="s1", index=1, total=steps, title="Step 1")
    for i in range(1, steps + 1):
        if i > 1:
            yield StepStarted(step=f"s{i}", index=i, total=steps, title=f"Step {i}")
        yield Log(message=f"working on {i}", step=f"s{i}")
        yield Progress(step=f"s{i}", done=1, total=1)
        yield StepFinished(step=f"s{i}", seconds=0.01)
    yield Finished(seconds=1.0)


def quick(url, **kw):
    kw = {"attempt_seconds": 0.5, "backoff_first": 0.05, "backoff_max": 0.2, "flush_seconds": 20, **kw}
    return Reporter(url, **kw)


def test_down_then_failing_endpoint_gets_every_event_exactly_once_in_order():
    port = free_port()
    endpoint = Endpoint(fail_first=5)
    reporter = quick(f"http://127.0.0.1:{port}/events")
    events = list(install_events())
    half = len(events) // 2
    t0 = time.monotonic()
    for e in events[:half]:
        reporter(e)
    assert time.monotonic() - t0 < 0.5, "the install is not held while the endpoint is down"
    time.sleep(0.5)  # the client retries against a closed port meanwhile
    assert reporter.stats.failures > 0 and reporter.stats.delivered == 0
    srv = Stub(default=endpoint, port=port).start()
    try:
        for e in events[half:]:
            reporter(e)  # the last one (finished) flushes
        stats = reporter.close(5)
    finally:
        srv.stop()
    assert stats.pending == 0 and stats.delivered == len(events) and stats.dropped == 0
    assert endpoint.requests > len(events)  # the 500s were retried
    assert endpoint.duplicates == []
    assert [seq for _, seq, _ in endpoint.accepted] == list(range(1, len(events) + 1))
    assert [body.decode() for _, _, body in endpoint.accepted] == [e.to_json() for e in events]
    assert len({k.split(":")[0] for k, _, _ in endpoint.accepted}) == 1  # one install id


def test_a_lost_answer_is_resent_with_the_same_key_and_kept_once():
    endpoint = Endpoint(hold={3})
    with Stub(default=endpoint) as srv:
        reporter = quick(srv.url("/events"))
        events = list(install_events(3))
        for e in events:
            reporter(e)
        stats = reporter.close(5)
    assert stats.pending == 0
    assert len(endpoint.duplicates) == 1 and endpoint.duplicates[0].endswith(":3")
    assert [seq for _, seq, _ in endpoint.accepted] == list(range(1, len(events) + 1))


def test_an_endpoint_that_never_answers_does_not_hold_the_install():
    blackhole = threading.Event()
    with Stub(default=lambda h, s: blackhole.wait(10)) as srv:
        reporter = quick(srv.url("/events"), flush_seconds=1.0)
        t0 = time.monotonic()
        for e in list(install_events(5))[:-1]:
            reporter(e)
        assert time.monotonic() - t0 < 0.3
        reporter(Finished(seconds=1.0))  # waits for the flush, at most flush_seconds
        stats = reporter.close(0.2)
        elapsed = time.monotonic() - t0
        blackhole.set()
    assert elapsed < 3.0
    assert stats.pending > 0 and stats.delivered == 0


def test_the_buffer_is_bounded_and_keeps_every_step_event():
    port = free_port()
    reporter = quick(f"http://127.0.0.1:{port}/events", buffer=10)
    essential = []
    for i in range(1, 6):
        e = StepStarted(step=f"s{i}", index=i, total=5)
        essential.append(e)
        reporter(e)
        for j in range(100):
            reporter(Log(message=f"line {j}", step=f"s{i}"))
        e = StepFinished(step=f"s{i}")
        essential.append(e)
        reporter(e)
    assert len(reporter._queue) <= 10 + len(essential)
    endpoint = Endpoint()
    srv = Stub(default=endpoint, port=port).start()
    try:
        reporter(Finished(seconds=1.0))
        stats = reporter.close(5)
    finally:
        srv.stop()
    got = [json.loads(body) for _, _, body in endpoint.accepted]
    kinds = [g["kind"] for g in got]
    assert [g for g in got if g["kind"] != "log"][:-1] == [json.loads(e.to_json()) for e in essential]
    assert kinds[-1] == "finished" and stats.dropped > 400
    seqs = [seq for _, seq, _ in endpoint.accepted]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len(endpoint.accepted) <= 10 + len(essential) + 1


def test_progress_is_thinned_but_the_last_of_a_step_goes():
    endpoint = Endpoint()
    with Stub(default=endpoint) as srv:
        reporter = quick(srv.url("/events"), progress_every=60)
        for i in range(1, 101):
            reporter(Progress(step="payload", done=i, total=100))
        reporter(Finished(seconds=1.0))
        reporter.close(5)
    got = [json.loads(body) for _, _, body in endpoint.accepted]
    assert [(g["kind"], g.get("done")) for g in got] == [("progress", 1), ("progress", 100), ("finished", None)]


def test_secrets_are_redacted_before_they_are_queued():
    endpoint = Endpoint()
    with Stub(default=endpoint) as srv:
        reporter = quick(srv.url("/events"), redact=lambda t: t.replace("S3cret!pw", "***"))
        reporter(Log(message="luksFormat with S3cret!pw", step="storage"))
        reporter(Failed(step="storage", message="failed: S3cret!pw", log_tail=["a S3cret!pw b", "c"]))
        reporter.close(5)
    sent = b"".join(body for _, _, body in endpoint.accepted)
    assert b"S3cret" not in sent and sent.count(b"***") == 3
    assert json.loads(endpoint.accepted[1][2])["log_tail"] == ["a *** b", "c"]


def test_https_endpoint_verified_against_the_given_ca(tmp_path):
    ca, cert, key = make_ca(tmp_path)
    endpoint = Endpoint()
    with Stub(default=endpoint, tls=server_tls(cert, key)) as srv:
        good = quick(srv.url("/events"), cafile=str(ca))
        good(Finished(seconds=1.0))
        assert good.close(5).delivered == 1
        bad = quick(srv.url("/events"), flush_seconds=0.5)
        bad(Finished(seconds=1.0))
        stats = bad.close(0.2)
    assert stats.delivered == 0 and "not trusted" in stats.last_error
    assert len(endpoint.accepted) == 1


KS = """text
zerombr
clearpart --all --initlabel
autopart --type=lvm
rootpw --plaintext NotInTheReport99
network --device=link --hostname=node1.example.com
reboot
"""


def test_install_command_reports_the_same_lines_as_json_events(tmp_path):
    ks = tmp_path / "ks.cfg"
    ks.write_text(KS)
    endpoint = Endpoint(fail_first=3)
    with Stub(default=endpoint) as srv:
        proc = subprocess.run(
            [sys.executable, "-m", "installer", "install", "--kickstart", str(ks),
             "--machine", str(ROOT / "tests/profiles/vm-ci-guest.json"), "--dry-run", "--json-events",
             "--target", str(tmp_path / "t"), "--log-dir", str(tmp_path / "log"), "--report", srv.url("/r")],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    bodies = [body.decode() for _, _, body in endpoint.accepted]
    it = iter(lines)
    assert all(any(b == line for line in it) for b in bodies), "the report is the --json-events stream, in order"
    assert [b for b in bodies if json.loads(b)["kind"] != "progress"] == [
        line for line in lines if json.loads(line)["kind"] != "progress"]
    kinds = [json.loads(body)["kind"] for _, _, body in endpoint.accepted]
    assert kinds[0] == "step-started" and kinds[-1] == "finished"
    assert [seq for _, seq, _ in endpoint.accepted] == list(range(1, len(kinds) + 1))
    assert b"NotInTheReport99" not in b"".join(body for _, _, body in endpoint.accepted)
    assert "events delivered" in proc.stderr


def test_a_bad_report_url_is_a_usage_error(tmp_path):
    with pytest.raises(ValueError, match="only http"):
        Reporter("ftp://x/y")


def test_inst_report_reaches_the_unattended_install():
    from installer.live.bootopts import parse_cmdline
    from installer.live.start import decide

    opts = parse_cmdline("inst.ks=https://h/ks inst.cmdline inst.report=https://h/r inst.ks.cacert=/ca.pem")
    assert decide(opts, "/run/install/ks.cfg") == [
        "azl-install", "install", "--kickstart", "/run/install/ks.cfg", "--yes",
        "--report", "https://h/r", "--cacert", "/ca.pem"]
