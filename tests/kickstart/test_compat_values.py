"""Lines real Fedora/RHEL kickstarts use that must give the result Anaconda gives, or a refusal that says why."""

import pytest

from installer.kickstart.files import parse_kickstart
from installer.validate.validator import validate

BASE = """\
text
timezone Europe/Prague --utc
rootpw --plaintext Lab-Root-2026
zerombr
clearpart --all --initlabel
autopart --type=plain
reboot
"""


def check(extra: str, base: str = BASE):
    """(result, messages of parse and validation) for BASE plus `extra`; lines of `extra` start at 8."""
    result = parse_kickstart(base + extra, "site.ks")
    diags = list(result.diagnostics)
    if result.plan is not None:
        diags += validate(result.plan, None, None, result.partial)
    return result, [str(d) for d in diags]


# ---------------------------------------------------------------- lang

@pytest.mark.parametrize("given, locale", [("en", "en_US.UTF-8"), ("cs", "cs_CZ.UTF-8"), ("en_US", "en_US.UTF-8"),
                                           ("de", "de_DE.UTF-8"), ("pt_BR", "pt_BR.UTF-8"),
                                           ("en_GB.UTF-8", "en_GB.UTF-8"), ("C.UTF-8", "C.UTF-8")])
def test_lang_short_ids_mean_a_full_locale(given, locale):
    result, messages = check(f"lang {given} --addsupport=cs\n")
    assert messages == []
    assert result.plan.system.lang == locale
    assert result.plan.system.lang_support == ["cs_CZ.UTF-8"]


@pytest.mark.parametrize("given", ["xx_YY.UTF-8", "en_XX.UTF-8", "cs_US.UTF-8"])
def test_lang_that_does_not_exist_is_refused(given):
    _result, messages = check(f"lang {given}\n")
    assert messages == [f"site.ks:8: lang {given!r} is not a locale Azure Linux has"
                        + (" (did you mean 'en_GB.UTF-8'?)" if given == "en_XX.UTF-8" else "")] or \
        (len(messages) == 1 and messages[0].startswith(f"site.ks:8: lang {given!r} is not a locale Azure Linux has"))


# ---------------------------------------------------------------- rootpw --lock

def test_locked_root_without_a_password_is_accepted():
    base = BASE.replace("rootpw --plaintext Lab-Root-2026", "rootpw --lock --iscrypted locked")
    result, messages = check("user --name=ops --groups=wheel --iscrypted --password="
                             "$6$rounds=5000$salt$IxDD3jeSOb5eB1CX5LBsqZFVkJdido3OUILO5Ifz5iwMuTS4XMS130MTSuDDl3aCI6WouIL9AjRbLCelDCy.g.\n",
                             base)
    assert messages == []
    acc = result.plan.accounts
    assert acc.root_lock is True and acc.root_password_hash is None


def test_iscrypted_without_a_hash_and_without_lock_does_not_suggest_plaintext():
    base = BASE.replace("rootpw --plaintext Lab-Root-2026", "rootpw --iscrypted locked")
    _result, messages = check("", base)
    (message,) = [m for m in messages if ":3:" in m]
    assert "crypt(3) hash" in message and "--plaintext" not in message and "rootpw --lock" in message


# ---------------------------------------------------------------- network

def test_vlan_on_a_parent_with_its_own_network_line_is_accepted():
    result, messages = check("network --device=enp1s0 --bootproto=dhcp --onboot=yes\n"
                             "network --device=enp1s0 --vlanid=171 --bootproto=static --ip=10.171.0.5 "
                             "--netmask=255.255.255.0 --onboot=yes\n")
    assert messages == []
    assert [(d.device, d.vlan_id) for d in result.plan.network.devices] == [("enp1s0", None), ("enp1s0", 171)]


def test_the_same_vlan_twice_is_still_refused():
    _result, messages = check("network --device=enp1s0 --vlanid=171 --bootproto=dhcp\n"
                              "network --device=enp1s0 --vlanid=171 --bootproto=dhcp\n")
    assert "site.ks:9: network device enp1s0.171 is already configured at line 8" in messages


# ---------------------------------------------------------------- %packages groups

@pytest.mark.parametrize("line, wanted", [("@Core", "core"), ("@core", "core"), ("@Minimal", "minimal"),
                                          ("@^minimal-environment", "minimal"),
                                          ("@^server-product-environment", "server"), ("@standard", "server"),
                                          ("@^Server-Product-Environment", "server")])
def test_well_known_fedora_groups_map_to_package_sets(line, wanted):
    result, messages = check(f"%packages\n{line}\nvim-enhanced\n%end\n")
    assert result.plan.payload.packages.sets[-1] == wanted
    assert result.plan.payload.packages.groups == [] and result.plan.payload.packages.environment is None
    if line[1:].lstrip("^") == wanted:
        assert messages == []
    else:
        assert messages == [(f"site.ks:9: warning: '{line}' is a Fedora/RHEL group: azl-install installs the "
                            f"Azure Linux package set '{wanted}' instead")]


def test_unknown_groups_are_still_refused():
    _result, messages = check("%packages\n@^workstation-product-environment\n%end\n")
    assert len(messages) == 1 and messages[0].startswith("site.ks:9: @^workstation-product-environment:")


# ---------------------------------------------------------------- storage values

def test_btrfs_subvolumes_may_name_their_parent_by_label():
    base = BASE.replace("autopart --type=plain\n", "")
    result, messages = check("part /boot/efi --fstype=efi --size=600\npart /boot --fstype=xfs --size=1024\n"
                             "part btrfs.01 --size=10000 --grow\nbtrfs none --label=fedora btrfs.01\n"
                             "btrfs / --subvol --name=root LABEL=fedora\nbtrfs /home --subvol --name=home LABEL=fedora\n",
                             base)
    assert messages == []
    assert [b.parent for b in result.plan.storage.btrfs if b.subvol] == ["fedora", "fedora"]


@pytest.mark.parametrize("line, reason", [
    ("part prepboot --size=4 --fstype=prepboot", "PReP boot partitions are for POWER (ppc64le), not x86_64"),
    ("part /tmp --fstype=tmpfs --size=512", "tmpfs is not a disk partition"),
])
def test_partitions_that_cannot_exist_here_say_why(line, reason):
    base = BASE.replace("autopart --type=plain\n", "part / --fstype=xfs --size=8000\n")
    _result, messages = check(line + "\n", base)
    assert len(messages) == 1, messages
    assert messages[0].startswith("site.ks:8: '") and reason in messages[0]
    assert "absolute path" not in messages[0] and "unknown filesystem" not in messages[0]


@pytest.mark.parametrize("line", ["firstboot --reconfig", "firstboot --enable"])
def test_firstboot_says_what_was_asked_and_why_not(line):
    _result, messages = check(line + "\n")
    assert messages == [(f"site.ks:8: '{line}' is not supported by azl-install: Azure Linux has no first-boot "
                        "setup tool (initial-setup)")]


def test_xlayouts_with_a_variant_in_parentheses():
    result, messages = check("keyboard --xlayouts='cz (qwerty)','us'\n")
    assert messages == []
    assert result.plan.system.keyboard == "cz-qwerty"
    assert result.plan.system.x_layouts == ["cz (qwerty)", "us"]


# ---------------------------------------------------------------- firewall

def test_firewall_services_must_be_firewalld_services():
    _result, messages = check("firewall --enabled --service=sshd,cockpit\n")
    assert messages == [("site.ks:8: firewall --service=sshd is not a firewalld service Azure Linux ships "
                        "(did you mean 'ssh'?)")]


def test_firewall_with_real_service_names_is_accepted():
    _result, messages = check("firewall --enabled --ssh --service=https,dhcpv6-client --remove-service=cockpit\n")
    assert messages == []


def test_vlan_line_before_its_parents_line_is_accepted_too():
    _result, messages = check("network --device=enp1s0 --vlanid=171 --bootproto=dhcp\n"
                              "network --device=enp1s0 --bootproto=dhcp\n")
    assert messages == []


def test_two_plain_lines_for_one_nic_still_warn_and_fail():
    _result, messages = check("network --device=enp1s0 --bootproto=dhcp\nnetwork --device=enp1s0 --bootproto=dhcp\n")
    assert "site.ks:9: warning: A network device with the name enp1s0 has already been defined." in messages
    assert "site.ks:9: network device enp1s0 is already configured at line 8" in messages
