"""docs/kickstart.md is printed from the table the parser obeys, and the parser obeys it."""

import importlib.metadata
import re

import pytest
from paths import ROOT

from installer.kickstart import compat
from installer.kickstart.compat_doc import render
from installer.kickstart.files import parse_kickstart
from installer.kickstart.parse import make_handler

DOC = ROOT / "docs" / "kickstart.md"
HANDLER = make_handler("F43")


def test_docs_kickstart_md_is_the_generated_table():
    text = DOC.read_text()
    made_with = re.search(r"\(pykickstart ([\d.]+)\)", text).group(1)
    if made_with != importlib.metadata.version("pykickstart"):
        pytest.skip(f"docs/kickstart.md lists pykickstart {made_with}'s options; this is "
                    f"{importlib.metadata.version('pykickstart')}")
    assert text == render(), "docs/kickstart.md is stale: run tools/gen_kickstart_doc.py"


def test_every_command_of_the_handler_has_a_decision():
    assert sorted(set(HANDLER.commands) - set(compat.COMMANDS) - set(compat.REMOVED)) == []


def _refused_options():
    for name, cmd in sorted(compat.COMMANDS.items()):
        if cmd.rule.status == compat.REFUSED or name not in HANDLER.commands:
            continue
        for action in getattr(getattr(HANDLER.commands[name], "op", None), "_actions", []):
            if action.option_strings and action.dest != "help":
                rule = compat.option_rule(name, action.dest)
                if rule.status == compat.REFUSED:
                    yield name, action.option_strings[0], action.nargs != 0, rule.reason


@pytest.mark.parametrize("name, option, takes_value, reason", list(_refused_options()))
def test_the_parser_refuses_options_with_the_tables_reason(name, option, takes_value, reason):
    word = f"{option}=1" if takes_value else option
    result = parse_kickstart(f"{name} {word}\n", "t.ks")
    assert f"t.ks:1: '{name} {option}' is not supported by azl-install: {reason}" in [str(d) for d in result.errors]


@pytest.mark.parametrize("name", sorted(n for n, c in compat.COMMANDS.items()
                                        if c.rule.status == compat.REFUSED and n in HANDLER.commands))
def test_the_parser_refuses_commands_with_the_tables_reason(name):
    result = parse_kickstart(f"{name}\n", "t.ks")
    assert [str(d) for d in result.errors] == [
        f"t.ks:1: '{name}' is not supported by azl-install: {compat.COMMANDS[name].rule.reason}"]


def test_the_doc_shows_each_kind_of_decision():
    text = DOC.read_text()
    for row in ("| `--teamslaves` | refused | network teaming was removed from NetworkManager: use --bondslaves |",
                "| [`lang`](#lang) | supported, with a difference | a short id (en, cs, en_US) means",
                "| `skipx` | warning | has no effect: azl-install installs no graphical system |",
                "| `install` | refused | was removed from kickstart (Fedora 34)",
                "| `ostreesetup` | refused | Azure Linux is installed from RPM packages",
                "| `com_redhat_kdump --disable` | warning |",
                "| `server-product-environment` | `server` |"):
        assert row in text, row
