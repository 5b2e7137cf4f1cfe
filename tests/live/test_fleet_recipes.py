"""The provisioning-system recipes in kickstarts/fleet-*.ks (documented in docs/fleet.md) send what Ironic
and Foreman expect: their %pre/%post/%onerror scripts run here with curl against a loopback stand-in
that checks every request the way the real service would."""

import json
import shutil
import subprocess
import urllib.parse

import pytest
from paths import KICKSTARTS

from installer.kickstart.files import load_kickstart
from installer.model.product import DEFAULT_PRODUCT, load_product
from tests.live.httpstub import Stub

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def scripts(name, replace):
    result = load_kickstart(KICKSTARTS / name, product=load_product(DEFAULT_PRODUCT))
    assert result.ok, [str(d) for d in result.diagnostics]
    out = {}
    for s in result.plan.scripts:
        body = s.body
        for old, new in replace.items():
            body = body.replace(old, new)
        out[s.kind] = (s, body)
    return out


def run(script_and_body, tmp_path):
    script, body = script_and_body
    assert script.interpreter == "/bin/sh"
    if script.kind == "post":
        assert script.chroot is False, "callbacks run from the live environment (its curl, its network)"
    return subprocess.run(["sh", "-c", body], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          check=False)


class Ironic:
    """POST /v1/heartbeat/<node> as the Ironic API (1.72) accepts it; 503 to the first request."""

    def __init__(self):
        self.statuses = []
        self.calls = 0

    def __call__(self, handler, seen):
        self.calls += 1
        if self.calls == 1:
            handler.reply(503, b"conductor busy\n")
            return
        problems = []
        if seen.method != "POST":
            problems.append(f"method {seen.method}")
        if seen.headers.get("Content-Type") != "application/json":
            problems.append("content type")
        if seen.headers.get("X-OpenStack-Ironic-API-Version") != "1.72":
            problems.append("api version")
        try:
            body = json.loads(seen.body)
        except ValueError:
            body = {}
            problems.append("not JSON")
        if body.get("agent_token") != "AGENT-TOKEN" or body.get("callback_url") != "":
            problems.append("token/callback_url")
        if body.get("agent_status") not in ("start", "end", "error") or not body.get("agent_status_message"):
            problems.append("status")
        if problems:
            handler.reply(400, ", ".join(problems).encode())
            return
        self.statuses.append((body["agent_status"], body["agent_status_message"]))
        handler.reply(202)


def test_ironic_heartbeats_start_end_and_error(tmp_path):
    ironic = Ironic()
    with Stub(routes={"/v1/heartbeat/NODE-UUID": ironic}) as srv:
        s = scripts("fleet-ironic.ks", {"http://ironic.example.com:6385": srv.url("").rstrip("/"),
                                        "/tmp/azl-ironic-heartbeat": str(tmp_path / "hb")})
        assert set(s) == {"pre", "post", "onerror"}
        for kind in ("pre", "post", "onerror"):
            proc = run(s[kind], tmp_path)
            assert proc.returncode == 0 and "not delivered" not in proc.stderr, proc.stderr
    assert [status for status, _ in ironic.statuses] == ["start", "end", "error"]
    assert ironic.calls == 4  # the first answer (503) was retried by curl
    assert (tmp_path / "hb").stat().st_mode & 0o077 == 0, "the helper holds the agent token"


def test_ironic_heartbeat_failure_never_fails_the_script(tmp_path):
    with Stub(default=lambda h, seen: h.reply(400, b"bad token\n")) as srv:
        s = scripts("fleet-ironic.ks", {"http://ironic.example.com:6385": srv.url("").rstrip("/"),
                                        "/tmp/azl-ironic-heartbeat": str(tmp_path / "hb")})
        proc = run(s["pre"], tmp_path)
    assert proc.returncode == 0 and "ironic heartbeat (start) not delivered" in proc.stderr


def test_foreman_built_and_failed_with_the_install_log(tmp_path):
    log = tmp_path / "install.log"
    log.write_text("12:00:00 INFO    azl-install install\n12:00:01 INFO    === step 1/20 ...\n")
    got = []

    def foreman(handler, seen):
        url = urllib.parse.urlsplit(seen.path)
        token = urllib.parse.parse_qs(url.query).get("token")
        if seen.method != "POST" or token != ["HOST-TOKEN"] or seen.headers.get("Content-Type") != "text/plain":
            handler.reply(403, b"bad request\n")
            return
        got.append((url.path, seen.body))
        handler.reply(200, b"ok\n")

    with Stub(default=foreman) as srv:
        s = scripts("fleet-foreman.ks", {"http://foreman.example.com": srv.url("").rstrip("/"),
                                         "/tmp/azl-install/install.log": str(log)})
        assert set(s) == {"post", "onerror"}
        for kind in ("post", "onerror"):
            proc = run(s[kind], tmp_path)
            assert proc.returncode == 0, proc.stderr
    assert got == [("/unattended/built", log.read_bytes()), ("/unattended/failed", log.read_bytes())]


def test_foreman_built_fails_loudly_when_foreman_refuses(tmp_path):
    (tmp_path / "install.log").write_text("x\n")
    with Stub(default=lambda h, seen: h.reply(404, b"no such host\n")) as srv:
        s = scripts("fleet-foreman.ks", {"http://foreman.example.com": srv.url("").rstrip("/"),
                                         "/tmp/azl-install/install.log": str(tmp_path / "install.log")})
        proc = run(s["post"], tmp_path)
    assert proc.returncode != 0  # with %post --erroronfail an admin can make this stop the install
