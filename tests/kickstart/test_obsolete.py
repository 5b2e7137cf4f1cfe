"""Harmless and obsolete kickstart content: warnings for what changes nothing, reasons for what is refused."""

import pytest

from installer.kickstart.files import parse_kickstart


def messages(text):
    return [str(d) for d in parse_kickstart(text, "old.ks").diagnostics]


def test_kdump_addon_that_disables_kdump_is_a_warning():
    result = parse_kickstart("lang en_US.UTF-8\n%addon com_redhat_kdump --disable\n%end\n", "old.ks")
    assert result.ok
    assert [str(d) for d in result.diagnostics] == [
        ("old.ks:2: warning: '%addon com_redhat_kdump --disable' has no effect: kdump stays off, "
        "azl-install does not set it up")]


def test_kdump_addon_that_enables_kdump_is_refused_with_what_to_do():
    (message,) = messages("%addon com_redhat_kdump --enable --reserve-mb='auto'\n%end\n")
    assert message.startswith("old.ks:1: '%addon com_redhat_kdump' is not supported by azl-install: ")
    assert "enable kdump in %post" in message


@pytest.mark.parametrize("line, replacement", [
    ("install", "installing is the default"),
    ("auth --enableshadow --passalgo=sha512", "authselect"),
    ("authconfig --enableshadow --passalgo=sha512", "authselect"),
    ("method", "use url, cdrom or liveimg"),
])
def test_removed_commands_say_they_were_removed_and_what_replaces_them(line, replacement):
    (message,) = messages(f"lang en_US.UTF-8\n{line}\n")
    assert message.startswith(f"old.ks:2: '{line.split()[0]}' was removed from kickstart (Fedora ")
    assert replacement in message


@pytest.mark.parametrize("text, label, reason", [
    ("%addon org_fedora_oscap\ncontent-type = scap-security-guide\nprofile = cis\n%end\n",
     "%addon org_fedora_oscap", "security profiles (OpenSCAP) are not applied by azl-install"),
    ("ostreesetup --osname=fedora-iot --remote=fedora-iot --url=https://ostree.example.com/ --ref=fedora/stable\n",
     "ostreesetup", "installed from RPM packages, not from an OSTree repository"),
    ("ostreecontainer --url=quay.io/fedora/fedora-bootc:41 --no-signature-verification\n",
     "ostreecontainer", "installed from RPM packages, not from an OSTree container"),
    (("network --device=team0 --bootproto=dhcp --teamslaves=enp1s0,enp2s0 "
     "--teamconfig='{\"runner\": {\"name\": \"activebackup\"}}'\n"),
     "network --teamslaves", "network teaming was removed from NetworkManager: use --bondslaves"),
    ("%addon com_example_custom\n%end\n", "%addon com_example_custom", "unknown add-on"),
])
def test_obsolete_content_is_refused_with_the_reason(text, label, reason):
    found = messages(text)
    assert any(m.startswith(f"old.ks:1: '{label}' is not supported by azl-install: ") and reason in m
               for m in found), found


def test_keyboard_switch_is_a_warning_on_a_system_without_graphics():
    result = parse_kickstart("keyboard --vckeymap=cz --xlayouts='cz','us' --switch='grp:alt_shift_toggle'\n", "kb.ks")
    assert result.ok
    assert [str(d) for d in result.diagnostics] == [
        ("kb.ks:1: warning: 'keyboard --switch' has no effect: layout switching is for graphical sessions; "
        "azl-install installs no graphical system")]
    assert result.plan.system.keyboard == "cz"
