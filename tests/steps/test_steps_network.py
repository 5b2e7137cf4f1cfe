"""NetworkManager keyfiles, device resolution, hostname."""

import configparser

import pytest

from installer.context import StepError
from installer.model.defaults import new_plan
from installer.model.plan import NetworkDevice
from installer.steps import network
from steps_support import add_tool, make_env, mode

CONN = "etc/NetworkManager/system-connections"


def env_with(tmp_path, *devices, family="fedora", cmdline="", hostname=None):
    plan = new_plan()
    plan.network.devices.extend(devices)
    if hostname:
        plan.system.hostname = hostname
    env = make_env(tmp_path, plan=plan, family=family, cmdline=cmdline)
    (env.target / "etc/NetworkManager").mkdir(parents=True)
    add_tool(env.target, "NetworkManager")
    return env


def keyfile(env, name):
    path = env.target / CONN / f"{name}.nmconnection"
    assert mode(path) == 0o600
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string(path.read_text())
    return cp


def test_dhcp_on_the_first_nic_with_link(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="link"))
    network.apply(env.ctx)
    kf = keyfile(env, "eth1")  # eth0 has no carrier in the test machine
    assert kf["connection"]["interface-name"] == "eth1"
    assert kf["connection"]["type"] == "ethernet" and kf["connection"]["autoconnect"] == "true"
    assert kf["ipv4"]["method"] == "auto" and kf["ipv6"]["method"] == "auto"


def test_static_ipv4_and_ipv6_with_dns_search_mtu(tmp_path):
    dev = NetworkDevice(device="eth0", bootproto="static", ip="192.0.2.10", netmask="255.255.255.0",
                        gateway="192.0.2.1", ipv6="2001:db8::10/64", ipv6gateway="2001:db8::1",
                        nameservers=["192.0.2.53", "2001:db8::53"], search_domains=["example.com", "lab"],
                        mtu=9000, onboot=False)
    env = env_with(tmp_path, dev)
    network.apply(env.ctx)
    kf = keyfile(env, "eth0")
    assert kf["ipv4"]["method"] == "manual"
    assert kf["ipv4"]["address1"] == "192.0.2.10/24,192.0.2.1"
    assert kf["ipv4"]["dns"] == "192.0.2.53;" and kf["ipv4"]["dns-search"] == "example.com;lab;"
    assert kf["ipv6"]["method"] == "manual" and kf["ipv6"]["address1"] == "2001:db8::10/64,2001:db8::1"
    assert kf["ipv6"]["dns"] == "2001:db8::53;"
    assert kf["ethernet"]["mtu"] == "9000" and kf["connection"]["autoconnect"] == "false"


def test_prefix_length_netmask_and_disabled_families(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="eth0", bootproto="static", ip="10.1.2.3", netmask="16",
                                           noipv6=True, nodefroute=True))
    network.apply(env.ctx)
    kf = keyfile(env, "eth0")
    assert kf["ipv4"]["address1"] == "10.1.2.3/16" and kf["ipv4"]["never-default"] == "true"
    assert kf["ipv6"]["method"] == "disabled"


def test_match_by_mac_address(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="52:54:00:AB:CD:EF"))
    network.apply(env.ctx)
    kf = keyfile(env, "eth1")
    assert kf["ethernet"]["mac-address"] == "52:54:00:AB:CD:EF"
    assert "interface-name" not in kf["connection"]


def test_bootif_picks_the_nic_the_boot_loader_named(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="bootif"), cmdline="quiet BOOTIF=01-52-54-00-12-34-56")
    network.apply(env.ctx)
    assert keyfile(env, "eth0")["ethernet"]["mac-address"] == "52:54:00:12:34:56"


def test_bootif_without_bootif_on_the_command_line_fails_clearly(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="bootif"))
    with pytest.raises(StepError, match="BOOTIF"):
        network.apply(env.ctx)


def test_bond_with_two_ports(tmp_path):
    dev = NetworkDevice(device="bond0", bond_slaves=["eth0", "eth1"], bond_opts="mode=active-backup,miimon=100",
                        bootproto="static", ip="192.0.2.5", netmask="24", gateway="192.0.2.1")
    env = env_with(tmp_path, dev)
    network.apply(env.ctx)
    bond = keyfile(env, "bond0")
    assert bond["connection"]["type"] == "bond" and bond["connection"]["interface-name"] == "bond0"
    assert bond["bond"]["mode"] == "active-backup" and bond["bond"]["miimon"] == "100"
    assert bond["ipv4"]["address1"] == "192.0.2.5/24,192.0.2.1"
    for nic in ("eth0", "eth1"):
        port = keyfile(env, f"bond0-port-{nic}")
        assert port["connection"]["master"] == "bond0" and port["connection"]["slave-type"] == "bond"
        assert port["connection"]["interface-name"] == nic
        assert "ipv4" not in port


def test_bond_options_with_semicolons(tmp_path):
    assert network._bond_options("mode=802.3ad;arp_ip_target=1.1.1.1,2.2.2.2") == {
        "mode": "802.3ad", "arp_ip_target": "1.1.1.1,2.2.2.2"}


def test_vlan_on_a_parent(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="eth0", vlan_id=42, bootproto="dhcp"),
                   NetworkDevice(device="eth1", vlan_id=7, interface_name="mgmt"))
    network.apply(env.ctx)
    vlan = keyfile(env, "eth0.42")
    assert vlan["connection"]["type"] == "vlan" and vlan["vlan"]["parent"] == "eth0" and vlan["vlan"]["id"] == "42"
    assert keyfile(env, "mgmt")["vlan"]["parent"] == "eth1"


def test_hostname_and_debian_hosts_entry(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="eth0", hostname="ignored.example"),
                   family="debian", hostname="box.example.com")
    (env.target / "etc/hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\tbuildhost\n::1 localhost\n")
    network.apply(env.ctx)
    assert (env.target / "etc/hostname").read_text() == "box.example.com\n"
    hosts = (env.target / "etc/hosts").read_text().splitlines()
    assert "127.0.1.1\tbox.example.com\tbox" in hosts and not any("buildhost" in h for h in hosts)


def test_hostname_from_a_network_line(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="eth0", hostname="node7"))
    network.apply(env.ctx)
    assert (env.target / "etc/hostname").read_text() == "node7\n"
    assert not (env.target / "etc/hosts").exists()  # Fedora family resolves it through nss-myhostname


def test_two_lines_for_one_device_is_an_error(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="eth0"), NetworkDevice(device="eth0"))
    with pytest.raises(StepError, match="eth0"):
        network.apply(env.ctx)


def test_describe_lists_connections(tmp_path):
    env = env_with(tmp_path, NetworkDevice(device="eth0", bootproto="static", ip="10.0.0.2", netmask="8"))
    assert "eth0.nmconnection (ethernet, 10.0.0.2/8)" in "\n".join(network.describe(env.ctx))
    assert not (env.target / CONN).exists()


def test_activate_brings_the_live_network_up_with_the_same_keyfile(tmp_path, monkeypatch):
    from installer.steps import network_live

    run_dir = tmp_path / "run-nm"
    monkeypatch.setattr(network_live, "RUN_CONNECTIONS", str(run_dir))
    monkeypatch.setattr(network_live.shutil, "which", lambda name: "/usr/bin/nmcli")
    env = env_with(tmp_path, NetworkDevice(device="eth0", activate=True), NetworkDevice(device="eth1"))
    assert network_live.applies(env.ctx)
    network_live.apply(env.ctx)
    live_file = run_dir / "eth0.nmconnection"
    assert mode(live_file) == 0o600 and "interface-name=eth0" in live_file.read_text()
    assert not (run_dir / "eth1.nmconnection").exists()  # only the lines with --activate
    assert env.runner.commands() == [["nmcli", "connection", "load", str(live_file)],
                                     ["nmcli", "--wait", "60", "connection", "up", "id", "eth0"]]


def test_activate_failure_is_a_warning(tmp_path, monkeypatch):
    from installer.steps import network_live
    from steps_support import Recorder

    monkeypatch.setattr(network_live, "RUN_CONNECTIONS", str(tmp_path / "run-nm"))
    monkeypatch.setattr(network_live.shutil, "which", lambda name: "/usr/bin/nmcli")
    env = env_with(tmp_path, NetworkDevice(device="eth0", activate=True))
    env.ctx.runner = Recorder(responses={"nmcli": "Error: NetworkManager is not running."}, fail={"nmcli": 8})
    network_live.apply(env.ctx)
    assert any("could not bring eth0 up" in w and "not running" in w for w in env.ctx.warnings)
