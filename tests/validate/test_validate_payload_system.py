"""Payload and system validation: sources, package sets, liveimg, time zone, locale, firewall, services, scripts."""

import pytest
from validate_support import at, base_plan, errors, messages

from installer.model.plan import LiveImage, Repository, Script
from installer.validate.payload import url_problem
from installer.validate.system import timezone_exists

SCHEMES = ("http", "https", "ftp", "file", "nfs", "hd", "cdrom")


@pytest.mark.parametrize("url", [
    "https://repo.example.com/azl/4.0/$basearch/", "http://10.0.0.1:8080/repo", "ftp://mirror.example/x",
    "file:///run/install/repo", "nfs:server.example:/export/azl", "nfs:vers=4:server:/export",
    "nfs://server/export", "hd:sdb1:/azl", "hd:LABEL=AZL:/repo", "cdrom", "cdrom:/dev/sr0",
    "http://[2001:db8::1]/repo",
])
def test_good_urls(url):
    assert url_problem(url, SCHEMES) is None


@pytest.mark.parametrize("url,problem", [
    ("htp://repo.example.com", "has an unsupported scheme (use http:, https:, ftp:, file:, nfs:, hd:, cdrom:)"),
    ("https://", "has no host name"),
    ("https:/repo.example.com/x", "must start with https://"),
    ("http://repo.example.com:99999/x", "has an invalid port"),
    ("http://bad_host.example/x", "has an invalid host name 'bad_host.example'"),
    ("file://relative/path", "must be file:///ABSOLUTE/PATH"),
    ("nfs:server", "must be nfs:[OPTIONS:]SERVER:/PATH"),
    ("hd:sdb1", "must be hd:DEVICE:/PATH"),
    ("http://repo.example.com/a b", "is empty or contains whitespace"),
])
def test_bad_urls(url, problem):
    assert url_problem(url, SCHEMES) == problem


def test_repositories():
    plan = base_plan()
    plan.payload.repositories += [
        Repository(name="extras", baseurl="https://repo.example.com/extras", origin=at(10)),
        Repository(name="extras", baseurl="https://repo.example.com/x", origin=at(11)),
        Repository(name="bad name", baseurl="smb://x/y", origin=at(12)),
        Repository(name="none", origin=at(13)),
        Repository(name="nogpg", baseurl="https://repo.example.com/n", gpgcheck=False, origin=at(14)),
    ]
    assert messages(plan) == [
        "ks.cfg:11: repository extras is already defined at line 10",
        "ks.cfg:12: repo --name='bad name': use letters, digits, '-', '_', '.' and ':'",
        "ks.cfg:12: repo --baseurl=smb://x/y has an unsupported scheme (use http:, https:, ftp:, file:, nfs:)",
        "ks.cfg:13: repo none: give --baseurl, --mirrorlist or --metalink",
        "ks.cfg:14: warning: repo nogpg: GPG checking is off; packages from it are not verified",
    ]


def test_liveimg_checksum_and_url():
    plan = base_plan()
    plan.payload.set("liveimg", LiveImage(url="https://img.example/azl.tar.gz", checksum="abc", origin=at(5)), at(5))
    assert errors(plan) == ["ks.cfg:5: liveimg --checksum must be a SHA-256 digest (64 hexadecimal digits)"]
    plan.payload.liveimg.checksum = "a" * 64
    assert messages(plan) == []
    plan.payload.liveimg.url = "https://img.example/azl.rpm"
    assert messages(plan) == ["ks.cfg:5: warning: liveimg --url=https://img.example/azl.rpm: not a tarball or image "
                              "name (.tar, .tar.gz, .tgz, .tar.xz, ...)"]


def test_package_sets_known():
    plan = base_plan()
    plan.payload.packages.set("sets", ["server", "webserver"], at(30))
    plan.payload.packages.origins["sets[webserver]"] = at(32)
    plan.payload.packages.set("groups", ["development"], at(30))
    plan.payload.packages.origins["groups[development]"] = at(33)
    assert errors(plan) == [
        "ks.cfg:32: package set 'webserver' is not defined by Azure Linux 4.0; sets: container-host, core, "
        "minimal, server",
        "ks.cfg:33: @development: Azure Linux repositories have no comps groups and 'development' is not a "
        "package set; sets: container-host, core, minimal, server",
    ]


def test_groups_from_added_repositories_only_warn():
    plan = base_plan()
    plan.payload.repositories.append(Repository(name="extras", baseurl="https://r.example/x", origin=at(10)))
    plan.payload.packages.set("groups", ["development"], at(30))
    assert errors(plan) == []
    assert len(messages(plan, severity="warning")) == 1


def test_bad_package_names():
    plan = base_plan()
    plan.payload.packages.set("packages", ["tmux", "foo bar", "vim;rm"], at(30))
    assert errors(plan) == ["ks.cfg:30: %packages: 'foo bar' is not a package name",
                            "ks.cfg:30: %packages: 'vim;rm' is not a package name"]


def test_timezones():
    assert timezone_exists("Europe/Paris") is True
    assert timezone_exists("UTC") is True
    assert timezone_exists("Mars/Olympus") is False
    assert timezone_exists("../../etc/passwd") is False
    assert timezone_exists("zone.tab") is False
    plan = base_plan()
    plan.system.set("timezone", "America/New_Yrok", at(8))
    assert errors(plan) == ["ks.cfg:8: timezone 'America/New_Yrok' does not exist (did you mean 'America/New_York'?)"]


def test_locale_keyboard_ntp():
    plan = base_plan()
    plan.system.set("lang", "english", at(9))
    plan.system.set("keyboard", "qwertz-xx", at(10))
    plan.system.set("ntp_servers", ["ntp.example.com", "bad server"], at(8))
    assert messages(plan) == [
        "ks.cfg:8: NTP server 'bad server' contains ' ': only letters, digits, '-' and '.' are allowed",
        "ks.cfg:9: lang 'english' is not a locale name (e.g. en_US.UTF-8)",
        "ks.cfg:10: warning: keyboard layout 'qwertz-xx' is not known",
    ]
    for good in ("de_DE.UTF-8", "C.UTF-8", "sr_RS@latin", "en_US"):
        plan.system.set("lang", good, at(9))
        assert not [m for m in errors(plan) if "lang" in m], good


def test_firewall_services_scripts():
    plan = base_plan()
    fw = plan.security.firewall
    fw.set("ports", ["22:tcp", "8080", "70000:tcp", "6010-6000:udp", "imap:tcp"], at(12))
    fw.set("services", ["ssh", "bad service"], at(12))
    plan.services.set("enabled", ["sshd", "chronyd"], at(13))
    plan.services.set("disabled", ["chronyd", "bad unit"], at(13))
    plan.scripts.append(Script(kind="post", body="echo", interpreter="python3", origin=at(40)))
    assert errors(plan) == [
        "ks.cfg:12: firewall --port=8080 is not PORT:PROTOCOL (e.g. 8080:tcp or 6000-6010:udp)",
        "ks.cfg:12: firewall --port=70000:tcp: port numbers are 1-65535",
        "ks.cfg:12: firewall --port=6010-6000:udp: the range is reversed",
        "ks.cfg:12: firewall --service='bad service' is not a service name",
        "ks.cfg:13: services: 'bad unit' is not a systemd unit name",
        "ks.cfg:40: %post --interpreter=python3 is not an absolute path",
    ]


def test_bootloader_password_must_be_grub_hash():
    plan = base_plan()
    plan.bootloader.set("password_hash", "secret", at(15))
    assert errors(plan) == ["ks.cfg:15: bootloader --password must be a grub2-mkpasswd-pbkdf2 hash "
                            "(grub.pbkdf2.sha512...) with --iscrypted"]


def test_plans_from_the_tui_name_the_field_instead_of_a_line():
    from installer.model.defaults import new_plan
    from installer.model.plan import TUI
    from installer.validate.validator import validate

    plan = new_plan()
    plan.system.set("timezone", "Qq/Zz", TUI)
    plan.system.set("hostname", "bad host", TUI)
    plan.interactive = True
    diags = {d.field: str(d) for d in validate(plan) if d.is_error}
    assert diags == {
        "system.timezone": "tui: timezone 'Qq/Zz' does not exist",
        "system.hostname": "tui: hostname 'bad host' contains ' ': only letters, digits, '-' and '.' are allowed",
    }
