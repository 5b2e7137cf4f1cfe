"""azl-install's `sshd` kickstart command: parsing, errors, the saved kickstart, validation."""

import pytest

from installer.model.defaults import new_plan
from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.model.plan import Origin
from installer.validate.validator import validate

ROOT_HASH = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3 ops@example.com"


def messages(result) -> list[str]:
    return [str(d) for d in result.diagnostics]


def security(text: str):
    result = parse_kickstart(text, "ks.cfg")
    assert result.diagnostics == [], messages(result)
    return result.plan.security


def test_defaults_without_the_command():
    se = security("lang C.UTF-8\n")
    defaults = new_plan().security
    assert (se.sshd_enabled, se.password_authentication, se.permit_root_login) == \
        (defaults.sshd_enabled, defaults.password_authentication, defaults.permit_root_login) == \
        (True, True, "prohibit-password")


@pytest.mark.parametrize("line, enabled, password, root, given", [
    ("sshd --password-auth=no", True, False, "prohibit-password", ["password_authentication"]),
    ("sshd --password-auth yes", True, True, "prohibit-password", ["password_authentication"]),
    ("sshd --disabled", False, True, "prohibit-password", ["sshd_enabled"]),
    ("sshd --disable --root-login=no", False, True, "no", ["sshd_enabled", "permit_root_login"]),
    ("sshd --enabled --root-login=forced-commands-only --password-auth=no", True, False, "forced-commands-only",
     ["sshd_enabled", "permit_root_login", "password_authentication"]),
])
def test_options_set_the_plan_with_their_line(line, enabled, password, root, given):
    se = security(f"lang C.UTF-8\n{line}\n")
    assert (se.sshd_enabled, se.password_authentication, se.permit_root_login) == (enabled, password, root)
    for field in ("sshd_enabled", "permit_root_login", "password_authentication"):
        from_line = se.origin_of(field) == Origin.kickstart("ks.cfg", 2)
        assert from_line == (field in given), field


def test_a_later_line_replaces_an_earlier_one():
    result = parse_kickstart("sshd --password-auth=no\nsshd --root-login=yes\n", "ks.cfg")
    assert messages(result) == ["ks.cfg:2: warning: 'sshd' was already given at ks.cfg:1; this line replaces it"]
    se = result.plan.security
    assert se.password_authentication is True and se.permit_root_login == "yes"


def test_rootpw_allow_ssh_agrees_with_root_login_yes():
    se = security(f"rootpw --iscrypted --allow-ssh {ROOT_HASH}\nsshd --root-login=yes --password-auth=no\n")
    assert se.permit_root_login == "yes" and not se.password_authentication


@pytest.mark.parametrize("text, expected", [
    ("lang C\nsshd --password-auth=maybe\n",
     # the value of an option named like a password is hidden unless it is one of the valid words
     "ks.cfg:2: sshd: argument --password-auth: invalid choice: '***' (choose from 'yes', 'no')"),
    ("sshd --root-login=sometimes\n",
     "ks.cfg:1: sshd: argument --root-login: invalid choice: 'sometimes' (choose from 'yes', 'no', "
     "'prohibit-password', 'without-password', 'forced-commands-only')"),
    ("\nsshd --enabled --disabled\n", "ks.cfg:2: sshd: --enabled and --disabled cannot be used together"),
    ("sshd on\n", "ks.cfg:1: sshd: unrecognized arguments: on"),
    ("sshd --port=2222\n", "ks.cfg:1: sshd: unrecognized arguments: --port=2222"),
    ("sshd --password-auth\n", "ks.cfg:1: sshd: argument --password-auth: expected one argument"),
    (f"rootpw --iscrypted --allow-ssh {ROOT_HASH}\nsshd --root-login=prohibit-password\n",
     "ks.cfg:2: 'sshd --root-login=prohibit-password' contradicts 'rootpw --allow-ssh' at ks.cfg:1"),
    ("services --disabled=sshd\nlang C\nsshd --enabled\n",
     "ks.cfg:3: 'sshd --enabled' contradicts 'services --disabled=sshd' at ks.cfg:1"),
])
def test_errors_name_the_file_and_line(text, expected):
    result = parse_kickstart(text, "ks.cfg")
    assert messages(result) == [expected]
    assert not result.ok


def test_disabled_agrees_with_services_disabled():
    se = security("services --disabled=sshd\nsshd --disabled --password-auth=no\n")
    assert not se.sshd_enabled and not se.password_authentication


# ---------------------------------------------------------------- the saved kickstart


def sshd_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("sshd")]


@pytest.mark.parametrize("text, line", [
    ("lang C.UTF-8\n", None),
    ("sshd --password-auth=no\n", "sshd --password-auth=no"),
    ("sshd --password-auth=yes --enabled\n", None),  # the defaults: nothing to write
    ("sshd --disabled --root-login=no\n", "sshd --disabled --root-login=no"),
    ("services --disabled=sshd\nsshd --password-auth=no\n", "sshd --password-auth=no"),  # services says it
    (f"rootpw --iscrypted --allow-ssh {ROOT_HASH}\nsshd --password-auth=no --root-login=yes\n",
     "sshd --password-auth=no"),  # rootpw --allow-ssh says it
])
def test_the_saved_kickstart_replays_to_the_same_plan(text, line):
    plan = parse_kickstart(text, "ks.cfg").plan
    dumped = dump_kickstart(plan)
    assert sshd_lines(dumped) == ([line] if line else [])
    again = parse_kickstart(dumped, "installer-ks.cfg")
    assert again.diagnostics == [], messages(again)
    assert again.plan == plan and dump_kickstart(again.plan) == dumped


def test_choices_made_in_the_installer_are_written_as_an_sshd_line():
    plan = new_plan()
    plan.security.sshd_enabled = False
    plan.security.password_authentication = False
    plan.security.permit_root_login = "yes"
    dumped = dump_kickstart(plan)
    assert sshd_lines(dumped) == ["sshd --disabled --password-auth=no --root-login=yes"]
    assert "no kickstart syntax" not in dumped
    assert parse_kickstart(dumped).plan.security == plan.security


def test_allow_ssh_overriding_a_root_login_choice_is_a_comment():
    plan = new_plan()
    plan.accounts.root_password_hash = ROOT_HASH
    plan.accounts.root_allow_ssh = True
    plan.security.permit_root_login = "no"  # the TUI's radio button; rootpw --allow-ssh wins in the ssh step
    dumped = dump_kickstart(plan)
    assert "# sshd root login: yes (rootpw --allow-ssh overrides 'no')" in dumped.splitlines()
    again = parse_kickstart(dumped)
    assert again.diagnostics == [] and again.plan.security.permit_root_login == "yes"


# ---------------------------------------------------------------- validation


def warnings_about_ssh(plan) -> list[str]:
    return [str(d) for d in validate(plan) if "SSH password authentication" in d.message]


def test_password_auth_off_without_keys_is_a_warning_on_its_line():
    text = f"rootpw --iscrypted {ROOT_HASH}\nsshd --password-auth=no\n"
    plan = parse_kickstart(text, "ks.cfg").plan
    assert warnings_about_ssh(plan) == ["ks.cfg:2: warning: SSH password authentication is off and no "
                                        "'sshkey' is given: nobody can log in over SSH"]
    plan = parse_kickstart(text + f"sshkey --username=root '{KEY}'\n", "ks.cfg").plan
    assert warnings_about_ssh(plan) == []
    plan = parse_kickstart(text + "sshd --disabled --password-auth=no\n", "ks.cfg").plan
    assert warnings_about_ssh(plan) == []  # no SSH server: nothing to warn about
