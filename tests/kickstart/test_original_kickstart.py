"""/root/original-ks.cfg and every other output keep no secret of the input kickstart (issue 12, items 9 and 11).

Every secret-bearing option is written in every spelling pykickstart accepts; a plain pykickstart parser
confirms that each line really carries its secret. Then the saved kickstarts, the install log, plan.json,
the events and the CLI's output (validate, plan, plan --json) are searched for every plaintext.
"""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from steps_support import make_env, mode

from installer.kickstart.files import dump_original, load_kickstart, parse_kickstart
from installer.model.product import load_product
from installer.steps import pre_scripts, save

_counter = itertools.count(1)


def _secret(spaces: bool = False) -> str:
    n = next(_counter)
    return f"Zq{n:03d} sp {n:03d}Kx" if spaces else f"Zq{n:03d}Kx"


def _option_spellings(opt: str, abbrev: str) -> list[tuple[str, str]]:
    """(words, secret) for one value-taking option, in every way pykickstart splits and resolves it."""
    out = []
    for name in (opt, abbrev):
        for form in ("{n}={v}", "{n} {v}", "{n}\t{v}", "{n}  \t {v}"):
            s = _secret()
            out.append((form.format(n=name, v=s), s))
        for form in ("{n}='{v}'", '{n}="{v}"', "{n} '{v}'", '"{n}={v}"', "'{n}' \"{v}\""):
            s = _secret(spaces=True)
            out.append((form.format(n=name, v=s), s))
    return out


def _positional_spellings() -> list[tuple[str, str]]:
    out = []
    for form in ("{v}", "--plaintext {v}", "--plaintext\t\t{v}", "--iscrypted --plaintext {v}", "{v} --plaintext",
                 "--plain {v}", "--lock {v}", "--plaintext -- -{v}"):
        s = _secret()
        out.append((form.format(v=s), ("-" if form.endswith("-{v}") else "") + s))
    for form in ("--plaintext '{v}'", '--plaintext "{v}"', "\t--plaintext   '{v}'"):
        s = _secret(spaces=True)
        out.append((form.format(v=s), s))
    return out


def _url(scheme: str = "http") -> tuple[str, str]:
    s = _secret()
    return f"{scheme}://mirroruser:{s}@mirror.example/os", s


def secret_lines() -> list[tuple[str, str]]:
    """(kickstart line, its secret) for every secret-bearing option and spelling."""
    lines = []
    lines += [(f"rootpw {w}", s) for w, s in _positional_spellings()]
    lines += [(f"sshpw --username=sshu{i} {w}", s) for i, (w, s) in enumerate(_positional_spellings())]
    lines += [(f"user --name=u{i} {w}", s) for i, (w, s) in enumerate(_option_spellings("--password", "--passw"))]
    lines += [(f"user --name=c{i} --iscrypted {w} --plaintext", s)
              for i, (w, s) in enumerate(_option_spellings("--password", "--pass")[:3])]
    lines += [(f"bootloader {w}", s) for w, s in _option_spellings("--password", "--passwo")]
    lines += [(f"bootloader {w}", s) for w, s in _option_spellings("--md5pass", "--md5")[:3]]
    lines += [(f"part /p{i} --size=100 --encrypted {w}", s)
              for i, (w, s) in enumerate(_option_spellings("--passphrase", "--passph"))]
    lines += [(f"logvol /l{i} --vgname=vg --name=l{i} --size=100 --encrypted {w}", s)
              for i, (w, s) in enumerate(_option_spellings("--passphrase", "--passp"))]
    lines += [(f"raid /r{i} --device=md{i} --level=1 --encrypted {w} raid.01 raid.02", s)
              for i, (w, s) in enumerate(_option_spellings("--passphrase", "--passphr"))]
    lines += [(f"autopart --encrypted {w}", s) for w, s in _option_spellings("--passphrase", "--passphra")]
    for opt in ("--url", "--mirrorlist", "--proxy"):
        for form in ("{o}={u}", "{o} {u}", "{o}='{u}'", "{o}\t\"{u}\""):
            url, s = _url()
            source = "" if opt != "--proxy" else "--url=http://plain.example/os "
            lines.append((f"url {source}{form.format(o=opt, u=url)}", s))
    for i, opt in enumerate(("--baseurl", "--proxy", "--mirrorlist", "--baseu")):
        url, s = _url("https")
        lines.append((f"repo --name=r{i} {opt} {url}", s))
    for opt in ("--url", "--proxy"):
        url, s = _url()
        source = "" if opt != "--proxy" else "--url=http://plain.example/img.tar "
        lines.append((f"liveimg {source}{opt}={url}", s))
    token = _secret()
    lines.append((f"repo --name=tok --baseurl=https://{token}@repo.example/x", token))
    return lines


LINES = secret_lines()
SECRETS = [s for _, s in LINES]


def test_every_line_carries_its_secret_for_pykickstart():
    """The spellings are real: pykickstart itself reads each line and keeps the secret."""
    from pykickstart.parser import KickstartParser
    from pykickstart.version import makeVersion

    version = load_product().kickstart_version
    for line, secret in LINES:
        handler = makeVersion(version)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            KickstartParser(handler).readKickstartFromString(line + "\n")
        assert secret in str(handler), line


def kickstart_text() -> str:
    body = "\n".join(line for line, _ in LINES)
    first = SECRETS[0]
    return (f"# admin note: the root password is {first}\nlang en_US.UTF-8\nvolgroup vg pv.01\n{body}\n"
            f"%pre --log=/tmp/pre.log\necho 'pre sees {SECRETS[1]}'\n%end\n"
            f"%post\necho {SECRETS[2]} > /dev/null\n%end\n")


@pytest.fixture(scope="module")
def parsed():
    return parse_kickstart(kickstart_text(), "secrets.ks")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_the_structural_parse_finds_every_secret(parsed):
    found = {s.reveal() for s in parsed.plan.input_secrets}
    assert [s for s in SECRETS if s not in found] == []


def test_the_original_kickstart_keeps_every_line_but_no_secret(parsed):
    text = dump_original(parsed.plan)
    assert _leaks(text) == []
    assert text.count("\n") >= len(LINES)
    assert "user --name=u0" in text and "part /p3 --size=100 --encrypted" in text
    assert "url '--url=http://mirroruser:***@mirror.example/os'" in text
    assert "# user: --password removed by azl-install" in text
    assert "lang en_US.UTF-8" in text and "%pre --log=/tmp/pre.log" in text


def test_diagnostics_hold_no_secret(parsed):
    assert parsed.diagnostics  # sshpw and --md5pass are refused, several lines replace others
    assert _leaks("\n".join(str(d) for d in parsed.diagnostics)) == []


def test_a_bad_line_in_every_spelling_is_reported_without_its_secret():
    text = "\n".join(f"{line} --no-such-option" for line, _ in LINES) + "\n"
    result = parse_kickstart(text, "bad.ks")
    assert len(result.errors) >= len(LINES) // 2
    assert _leaks("\n".join(str(d) for d in result.diagnostics)) == []


def test_save_and_the_install_log_keep_no_secret(tmp_path, parsed):
    plan = parsed.plan
    env = make_env(tmp_path, plan=plan)
    env.ctx.redact = env.log.redactor.redact
    env.ctx.runner = None  # run the %pre script for real: it prints a secret
    pre_scripts.apply(env.ctx)
    env.ctx.info(f"fetching from {LINES[-1][0]}")  # a step naming a URL with its token
    env.ctx.log.info("repository %s", plan.payload.repositories[0].baseurl)
    save.apply(env.ctx)
    original = env.target / "root/original-ks.cfg"
    assert mode(original) == 0o600 and mode(env.target / "root/installer-ks.cfg") == 0o600
    assert "user --name=u0" in original.read_text()
    leaks = {str(p.relative_to(tmp_path)): _leaks(p.read_bytes().decode("utf-8", "replace"))
             for p in sorted(tmp_path.rglob("*")) if p.is_file() and not p.is_symlink()}
    assert {name: found for name, found in leaks.items() if found} == {}
    assert _leaks("\n".join(str(e) for e in env.events)) == []
    assert "pre sees ***" in env.log_text()
    pre_log = Path("/tmp/pre.log")
    if pre_log.exists() and os.stat(pre_log).st_mtime_ns and "pre sees" in pre_log.read_text():
        assert mode(pre_log) == 0o600 and _leaks(pre_log.read_text()) == []


def test_the_cli_shows_no_secret(tmp_path, capsys):
    from installer.cli import main

    path = tmp_path / "secrets.ks"
    path.write_text(kickstart_text())
    for argv in (["validate", str(path)], ["plan", str(path)], ["plan", "--json", str(path)]):
        main(argv)
        out, err = capsys.readouterr()
        assert _leaks(out + err) == [], argv


def test_secrets_in_included_files_are_found(tmp_path):
    inc = tmp_path / "users.ks"
    inc.write_text("user --name=inc --passw 'Inc1uded Pw'\n")
    main = tmp_path / "main.ks"
    main.write_text("lang en_US.UTF-8\n%include users.ks\n%post\necho 'Inc1uded Pw'\n%end\n")
    plan = load_kickstart(main).plan
    assert "Inc1uded Pw" in {s.reveal() for s in plan.input_secrets}
    text = dump_original(plan)
    assert "Inc1uded Pw" not in text and "%include users.ks" in text and "echo '***'" in text


def test_lines_the_parser_never_reached_are_not_saved():
    from installer.kickstart.parse import MAX_COMMANDS
    from installer.kickstart.write import write_original

    text = "lang C.UTF-8\n" * (MAX_COMMANDS + 5) + "user --name=late --password=N0tReadSecret\n"
    out = write_original(text, "long.ks", load_product())
    assert "N0tReadSecret" not in out
    assert f"# lines {MAX_COMMANDS + 1} and after not saved: reading the kickstart stopped at line " \
           f"{MAX_COMMANDS + 1}" in out


def test_an_unsplittable_line_is_dropped_not_saved():
    from installer.kickstart.write import write_original

    out = write_original("lang C.UTF-8\nrootpw --plaintext 'Unclos3dSecret\nkeyboard us\n", "q.ks", load_product())
    assert "Unclos3dSecret" not in out
    assert "# line 2 removed by azl-install: it cannot be split into words" in out and "keyboard us" in out


VALID = """cmdline
zerombr
clearpart --all --initlabel
autopart --type=lvm --encrypted\t--passph  "Luks Pa55 Phrase"
rootpw   --iscrypted --plaintext\t'Root Pa55word'
user --name=ann --groups=wheel --passw=AnnPa55word9
url --url=http://mirror:Mirr0rPa55@127.0.0.1:9/os
repo --name=extra --baseurl=http://127.0.0.1:9/extra --proxy=http://px:Pr0xyPa55@127.0.0.1:3128
bootloader --pass='Gru8 Pa55'
timezone UTC --utc
%post
echo "Root Pa55word"
%end
"""
VALID_SECRETS = ["Luks Pa55 Phrase", "Root Pa55word", "AnnPa55word9", "Mirr0rPa55", "Pr0xyPa55", "Gru8 Pa55"]


def test_a_dry_run_install_prints_and_logs_no_secret(tmp_path):
    import subprocess
    import sys

    ks = tmp_path / "valid.ks"
    ks.write_text(VALID)
    logs = tmp_path / "logs"
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "installer", "install", "--kickstart", str(ks), "--dry-run",
                           "--machine", str(root / "tests/profiles/vm-ci-guest.json"), "--json-events",
                           "--log-dir", str(logs), "--yes", "--no-power-action"],
                          cwd=root, capture_output=True, text=True, timeout=300, check=False)
    out, err = proc.stdout, proc.stderr
    assert proc.returncode == 0, out + err
    assert '"kind": "finished"' in out
    texts = {"stdout+stderr": out + err, **{p.name: p.read_text() for p in logs.iterdir() if p.is_file()}}
    assert {name: [s for s in VALID_SECRETS if s in text] for name, text in texts.items()
            if any(s in text for s in VALID_SECRETS)} == {}
    plan = parse_kickstart(VALID, str(ks)).plan
    assert set(VALID_SECRETS) <= {s.reveal() for s in plan.input_secrets}
    original = dump_original(plan)
    assert [s for s in VALID_SECRETS if s in original] == []


_SECRET_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, exclude_characters="*#"),
                       min_size=4, max_size=24).filter(lambda s: s.strip() == s and not s.startswith("-"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret=_SECRET_TEXT,
       template=st.sampled_from(["rootpw --plaintext {q}", "rootpw {q} --lock", "user --name=x --passw {q}",
                                 "user --name=x --password={q} --iscrypted --plaintext",
                                 "part / --size=1 --encrypted --passphrase={q}", "autopart --encrypted --passp {q}",
                                 "bootloader --password {q}", "sshpw --username=x {q}"]),
       sep=st.sampled_from([" ", "\t", "  \t "]))
def test_any_secret_text_in_any_spelling_is_removed(secret, template, sep):
    import shlex

    from installer.kickstart.write import write_original

    line = template.format(q=shlex.quote(secret)).replace(" ", sep)
    out = write_original(f"lang C.UTF-8\n{line}\n", "p.ks", load_product())
    assert secret not in out


def test_the_replayable_kickstart_keeps_no_url_password():
    from installer.kickstart.files import dump_kickstart

    text = dump_kickstart(parse_kickstart(VALID).plan)
    assert [s for s in VALID_SECRETS if s in text] == []
    assert "http://mirror:***@127.0.0.1:9/os" in text and "http://px:***@127.0.0.1:3128" in text
    assert "# URL passwords are not stored" in text


def test_a_hash_is_not_taken_for_a_plaintext_secret(tmp_path):
    """The replayable kickstart keeps the hashes the plan holds; only plaintext is hidden."""
    from installer.kickstart.files import dump_kickstart
    from installer.model import secrets

    hashed = secrets.hash_password("Hash3dOne")
    plan = parse_kickstart(f"rootpw --iscrypted {hashed}\nuser --name=bo --iscrypted --password={hashed}\n"
                           "user --name=cy --password=Cy-Plain-1\n").plan
    assert {s.reveal() for s in plan.input_secrets} == {"Cy-Plain-1"}
    env = make_env(tmp_path, plan=plan)
    save.apply(env.ctx)
    saved = (env.target / "root/installer-ks.cfg").read_text()
    assert saved == dump_kickstart(plan) and saved.count(hashed) == 2
    assert parse_kickstart(saved).ok
