"""SSH public keys imported from the network, as Subiquity does: `gh:USER` (GitHub), `lp:USER`
(Launchpad) or any https:// URL serving an authorized_keys-style list. Verified TLS only (the
system's CA store; SSL_CERT_FILE applies), with the byte cap, deadline and redirect policy of
installer/fetch.py. Plain http is refused: keys that grant root could be swapped in transit.

Kickstart has no URL form (pykickstart's `sshkey` takes the key itself); a kickstart that wants
fetched keys uses %post. This is the TUI's import, fetched in the live environment."""

from __future__ import annotations

import re

from installer import fetch

MAX_BYTES = 256 * 1024
TIMEOUT = 20.0
GITHUB_USER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
LAUNCHPAD_USER = re.compile(r"^[a-z0-9][a-z0-9+.-]{0,63}$")


class KeyImportError(Exception):
    """The keys cannot be fetched; the message is for the user."""


def import_url(spec: str) -> str | None:
    """The URL `spec` names (gh:USER, lp:USER, https://...), None when it is no import spec
    (pasted keys, a file path). Raises KeyImportError for a spec that cannot be used."""
    spec = spec.strip()
    low = spec.lower()
    if low.startswith("gh:"):
        user = spec[3:]
        if not GITHUB_USER.match(user):
            raise KeyImportError(f"{spec}: not a GitHub user name")
        return f"https://github.com/{user}.keys"
    if low.startswith("lp:"):
        user = spec[3:]
        if not LAUNCHPAD_USER.match(user):
            raise KeyImportError(f"{spec}: not a Launchpad user name")
        return f"https://launchpad.net/~{user}/+sshkeys"
    if low.startswith("http://"):
        raise KeyImportError(f"{fetch.safe_url(spec)}: keys are fetched over https only (plain http could "
                             "be altered on the way)")
    if low.startswith("https://"):
        if re.search(r"\s", spec):
            raise KeyImportError("the URL contains blanks")
        return spec
    return None


def fetch_keys(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES) -> str:
    """The text served at `url` (authorized_keys lines); raises KeyImportError."""
    try:
        answer = fetch.http_request(url, max_bytes=max_bytes, timeout=timeout, verify=True)
    except fetch.FetchStatus as exc:
        if exc.code == 404:
            raise KeyImportError(f"{fetch.safe_url(url)}: no such user or file (404)") from None
        raise KeyImportError(str(exc)) from None
    except fetch.FetchError as exc:
        raise KeyImportError(str(exc)) from None
    if not answer.url.startswith("https://"):
        raise KeyImportError(f"{fetch.safe_url(url)} did not stay on https")
    try:
        return answer.body.decode("utf-8")
    except UnicodeDecodeError:
        raise KeyImportError(f"{fetch.safe_url(url)}: the answer is not text") from None
