"""Reading image configurations: marks for every value, safe YAML only, detection by content."""

import time

import pytest

from installer.imageconfig.detect import looks_like_image_config
from installer.imageconfig.load import LoadError, parse


def test_every_value_keeps_its_line_and_column():
    root, problems = parse("os:\n  users:\n  - name: a\n    uid: 7\n")
    assert problems == []
    user = root.value["os"].value["users"].value[0]
    assert (user.line, user.column) == (3, 5)
    assert (user.value["uid"].line, user.value["uid"].column, user.value["uid"].value) == (4, 10, 7)
    assert root.value["os"].key_marks["users"] == (2, 3)


def test_json_is_read_the_same_way():
    root, problems = parse('{"os": {"hostname": "h1", "users": [{"name": "x"}]}}')
    assert problems == [] and root.plain() == {"os": {"hostname": "h1", "users": [{"name": "x"}]}}


@pytest.mark.parametrize("text, message, line", [
    ("a: !!python/object:os.system x\n", "tag", 1),
    ("a: &x [1]\nb: *x\n", "aliases", 1),
    ("a: 1\na: 2\n", "duplicate key 'a'", 2),
    ("<<: {a: 1}\n", "merges", 1),
])
def test_unsafe_or_ambiguous_yaml_is_refused_with_its_place(text, message, line):
    _root, problems = parse(text)
    assert len(problems) == 1 and message in problems[0].message and problems[0].line == line


def test_syntax_errors_and_several_documents_raise_with_place():
    with pytest.raises(LoadError) as exc:
        parse("os:\n  hostname: [a\n")
    assert exc.value.line is not None and "not valid YAML" in exc.value.message
    with pytest.raises(LoadError) as exc:
        parse("os: {}\n---\nos: {}\n")
    assert exc.value.line == 3 and "more than one" in exc.value.message


def test_an_alias_bomb_costs_linear_time():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    started = time.monotonic()
    _root, problems = parse("\n".join(lines) + "\n")
    assert problems and all("aliases" in p.message for p in problems)
    assert len(problems) <= 12 * 9 and time.monotonic() - started < 5


@pytest.mark.parametrize("text, expected", [
    ("storage:\n  bootType: efi\n", True),
    ("# comment\n\nos:\n  hostname: a\n", True),
    ("---\nscripts: {}\n", True),
    ('{"os": {}}', True),
    ("x-azl-install:\n  finish: reboot\n", True),
    ("text\nrootpw --plaintext x\n", False),
    ("# os: in a comment\nlang en_US.UTF-8\n", False),
    ("url --url=http://example.com/os:8080\n", False),
    ("%packages\n@core\n%end\n", False),
    ("", False),
])
def test_detection_by_content(text, expected):
    assert looks_like_image_config(text) is expected


def test_kickstarts_are_read_without_pyyaml_and_configurations_say_what_is_missing(tmp_path):
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['yaml'] = None\n"
        "from installer.kickstart.files import parse_kickstart\n"
        "ks = parse_kickstart('rootpw --lock\\nautopart\\n', 'ks.cfg')\n"
        "cfg = parse_kickstart('os:\\n  hostname: a\\n', 'c.yaml')\n"
        "print(ks.plan is not None and ks.ok, [str(d) for d in cfg.diagnostics])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("True ['c.yaml:1:1: this is an image configuration, and reading one needs PyYAML")


def test_deep_nesting_is_refused_not_a_crash():
    for text in ("a: " + "[" * 50000 + "]" * 50000 + "\n", "a:\n" + "".join(" " * i + "- \n" for i in range(1, 3000))):
        with pytest.raises(LoadError) as exc:
            parse(text)
        assert "nested too deeply" in exc.value.message or "not valid YAML" in exc.value.message


def test_no_kickstart_in_the_tree_is_taken_for_a_configuration():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    files = [*root.glob("kickstarts/*.ks"), *root.glob("tests/**/*.ks"), *root.glob("tests/**/*.cfg")]
    assert len(files) > 20
    taken = [str(p) for p in files if looks_like_image_config(p.read_text(errors="replace"))]
    assert taken == []
