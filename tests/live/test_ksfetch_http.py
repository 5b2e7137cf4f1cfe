"""inst.ks=http(s)://: size cap, wall-clock deadline, redirect policy, TLS with a given CA, identity
headers, retries while the network comes up. Loopback servers only."""

import threading
import time

import pytest

from installer.live import ksfetch
from installer.live.bootopts import parse_cmdline
from installer.live.ksfetch import KickstartFetchError, fetch_kickstart
from tests.live.httpstub import Stub, free_port, make_ca, server_tls

KS = b"text\nrootpw --lock\n"


def serve_ks(handler, _seen):
    handler.reply(200, KS)


def fetch_in_thread(url, dest, wait, **kw):
    """Run the fetch in a thread; returns (result or exception, seconds); None result if it hung."""
    box = {}

    def go():
        try:
            box["out"] = fetch_kickstart(url, dest, **kw)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            box["out"] = exc

    t0 = time.monotonic()
    t = threading.Thread(target=go, daemon=True)
    t.start()
    t.join(wait)
    return box.get("out"), time.monotonic() - t0


def leftovers(d):
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


@pytest.fixture
def quick(monkeypatch):
    """Short limits for the tests (the defaults are documented in docs/fleet.md)."""
    monkeypatch.setattr(ksfetch, "ATTEMPT_SECONDS", 1.5, raising=False)
    monkeypatch.setattr(ksfetch, "TOTAL_SECONDS", 1.5, raising=False)
    monkeypatch.setattr(ksfetch, "BACKOFF_FIRST", 0.1, raising=False)


def test_an_oversized_kickstart_is_refused_and_nothing_is_kept(tmp_path, quick):
    big = b"#" * (2 << 20)
    with Stub(routes={"/ks.cfg": lambda h, s: h.reply(200, big)}) as srv:
        out, _ = fetch_in_thread(srv.url("/ks.cfg"), tmp_path / "run", 20)
    assert isinstance(out, KickstartFetchError), out
    assert "limit" in str(out) and str(1 << 20) in str(out)
    assert leftovers(tmp_path / "run") == []


def test_an_endless_answer_without_length_is_cut_at_the_cap(tmp_path, quick):
    sent = {"bytes": 0}

    def endless(handler, _seen):
        handler.send_response(200)
        handler.send_header("Connection", "close")
        handler.end_headers()
        block = b"#" * 65536
        for _ in range(50 * 16):  # up to 50 MiB
            handler.wfile.write(block)
            sent["bytes"] += len(block)

    with Stub(routes={"/ks.cfg": endless}) as srv:
        out, _ = fetch_in_thread(srv.url("/ks.cfg"), tmp_path / "run", 30)
    assert isinstance(out, KickstartFetchError), out
    assert "larger than the limit" in str(out)
    assert leftovers(tmp_path / "run") == []
    assert sent["bytes"] < 20 << 20, "the client stopped reading soon after the cap"


@pytest.mark.parametrize("where", ["body", "headers", "tls-body"])
def test_a_trickling_server_cannot_hold_the_fetch_past_its_deadline(tmp_path, quick, where, pki):
    stop = threading.Event()

    def trickle(handler, _seen):
        if where != "headers":
            handler.send_response(200)
            handler.send_header("Content-Length", "100000")
            handler.end_headers()
        else:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.is_set():
            handler.wfile.write(b"#")
            handler.wfile.flush()
            time.sleep(0.05)

    ca, cert, key = pki
    tls = server_tls(cert, key) if where == "tls-body" else None
    with Stub(routes={"/ks.cfg": trickle}, tls=tls) as srv:
        try:
            out, seconds = fetch_in_thread(srv.url("/ks.cfg"), tmp_path / "run", 12,
                                           **({"http": ksfetch.HTTPOptions(cacert=str(ca))} if tls else {}))
        finally:
            stop.set()
    assert out is not None, "the fetch was still running after 12 s (1.5 s allowed)"
    assert isinstance(out, KickstartFetchError) and "within" in str(out), out
    assert seconds < 6
    assert leftovers(tmp_path / "run") == []


def redirect_chain(n):
    def hop(j):
        return lambda h, s: h.reply(302, headers={"Location": f"/r{j + 1}"})

    routes = {f"/r{i}": hop(i) for i in range(n)}
    routes[f"/r{n}"] = serve_ks
    return routes


def test_redirects_are_followed_a_few_times_and_logged(tmp_path, quick):
    logged = []
    with Stub(routes=redirect_chain(2)) as srv:
        got = fetch_kickstart(srv.url("/r0"), tmp_path / "run", log=logged.append)
    assert got.read_bytes() == KS
    assert [m for m in logged if "redirected (302)" in m and "/r1" in m and "/r2" in m] != []
    assert len([m for m in logged if "redirected" in m]) == 2


def test_a_long_redirect_chain_is_refused(tmp_path, quick):
    with Stub(routes=redirect_chain(6)) as srv:
        out, _ = fetch_in_thread(srv.url("/r0"), tmp_path / "run", 20)
        assert isinstance(out, KickstartFetchError) and "more than 5 redirects" in str(out), out
        assert len(srv.requests) == 6  # the first request and five redirects; the sixth is not followed
    assert leftovers(tmp_path / "run") == []


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("pki"))


def test_https_is_verified_against_the_given_ca(tmp_path, quick, pki):
    ca, cert, key = pki
    with Stub(routes={"/ks.cfg": serve_ks}, tls=server_tls(cert, key)) as srv:
        got = fetch_kickstart(srv.url("/ks.cfg"), tmp_path / "a", ksfetch.HTTPOptions(cacert=str(ca)))
        assert got.read_bytes() == KS
        assert (got.stat().st_mode & 0o777) == 0o600, "the kickstart may hold passwords"
        out, _ = fetch_in_thread(srv.url("/ks.cfg"), tmp_path / "b", 20)
        assert isinstance(out, KickstartFetchError) and "not trusted" in str(out), out
        logged = []
        opts = ksfetch.HTTPOptions.from_boot(parse_cmdline(f"inst.ks={srv.url('/ks.cfg')} inst.noverifyssl"))
        assert fetch_kickstart(srv.url("/ks.cfg"), tmp_path / "c", opts, log=logged.append).read_bytes() == KS
        assert any("NOT verified" in m for m in logged)


def test_https_never_redirects_to_plain_http(tmp_path, quick, pki):
    ca, cert, key = pki
    with Stub(routes={"/ks.cfg": serve_ks}) as plain:
        down = {"/ks.cfg": lambda h, s: h.reply(301, headers={"Location": plain.url("/ks.cfg")})}
        with Stub(routes=down, tls=server_tls(cert, key)) as srv:
            out, _ = fetch_in_thread(srv.url("/ks.cfg"), tmp_path / "run", 20,
                                     http=ksfetch.HTTPOptions(cacert=str(ca)))
        assert plain.requests == []
    assert isinstance(out, KickstartFetchError) and "from https to plain http" in str(out), out


def fake_sysfs(root):
    for name, mac in [("lo", "00:00:00:00:00:00"), ("ens3", "52:54:00:12:34:56"), ("eth1", "aa:bb:cc:dd:ee:0f"),
                      ("bond0", "")]:
        (root / "class/net" / name).mkdir(parents=True)
        (root / "class/net" / name / "address").write_text(mac + "\n")
    (root / "class/dmi/id").mkdir(parents=True)
    (root / "class/dmi/id/product_serial").write_text("SN-42\r\nX-Evil: 1\n")
    return root


def test_sendmac_and_sendsn_send_anaconda_identity_headers_over_verified_tls(tmp_path, quick, pki):
    ca, cert, key = pki
    sysfs = fake_sysfs(tmp_path / "sys")
    boot = parse_cmdline(f"inst.ks=https://x/ks.cfg inst.ks.sendmac inst.ks.sendsn inst.ks.cacert={ca}")
    opts = ksfetch.HTTPOptions.from_boot(boot)
    opts.sysfs = str(sysfs)

    def per_machine(handler, seen):
        mac = seen.headers.get("X-RHN-Provisioning-MAC-0", "")
        handler.reply(200, b"# for " + mac.encode() + b"\n" + KS)

    with Stub(routes={"/ks.cfg": per_machine}, tls=server_tls(cert, key)) as srv:
        got = fetch_kickstart(srv.url("/ks.cfg"), tmp_path / "run", opts)
    headers = srv.requests[0].headers
    assert headers["X-RHN-Provisioning-MAC-0"] == "ens3 52:54:00:12:34:56"
    assert headers["X-RHN-Provisioning-MAC-1"] == "eth1 aa:bb:cc:dd:ee:0f"
    assert not any(k.startswith("X-RHN-Provisioning-MAC-2") for k in headers)  # lo and an empty address skipped
    assert headers["X-System-Serial-Number"] == "SN-42X-Evil: 1"  # no line break: no injected header
    assert "X-Evil" not in headers
    assert got.read_bytes().startswith(b"# for ens3 52:54:00:12:34:56\n")


def test_without_the_options_no_identity_is_sent(tmp_path, quick):
    with Stub(routes={"/ks.cfg": serve_ks}) as srv:
        fetch_kickstart(srv.url("/ks.cfg"), tmp_path / "run")
    assert not [k for k in srv.requests[0].headers if k.startswith(("X-RHN", "X-System"))]


def test_a_slow_server_failing_twice_is_retried(tmp_path, monkeypatch):
    monkeypatch.setattr(ksfetch, "BACKOFF_FIRST", 0.1, raising=False)
    calls = []

    def flaky(handler, _seen):
        calls.append(time.monotonic())
        time.sleep(0.3)
        if len(calls) <= 2:
            handler.reply(503, b"not yet\n")
        else:
            handler.reply(200, KS)

    logged = []
    with Stub(routes={"/ks.cfg": flaky}) as srv:
        got = fetch_kickstart(srv.url("/ks.cfg"), tmp_path / "run", log=logged.append)
    assert got.read_bytes() == KS and len(calls) == 3
    delays = [float(m.rsplit("retrying in ", 1)[1].split()[0]) for m in logged if "retrying in " in m]
    assert delays == [0.1, 0.2], logged                     # the backoff doubles
    # lower bounds only (a sleep never ends early; a loaded machine may make any gap longer)
    assert calls[1] - calls[0] >= 0.3 + 0.1 and calls[2] - calls[1] >= 0.3 + 0.2


def test_the_network_coming_up_late_is_waited_for(tmp_path, monkeypatch):
    monkeypatch.setattr(ksfetch, "BACKOFF_FIRST", 0.2, raising=False)
    port = free_port()
    srv = Stub(routes={"/ks.cfg": serve_ks}, port=port)
    threading.Timer(1.0, srv.start).start()
    try:
        got = fetch_kickstart(f"http://127.0.0.1:{port}/ks.cfg", tmp_path / "run", log=lambda m: None)
        assert got.read_bytes() == KS
    finally:
        time.sleep(0.1)
        srv.stop()


def test_retries_are_bounded_and_a_404_is_not_retried(tmp_path, monkeypatch):
    monkeypatch.setattr(ksfetch, "BACKOFF_FIRST", 0.1, raising=False)
    monkeypatch.setattr(ksfetch, "TOTAL_SECONDS", 1.5, raising=False)
    with Stub(routes={"/busy": lambda h, s: h.reply(503)}) as srv:
        t0 = time.monotonic()
        with pytest.raises(KickstartFetchError, match=r"503.*attempts"):
            fetch_kickstart(srv.url("/busy"), tmp_path / "run", log=lambda m: None)
        assert time.monotonic() - t0 < 4
        n = len(srv.requests)
        with pytest.raises(KickstartFetchError, match="404"):
            fetch_kickstart(srv.url("/missing"), tmp_path / "run", log=lambda m: None)
        assert len(srv.requests) == n + 1
    assert leftovers(tmp_path / "run") == []


def test_boot_options_for_fleets():
    o = parse_cmdline("inst.ks=http://h/ks ks.sendmac inst.ks.sendsn inst.ks.cacert=/etc/pki/ca.pem "
                      "inst.report=https://h/r")
    assert (o.ks_sendmac, o.ks_sendsn, o.ks_cacert, o.report) == (True, True, "/etc/pki/ca.pem", "https://h/r")
    o = parse_cmdline("inst.ks=http://h/ks")
    assert (o.ks_sendmac, o.ks_sendsn, o.ks_cacert, o.report) == (False, False, None, None)


def test_start_fetches_with_the_boot_options_and_passes_the_report_on(tmp_path, monkeypatch, capsys):
    """azl-install start: the boot options reach the fetch (identity headers) and the install command line."""
    from installer.cli import main

    monkeypatch.setattr(ksfetch, "BACKOFF_FIRST", 0.1, raising=False)
    sysfs = fake_sysfs(tmp_path / "sys")
    real = ksfetch.HTTPOptions.from_boot

    def from_boot(opts):
        http = real(opts)
        http.sysfs = str(sysfs)
        return http

    monkeypatch.setattr(ksfetch.HTTPOptions, "from_boot", staticmethod(from_boot))
    with Stub(routes={"/ks.cfg": serve_ks}) as srv:
        cmdline = tmp_path / "cmdline"
        cmdline.write_text(f"inst.ks={srv.url('/ks.cfg')} inst.ks.sendmac inst.cmdline "
                           f"inst.report={srv.url('/report')}\n")
        assert main(["start", "--cmdline-file", str(cmdline), "--ks-dir", str(tmp_path / "run"), "--print"]) == 0
    assert srv.requests[0].headers["X-RHN-Provisioning-MAC-0"] == "ens3 52:54:00:12:34:56"
    assert (tmp_path / "run" / "ks.cfg").read_bytes() == KS
    assert capsys.readouterr().out.strip() == (f"azl-install install --kickstart {tmp_path / 'run' / 'ks.cfg'} --yes "
                                               f"--report {srv.url('/report')}")
