"""`network --bridgeslaves/--bridgeopts`: a bridge connection with one port per slave, as Anaconda writes it."""

import configparser

from steps_support import add_tool, make_env

from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.model.defaults import new_plan
from installer.steps import network
from installer.validate.validator import validate

CONN = "etc/NetworkManager/system-connections"
KS = ("network --device=br0 --bootproto=static --ip=192.0.2.20 --netmask=255.255.255.0 --gateway=192.0.2.1 "
      "--bridgeslaves=eth0,eth1 --bridgeopts=stp=yes,priority=40000,forward-delay=4 --onboot=yes\n")


def keyfile(env, name):
    cp = configparser.ConfigParser(interpolation=None)
    cp.read_string((env.target / CONN / f"{name}.nmconnection").read_text())
    return cp


def test_the_kickstart_line_becomes_a_bridge_in_the_plan():
    result = parse_kickstart(KS, "br.ks")
    assert result.ok, [str(d) for d in result.diagnostics]
    (dev,) = result.plan.network.devices
    assert dev.device == "br0" and dev.bridge_slaves == ["eth0", "eth1"]
    assert dev.bridge_opts == "stp=yes,priority=40000,forward-delay=4"


def test_bridge_keyfiles(tmp_path):
    plan = new_plan()
    plan.network.devices.extend(parse_kickstart(KS, "br.ks").plan.network.devices)
    env = make_env(tmp_path, plan=plan, family="fedora")
    (env.target / "etc/NetworkManager").mkdir(parents=True)
    add_tool(env.target, "NetworkManager")
    network.apply(env.ctx)
    bridge = keyfile(env, "br0")
    assert bridge["connection"]["type"] == "bridge" and bridge["connection"]["interface-name"] == "br0"
    assert dict(bridge["bridge"]) == {"stp": "true", "priority": "40000", "forward-delay": "4"}
    assert bridge["ipv4"]["address1"] == "192.0.2.20/24,192.0.2.1"
    for nic in ("eth0", "eth1"):
        port = keyfile(env, f"br0-port-{nic}")
        assert port["connection"]["master"] == "br0" and port["connection"]["slave-type"] == "bridge"
        assert port["connection"]["interface-name"] == nic and "ipv4" not in port


def test_bridge_survives_the_saved_kickstart():
    plan = parse_kickstart(KS, "br.ks").plan
    again = parse_kickstart(dump_kickstart(plan), "saved.ks").plan
    (dev,) = again.network.devices
    assert dev.bridge_slaves == ["eth0", "eth1"] and dev.bridge_opts == "stp=yes,priority=40000,forward-delay=4"


def test_bad_bridge_options_are_reported_on_their_line():
    result = parse_kickstart("\n" + KS.replace("forward-delay=4", "forward_delay"), "br.ks")
    assert any(str(d).startswith("br.ks:2: Bad format of --bridgeopts") for d in result.errors)
    plan = parse_kickstart("\n" + KS, "br.ks").plan
    plan.network.devices[0].bridge_opts = "stp=yes,forward delay=4"  # as a plan edited elsewhere may hold
    assert "br.ks:2: --bridgeopts: 'forward delay=4' is not OPTION=VALUE" in [str(d) for d in validate(plan, None)]


def test_a_vlan_beside_its_parents_own_line_gets_its_own_connection(tmp_path):
    ks = ("network --device=eth0 --bootproto=dhcp --onboot=yes\n"
          "network --device=eth0 --vlanid=171 --bootproto=static --ip=10.171.0.5 --netmask=255.255.255.0\n")
    plan = new_plan()
    plan.network.devices.extend(parse_kickstart(ks, "vlan.ks").plan.network.devices)
    env = make_env(tmp_path, plan=plan, family="fedora")
    (env.target / "etc/NetworkManager").mkdir(parents=True)
    add_tool(env.target, "NetworkManager")
    network.apply(env.ctx)
    assert keyfile(env, "eth0")["connection"]["type"] == "ethernet"
    vlan = keyfile(env, "eth0.171")
    assert vlan["vlan"]["parent"] == "eth0" and vlan["vlan"]["id"] == "171"
    assert vlan["ipv4"]["address1"] == "10.171.0.5/24"
