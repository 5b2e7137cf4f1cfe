"""Network validation: hostnames, addresses, gateways, DNS, MTU, devices on the machine."""

import pytest
from validate_support import at, base_plan, errors, messages, uefi_machine

from installer.model.plan import NetworkDevice
from installer.validate.network import hostname_problem, parse_netmask


def with_device(**kw):
    plan = base_plan()
    plan.network.devices.append(NetworkDevice(origin=at(7), **kw))
    return plan


@pytest.mark.parametrize("name", ["web01", "web01.example.com", "a-b.c-d.example", "x" * 63, "host."])
def test_valid_hostnames(name):
    assert hostname_problem(name) is None


@pytest.mark.parametrize("name,problem", [
    ("", "is empty"),
    ("a" * 65, "is 65 characters long (at most 64)"),
    ("-web", "must not start or end with '-'"),
    ("web.-x", "has a label that starts or ends with '-' (-x)"),
    ("web..example", "has an empty label (two dots in a row, or a leading dot)"),
    ("web_01", "contains '_': only letters, digits, '-' and '.' are allowed"),
    ("10.0.0.1", "looks like an IP address; its last label must not be all digits"),
    ("héte", "contains 'é': only letters, digits, '-' and '.' are allowed"),
])
def test_invalid_hostnames(name, problem):
    assert hostname_problem(name) == problem


def test_hostname_from_system_and_network_lines():
    plan = with_device(device="enp1s0", hostname="bad_host")
    plan.system.set("hostname", "also bad", at(9))
    assert errors(plan) == [
        "ks.cfg:7: hostname 'bad_host' contains '_': only letters, digits, '-' and '.' are allowed",
        "ks.cfg:9: hostname 'also bad' contains ' ': only letters, digits, '-' and '.' are allowed",
    ]


@pytest.mark.parametrize("mask,prefix", [("255.255.255.0", 24), ("24", 24), ("/16", 16), ("255.255.255.255", 32),
                                         ("255.0.255.0", None), ("33", None), ("abc", None)])
def test_netmasks(mask, prefix):
    assert parse_netmask(mask) == prefix


def test_valid_static_configuration():
    plan = with_device(device="enp1s0", bootproto="static", ip="192.168.10.20", netmask="255.255.255.0",
                       gateway="192.168.10.1", nameservers=["192.168.10.1", "2001:db8::53"], mtu=9000,
                       ipv6="2001:db8::20/64", ipv6gateway="fe80::1")
    assert messages(plan, uefi_machine()) == []


@pytest.mark.parametrize("kw,message", [
    (dict(ip="192.168.10.300", netmask="24"), "--ip=192.168.10.300 is not an IPv4 address"),
    (dict(ip="192.168.10.20", netmask="255.0.255.0"),
     "--netmask=255.0.255.0 is not a valid netmask (e.g. 255.255.255.0 or 24)"),
    (dict(ip="192.168.10.20"), "--ip=192.168.10.20 needs --netmask"),
    (dict(ip="192.168.10.0", netmask="24"), "--ip=192.168.10.0 is the network address of 192.168.10.0/24"),
    (dict(ip="192.168.10.255", netmask="24"), "--ip=192.168.10.255 is the broadcast address of 192.168.10.0/24"),
    (dict(ip="192.168.10.20", netmask="24", gateway="192.168.11.1"),
     "--gateway=192.168.11.1 is not in the subnet 192.168.10.0/24 of --ip=192.168.10.20"),
    (dict(ip="192.168.10.20", netmask="24", gateway="192.168.10.20"),
     "--gateway=192.168.10.20 is the interface's own address"),
    (dict(ip="192.168.10.20", netmask="24", gateway="gw.example"), "--gateway=gw.example is not an IPv4 address"),
    (dict(), "--bootproto=static needs --ip (and --netmask)"),
    (dict(ip="10.1.2.3/8"), None),
])
def test_static_ipv4(kw, message):
    plan = with_device(device="enp1s0", bootproto="static", **kw)
    assert errors(plan) == ([f"ks.cfg:7: {message}"] if message else [])


@pytest.mark.parametrize("kw,message", [
    (dict(ipv6="2001:db8::zz/64"), "--ipv6=2001:db8::zz/64 is not auto, dhcp or an IPv6 address with prefix "
                                   "(ADDR/PREFIX)"),
    (dict(ipv6="2001:db8::5"), "--ipv6=2001:db8::5 needs a prefix length (e.g. 2001:db8::5/64)"),
    (dict(ipv6="auto", ipv6gateway="10.0.0.1"), "--ipv6gateway=10.0.0.1 is not an IPv6 address"),
    (dict(nameservers=["dns.example"]), "--nameserver=dns.example is not an IP address"),
    (dict(mtu=40), "--mtu=40 is out of range (68-65535)"),
    (dict(mtu=70000), "--mtu=70000 is out of range (68-65535)"),
    (dict(vlan_id=5000), "--vlanid=5000 is out of range (1-4094)"),
    (dict(bootproto="magic"), "--bootproto=magic is not supported (dhcp, static, bootp, ibft, query)"),
])
def test_other_network_values(kw, message):
    assert errors(with_device(device="enp1s0", **kw)) == [f"ks.cfg:7: {message}"]


def test_device_must_exist_by_name_or_mac():
    m = uefi_machine()
    assert errors(with_device(device="52:54:00:12:34:56"), m) == []
    assert errors(with_device(device="link"), m) == []
    assert errors(with_device(device="enp1s1"), m) == [
        "ks.cfg:7: --device=enp1s1: no network interface 'enp1s1' on this machine (did you mean 'enp1s0'?); "
        "interfaces: enp1s0, enp2s0"]
    assert errors(with_device(device="52:54:00:00:00:01"), m) == [
        "ks.cfg:7: --device=52:54:00:00:00:01: no network interface with this MAC address on this machine"]
    # without a machine there is nothing to compare with
    assert errors(with_device(device="enp1s1")) == []


def test_bond_slaves_must_exist_and_bond_name_is_new():
    plan = with_device(device="bond0", bond_slaves=["enp1s0", "enp9s0"], bond_opts="mode=active-backup,miimon=100")
    assert errors(plan, uefi_machine()) == [
        "ks.cfg:7: --bondslaves=enp9s0: no network interface 'enp9s0' on this machine (did you mean 'enp2s0'?); "
        "interfaces: enp1s0, enp2s0"]


def test_same_device_configured_twice():
    plan = with_device(device="enp1s0")
    plan.network.devices.append(NetworkDevice(device="enp1s0", origin=at(8)))
    assert errors(plan) == ["ks.cfg:8: network device enp1s0 is already configured at line 7"]
