"""Redaction of secrets in messages and logs: correct, and linear in the size of the input (issue 12 item 12)."""

from __future__ import annotations

import gc
import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from installer import installlog
from installer.kickstart.parse import scrub, secret_words
from installer.model.secrets import (
    REDACTED,
    Redactor,
    redact,
    redact_urls,
    url_password,
)


def _naive(text: str, secrets: list[str]) -> str:
    """Leftmost-longest replacement, the slow obvious way (the reference for the fast one)."""
    out, i = [], 0
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    while i < len(text):
        for s in ordered:
            alone = ((i == 0 or not re.match(r"\w", text[i - 1]))
                     and (i + len(s) >= len(text) or not re.match(r"\w", text[i + len(s)])))
            if text.startswith(s, i) and (len(s) >= 4 or alone):
                out.append(REDACTED)
                i += len(s)
                break
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab _-", max_size=40), st.lists(st.text(alphabet="ab _", min_size=1, max_size=6), max_size=6))
def test_redactor_matches_the_obvious_leftmost_longest_replacement(text, secrets):
    assert redact(text, secrets) == _naive(text, secrets)


def test_short_secrets_only_where_they_stand_alone_long_ones_everywhere():
    assert redact("pw abc xabc abcd1 zabcdz", ["abc", "abcd"]) == "pw *** xabc ***1 z***z"
    assert redact("he said hers", ["he", "hers"]) == "*** said ***"
    r = Redactor(["first"])
    r.add(["second"])
    assert r.redact("first second") == "*** ***"


def test_url_userinfo_is_hidden_everywhere():
    text = "url --url=http://ann:S3cret@mirror/os repo --proxy=https://tok3n@proxy:3128 ftp://plain/x user@host"
    out = redact_urls(text)
    assert "S3cret" not in out and "tok3n" not in out
    assert "http://ann:***@mirror/os" in out and "https://***@proxy:3128" in out
    assert "ftp://plain/x user@host" in out
    assert url_password("http://ann:S3cret@mirror/os") == "S3cret"
    assert url_password("http://a:b@c:d@e/") == "b@c:d"
    assert url_password("http://mirror/os@x") is None


def _ratio(fn, make, sizes=(8 * 1024, 64 * 1024), runs=5) -> float:
    """CPU time for 64 KB of input over CPU time for 8 KB: about 8 when linear, about 64 when quadratic.

    Best of `runs` runs of each, interleaved, with the cyclic garbage collector off (its passes grow
    with the heap, not with the input), so that a busy machine moves both figures alike. Python's
    memory use makes linear code measure ~10-13 here (a large automaton leaves the CPU caches), so
    the lower of two such measurements is taken: noise cannot hide a quadratic ~64.
    """
    small, large = make(sizes[0]), make(sizes[1])
    fn(small)  # warm up
    ratios = []
    for _ in range(2):
        best = {"small": float("inf"), "large": float("inf")}
        gc.collect()
        gc.disable()
        try:
            for _ in range(runs):
                for key, arg in (("small", small), ("large", large)):
                    start = time.process_time()
                    fn(arg)
                    best[key] = min(best[key], time.process_time() - start)
        finally:
            gc.enable()
        ratios.append(best["large"] / max(best["small"], 1e-4))
    return min(ratios)


def _rootpw_words(size: int) -> list[str]:
    """A rootpw line of many short words: every one of them is a possible secret."""
    words = [f"w{i:05d}" for i in range(size // 7)]  # fixed width: input size exactly proportional
    return ["rootpw", *words]


def test_scrubbing_a_parse_error_is_linear():
    def run(args):
        message = "Unexpected arguments to rootpw command: " + repr(args[1:])
        scrub(message, secret_words(args))

    assert _ratio(run, _rootpw_words) < 16


def test_the_install_log_filter_is_linear():
    def make(size):
        words = _rootpw_words(size)[1:]
        return installlog.RedactFilter(words), " ".join(words) + " http://u:p@h/"

    def run(pair):
        pair[0].redact(pair[1])

    assert _ratio(run, make) < 16
    flt, text = make(1024)
    assert set(flt.redact(text).split()) == {REDACTED, "http://u:***@h/"}


def test_a_long_rootpw_line_with_an_error_parses_in_linear_time():
    """The reported case: a rootpw line of many words, with an error to report (and so redact)."""
    from installer.kickstart.files import parse_kickstart

    def make(size):
        return " ".join(_rootpw_words(size)) + " --no-such-option\n"

    def run(text):
        result = parse_kickstart(text)
        assert result.errors and all("w00001" not in str(d) for d in result.diagnostics)

    # 7 and 56 KB: a line of 64 KB or more is refused unread (MAX_COMMAND_LINE)
    assert _ratio(run, make, sizes=(7 * 1024, 56 * 1024), runs=3) < 16
