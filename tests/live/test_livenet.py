"""ip= as NetworkManager keyfiles for the live environment."""

import configparser
import stat

from installer.live.bootopts import parse_cmdline
from installer.live.livenet import apply, keyfiles


def parsed(text):
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(text)
    return cp


def test_static_ipv4_with_dns():
    files = keyfiles(parse_cmdline("ip=192.168.1.20::192.168.1.1:24:web01:eth0:none:192.168.1.53 nameserver=9.9.9.9"))
    (name, text), = files.items()
    cp = parsed(text)
    assert cp["connection"]["interface-name"] == "eth0"
    assert cp["ipv4"]["method"] == "manual"
    assert cp["ipv4"]["address1"] == "192.168.1.20/24,192.168.1.1"
    assert cp["ipv4"]["dns"] == "192.168.1.53;9.9.9.9;"


def test_dhcp_and_ipv6_forms():
    files = keyfiles(parse_cmdline("ip=dhcp ip=eth1:dhcp6 ip=[2001:db8::5]::[2001:db8::1]:64::eth2:none"))
    texts = [parsed(t) for t in files.values()]
    assert texts[0]["ipv4"]["method"] == "auto" and "interface-name" not in texts[0]["connection"]
    assert texts[1]["ipv4"]["method"] == "disabled" and texts[1]["ipv6"]["method"] == "dhcp"
    assert texts[2]["ipv6"]["address1"] == "2001:db8::5/64,2001:db8::1"


def test_apply_writes_private_keyfiles(tmp_path):
    names = apply(parse_cmdline("ip=eth0:dhcp"), tmp_path, reload=False)
    path = tmp_path / f"{names[0]}.nmconnection"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert apply(parse_cmdline("quiet"), tmp_path / "none", reload=False) == []
    assert not (tmp_path / "none").exists()
