import pytest

from installer.live.bootopts import parse_cmdline, read_boot_options


def test_kickstart_and_repo_options():
    o = parse_cmdline("BOOT_IMAGE=/vmlinuz root=live:LABEL=AZL-LIVE inst.ks=hd:LABEL=OEMDRV:/ks.cfg "
                      "inst.repo=cdrom console=tty0 console=ttyS0,115200n8 quiet\n")
    assert o.ks == "hd:LABEL=OEMDRV:/ks.cfg"
    assert o.repo == "cdrom"
    assert o.serial_console == "ttyS0"
    assert o.unattended and not o.cmdline


def test_bare_inst_ks_means_oemdrv_and_cmdline_flag():
    o = parse_cmdline("inst.ks inst.cmdline inst.text inst.dryrun")
    assert o.ks == ""
    assert o.cmdline and o.text and o.dry_run


def test_no_installer_options():
    o = parse_cmdline("root=/dev/vda1 ro quiet")
    assert o.ks is None and o.repo is None and not o.unattended


def test_legacy_names_and_unknown_options_kept():
    o = parse_cmdline("ks=http://127.0.0.1:8000/ks.cfg inst.sshd inst.loglevel=debug")
    assert o.ks == "http://127.0.0.1:8000/ks.cfg"
    assert o.sshd and o.extra == {"loglevel": "debug"}


def test_unbalanced_quotes_do_not_break_parsing():
    o = parse_cmdline('inst.ks=file:/ks.cfg foo="bar')
    assert o.ks == "file:/ks.cfg"


def test_read_boot_options_missing_file(tmp_path):
    assert read_boot_options(tmp_path / "nope").ks is None
    f = tmp_path / "cmdline"
    f.write_text("inst.ks=file:///run/ks.cfg\n")
    assert read_boot_options(f).ks == "file:///run/ks.cfg"


def test_kickstart_on_the_medium_names_its_label():
    o = parse_cmdline("root=live:CDLABEL=AZL-4_0-x86_64 inst.ks=cdrom:/ks/server.cfg")
    assert o.ks == "hd:LABEL=AZL-4_0-x86_64:/ks/server.cfg" and not o.errors
    assert parse_cmdline("root=live:CDLABEL=AZL inst.ks=cdrom").ks == "hd:LABEL=AZL:/ks.cfg"
    assert parse_cmdline("inst.ks=cdrom:ks.cfg").ks == "hd:sr0:/ks.cfg"  # no label known: the first CD


def test_nfs_kickstart_is_refused_with_a_way_out():
    o = parse_cmdline("inst.ks=nfs:server:/export/ks.cfg inst.cmdline")
    assert o.ks is None and len(o.errors) == 1
    assert "NFS is not supported" in o.errors[0] and "inst.ks=cdrom" in o.errors[0]


@pytest.mark.parametrize("value,kind", [
    ("cdrom", "cdrom"), ("hd:LABEL=REPO:/azl", "hd"), ("hd:sdb1:/", "hd"), ("http://10.0.2.2:8080/repo", "http"),
    ("https://mirror/azl/4.0", "http"), ("file:///run/repo", "file"), ("nfs:srv:/export", "nfs"),
])
def test_repo_kinds(value, kind):
    o = parse_cmdline(f"inst.repo={value}")
    assert (o.repo, o.repo_kind, o.errors) == (value, kind, [])


def test_repo_errors_and_precedence():
    assert "inst.repo=hd:sdb1: expected hd:DEVICE:/path" in parse_cmdline("inst.repo=hd:sdb1").errors
    assert parse_cmdline("inst.repo=gopher://x").errors
    assert parse_cmdline("inst.stage2=http://a inst.repo=http://b").repo == "http://b"


def test_flags():
    o = parse_cmdline("inst.text inst.cmdline inst.sshd inst.ksstrict inst.sshkey=https://keys/me.pub")
    assert o.text and o.cmdline and o.sshd and o.ksstrict and o.sshkey_url == "https://keys/me.pub"
    assert not parse_cmdline("inst.sshd=0").sshd and not parse_cmdline("").ksstrict


@pytest.mark.parametrize("value,expected", [
    ("all", {"input_ks", "output_ks", "logs"}), ("all_ks", {"input_ks", "output_ks"}),
    ("input_ks,logs", {"input_ks", "logs"}), ("output_ks", {"output_ks"}),
])
def test_nosave(value, expected):
    o = parse_cmdline(f"inst.nosave={value}")
    assert o.nosave == expected and not o.errors


def test_nosave_errors():
    o = parse_cmdline("inst.nosave=logs,kernel")
    assert o.nosave == {"logs"} and "'kernel' is not one of" in o.errors[0]
    assert parse_cmdline("inst.nosave=").errors


def test_ip_forms():
    o = parse_cmdline("ip=dhcp ip=eth1:dhcp6 ip=192.168.1.20::192.168.1.1:255.255.255.0:web01:eth0:none "
                      "ip=[2001:db8::5]::[2001:db8::1]:64::eth2:none ip=10.0.0.5::10.0.0.1:16:h:eth3:none:1.1.1.1 "
                      "nameserver=9.9.9.9")
    assert not o.errors
    dhcp, dhcp6, v4, v6, dns = o.ip
    assert (dhcp.method, dhcp.interface) == ("dhcp", None)
    assert (dhcp6.method, dhcp6.interface) == ("dhcp6", "eth1")
    assert (v4.method, v4.address, v4.gateway, v4.hostname, v4.interface) == \
        ("static", "192.168.1.20/24", "192.168.1.1", "web01", "eth0")
    assert (v6.address, v6.gateway, v6.interface) == ("2001:db8::5/64", "2001:db8::1", "eth2")
    assert dns.dns == ["1.1.1.1"] and o.nameservers == ["9.9.9.9"]


@pytest.mark.parametrize("value,message", [
    ("bogus", "expected dhcp"), ("300.1.1.1::10.0.0.1:24:h:eth0:none", "'300.1.1.1' is not an IP address"),
    ("10.0.0.5::10.0.0.1:255.0.255.0:h:eth0:none", "not a netmask"),
    ("10.0.0.5::gw:24:h:eth0:none", "gateway 'gw'"), ("10.0.0.5::10.0.0.1:24:h:eth0:dhcp", "needs 'none'"),
    ("10.0.0.5::10.0.0.1:40:h:eth0:none", "out of range"),
])
def test_ip_errors_name_the_option(value, message):
    errors = parse_cmdline(f"ip={value}").errors
    assert len(errors) == 1 and errors[0].startswith(f"ip={value}: ") and message in errors[0]


def test_all_errors_in_one_pass():
    o = parse_cmdline("inst.ks=nfs:a:/b inst.repo=gopher://x ip=bogus inst.nosave=nope nameserver=x")
    assert len(o.errors) == 5
