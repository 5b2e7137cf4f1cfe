"""SSH keys imported from gh:USER, lp:USER or an https:// URL: a loopback HTTPS server signed by
a throwaway CA (trusted through SSL_CERT_FILE, as the system store would be)."""

from __future__ import annotations

import pytest

from installer.live.keyimport import KeyImportError, fetch_keys, import_url
from tests.live.httpstub import Stub, make_ca, server_tls

KEYS = b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1 alice@a\nssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC2 alice@b\n"


def test_import_specs():
    assert import_url("gh:alice") == "https://github.com/alice.keys"
    assert import_url("lp:bob.smith") == "https://launchpad.net/~bob.smith/+sshkeys"
    assert import_url("https://keys.example/ops.pub") == "https://keys.example/ops.pub"
    assert import_url("ssh-ed25519 AAAA x") is None and import_url("/run/media/usb/id.pub") is None
    with pytest.raises(KeyImportError, match="https only"):
        import_url("http://keys.example/ops.pub")
    with pytest.raises(KeyImportError, match="not a GitHub user name"):
        import_url("gh:../../x")
    with pytest.raises(KeyImportError, match="not a Launchpad user name"):
        import_url("lp:Bob Smith")


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def server(ca, monkeypatch):
    ca_pem, cert, key = ca
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_pem))
    stub = Stub(tls=server_tls(cert, key))
    stub.routes["/alice.keys"] = lambda h, s: h.reply(200, KEYS, {"Content-Type": "text/plain"})
    stub.routes["/huge"] = lambda h, s: h.reply(200, b"#" * (300 * 1024))
    stub.routes["/down"] = lambda h, s: h.reply(302, b"", {"Location": f"http://127.0.0.1:{stub.port}/x"})
    with stub:
        yield stub


def test_keys_fetched_over_verified_https(server):
    assert fetch_keys(server.url("/alice.keys")).encode() == KEYS
    assert server.requests[0].headers.get("User-Agent") == "azl-install"


def test_unknown_user_too_large_and_downgrade_are_refused(server):
    with pytest.raises(KeyImportError, match=r"no such user or file \(404\)"):
        fetch_keys(server.url("/nobody.keys"))
    with pytest.raises(KeyImportError, match="larger than the limit|the limit is"):
        fetch_keys(server.url("/huge"))
    with pytest.raises(KeyImportError, match="refusing a redirect from https to plain http"):
        fetch_keys(server.url("/down"))


def test_an_untrusted_certificate_is_refused(ca, monkeypatch, tmp_path):
    _ca_pem, cert, key = ca
    other = make_ca(tmp_path)[0]  # a CA that did not sign the server's certificate
    monkeypatch.setenv("SSL_CERT_FILE", str(other))
    stub = Stub(tls=server_tls(cert, key))
    stub.routes["/alice.keys"] = lambda h, s: h.reply(200, KEYS)
    with stub, pytest.raises(KeyImportError, match="not trusted"):
        fetch_keys(stub.url("/alice.keys"))
