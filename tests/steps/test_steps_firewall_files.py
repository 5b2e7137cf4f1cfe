"""The firewall step writes firewalld's zone files itself for plain plans (no firewall-offline-cmd
start-up), and leaves everything else to firewall-offline-cmd."""

import os
import xml.etree.ElementTree as ET

from steps_support import add_unit, make_env

from installer.model.defaults import new_plan
from installer.steps import firewall, firewall_files

PUBLIC = """<?xml version="1.0" encoding="utf-8"?>
<zone>
  <short>Public</short>
  <description>For use in public areas.</description>
  <service name="ssh"/>
  <service name="dhcpv6-client"/>
  <forward/>
</zone>
"""
TRUSTED = """<?xml version="1.0" encoding="utf-8"?>
<zone target="ACCEPT">
  <short>Trusted</short>
  <description>All network connections are accepted.</description>
  <forward/>
</zone>
"""


def firewalld_target(env, services=("ssh", "dhcpv6-client", "http", "https"), conf="DefaultZone=public\n"):
    usr = env.target / "usr/lib/firewalld"
    (usr / "zones").mkdir(parents=True)
    (usr / "services").mkdir()
    (usr / "zones/public.xml").write_text(PUBLIC)
    (usr / "zones/trusted.xml").write_text(TRUSTED)
    for name in services:
        (usr / f"services/{name}.xml").write_text(f"<service><short>{name}</short></service>\n")
    (env.target / "etc/firewalld").mkdir(parents=True)
    if conf is not None:
        (env.target / "etc/firewalld/firewalld.conf").write_text("# firewalld config\n" + conf)
    add_unit(env.target, "firewalld.service")


def zone(env, name):
    root = ET.parse(env.target / f"etc/firewalld/zones/{name}.xml").getroot()
    return ({e.get("name") for e in root.findall("service")},
            {(e.get("port"), e.get("protocol")) for e in root.findall("port")},
            {e.get("name") for e in root.findall("interface")}, root)


def test_plain_plan_writes_the_default_zone_without_firewall_offline_cmd(tmp_path):
    plan = new_plan()
    plan.security.firewall.services = ["http", "ssh"]
    plan.security.firewall.ports = ["8443:tcp", "6000-6010:udp"]
    env = make_env(tmp_path, plan=plan, tools=("firewall-offline-cmd",))
    firewalld_target(env)
    firewall.apply(env.ctx)
    assert env.runner.commands(chroot=True) == []
    assert env.runner.named("systemctl")[0][2:] == ["enable", "firewalld.service"]
    services, ports, ifaces, root = zone(env, "public")
    assert ifaces == set()
    assert services == {"ssh", "dhcpv6-client", "http"}
    assert ports == {("8443", "tcp"), ("6000-6010", "udp")}
    assert root.find("short").text == "Public" and root.find("forward") is not None
    assert [e.tag for e in root] == ["short", "description", "service", "service", "service", "port", "port",
                                     "forward"]
    path = env.target / "etc/firewalld/zones/public.xml"
    assert os.stat(path).st_mode & 0o777 == 0o644
    assert path.read_text().startswith('<?xml version="1.0" encoding="utf-8"?>\n<zone>\n  <short>')
    assert '\n  <service name="http" />\n  <port ' in path.read_text()


def test_removed_service_disabled_firewall_and_existing_zone_kept_as_old(tmp_path):
    plan = new_plan()
    plan.security.firewall.remove_services = ["ssh"]
    env = make_env(tmp_path, plan=plan, tools=("firewall-offline-cmd",))
    firewalld_target(env)
    (env.target / "etc/firewalld/zones").mkdir()
    custom = PUBLIC.replace('<forward/>', '<service name="https"/>\n  <forward/>')
    (env.target / "etc/firewalld/zones/public.xml").write_text(custom)
    firewall.apply(env.ctx)
    services, _, _, _ = zone(env, "public")
    assert services == {"dhcpv6-client", "https"}  # the /etc copy is the one edited
    assert (env.target / "etc/firewalld/zones/public.xml.old").read_text() == custom

    plan.security.firewall.enabled = False
    plan.security.firewall.remove_services = []
    env2 = make_env(tmp_path / "2", plan=plan, tools=("firewall-offline-cmd",))
    firewalld_target(env2)
    firewall.apply(env2.ctx)
    assert env2.runner.commands(chroot=True) == []
    assert env2.runner.named("systemctl")[0][2:] == ["disable", "firewalld.service"]
    assert zone(env2, "public")[0] == {"ssh", "dhcpv6-client"}  # firewalld's copy, unchanged


def test_trusted_interfaces_go_to_the_trusted_zone(tmp_path):
    plan = new_plan()
    plan.security.firewall.trusted = ["eth1"]
    env = make_env(tmp_path, plan=plan, tools=("firewall-offline-cmd",))
    firewalld_target(env, conf=None)  # no firewalld.conf: firewalld's fallback zone is public
    firewall.apply(env.ctx)
    assert zone(env, "trusted")[2] == {"eth1"}
    assert zone(env, "trusted")[3].get("target") == "ACCEPT"
    assert zone(env, "public")[0] == {"ssh", "dhcpv6-client"}


def test_what_the_files_cannot_express_goes_to_firewall_offline_cmd(tmp_path):
    # a service the target's firewalld does not define: firewall-offline-cmd reports it (and fails the step)
    plan = new_plan()
    plan.security.firewall.services = ["nosuch"]
    env = make_env(tmp_path, plan=plan, tools=("firewall-offline-cmd",))
    firewalld_target(env)
    firewall.apply(env.ctx)
    assert env.runner.commands(chroot=True) == [["firewall-offline-cmd", "--enabled", "--service=ssh",
                                                 "--service=nosuch"]]
    assert not (env.target / "etc/firewalld/zones/public.xml").exists()
    # a port given by service name, a zone file that does not parse, an interface bound elsewhere
    for case in ("port", "xml", "iface"):
        plan = new_plan()
        env = make_env(tmp_path / case, plan=plan, tools=("firewall-offline-cmd",))
        firewalld_target(env)
        if case == "port":
            plan.security.firewall.ports = ["imap:tcp"]
        elif case == "xml":
            (env.target / "usr/lib/firewalld/zones/public.xml").write_text("<zone><short>")
        else:
            plan.security.firewall.trusted = ["eth0"]
            (env.target / "etc/firewalld/zones").mkdir()
            (env.target / "etc/firewalld/zones/work.xml").write_text('<zone><interface name="eth0"/></zone>')
        firewall.apply(env.ctx)
        assert env.runner.named("firewall-offline-cmd"), case


def test_default_zone_from_firewalld_conf(tmp_path):
    env = make_env(tmp_path, tools=("firewall-offline-cmd",))
    firewalld_target(env, conf="DefaultZone=trusted\n")
    assert firewall_files.default_zone(env.target) == "trusted"
    env.ctx.plan.security.firewall.trusted = ["eth2"]
    edits = firewall_files.plan_zones(env.target, env.ctx.plan.security.firewall)
    assert [e.name for e in edits] == ["trusted"]  # the default zone is the trusted one: one file
    root = edits[0].root
    assert {e.get("name") for e in root.findall("interface")} == {"eth2"}
    assert {e.get("name") for e in root.findall("service")} == {"ssh"}
