"""Network checks: hostname, addresses, gateways, DNS, MTU, devices present on the machine."""

from __future__ import annotations

import ipaddress
import re

from installer.model.machine import Machine
from installer.model.plan import InstallPlan, NetworkDevice, Origin
from installer.validate.common import Report, origin, suggest, where

BOOTPROTOS = ("dhcp", "static", "bootp", "ibft", "query")
SPECIAL_DEVICES = ("link", "bootif", "ibft")
HOSTNAME_MAX = 64
LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
MAC = re.compile(r"^[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5}$")
IFNAME = re.compile(r"^[A-Za-z0-9_.:@-]{1,15}$")
MTU_MIN, MTU_MAX = 68, 65535


def hostname_problem(name: str) -> str | None:
    """Why `name` is not a valid host name (RFC 1123, at most 64 characters), or None."""
    if not name:
        return "is empty"
    if len(name) > HOSTNAME_MAX:
        return f"is {len(name)} characters long (at most {HOSTNAME_MAX})"
    fqdn = name[:-1] if name.endswith(".") else name
    for label in fqdn.split("."):
        if not label:
            return "has an empty label (two dots in a row, or a leading dot)"
        if len(label) > 63:
            return f"has a label longer than 63 characters ({label[:20]}...)"
        if label.startswith("-") or label.endswith("-"):
            if label == fqdn:
                return "must not start or end with '-'"
            return f"has a label that starts or ends with '-' ({label})"
        if not LABEL.match(label):
            bad = next(c for c in label if not (c.isascii() and (c.isalnum() or c == "-")))
            return f"contains {bad!r}: only letters, digits, '-' and '.' are allowed"
    if fqdn.split(".")[-1].isdigit():
        return "looks like an IP address; its last label must not be all digits"
    return None


def domain_problem(name: str) -> str | None:
    problem = hostname_problem(name)
    return problem


def parse_netmask(value: str) -> int | None:
    """Prefix length of a dotted netmask or a /prefix; None when invalid."""
    value = value.strip().lstrip("/")
    if value.isdigit():
        n = int(value)
        return n if 0 <= n <= 32 else None
    try:
        return ipaddress.IPv4Network(f"0.0.0.0/{value}").prefixlen
    except ValueError:
        return None


def check_network(plan: InstallPlan, machine: Machine | None, report: Report) -> None:
    sysc = plan.system
    if sysc.hostname is not None:
        problem = hostname_problem(sysc.hostname)
        if problem:
            report.error(f"hostname {sysc.hostname!r} {problem}", origin(sysc, "hostname"), "system.hostname")
    devices: dict[str, Origin] = {}
    virtual = {d.device for d in plan.network.devices if (d.bond_slaves or d.bridge_slaves) and d.device}
    virtual |= {d.interface_name for d in plan.network.devices if d.interface_name}
    hostnames = 0
    for dev in plan.network.devices:
        o = dev.origin
        name = dev.device or ""
        # a VLAN is its own device (PARENT.ID unless --interfacename names it): its parent may have a line too
        label = dev.interface_name or (f"{name}.{dev.vlan_id}" if name and dev.vlan_id is not None else name)
        key = label.lower()
        if key and key in devices:
            report.error(f"network device {label} is already configured"
                         f"{where(devices[key], o)}", o)
        elif key:
            devices[key] = o
        if dev.hostname is not None:
            hostnames += 1
            problem = hostname_problem(dev.hostname)
            if problem:
                report.error(f"hostname {dev.hostname!r} {problem}", o)
        if dev.bootproto not in BOOTPROTOS:
            report.error(f"--bootproto={dev.bootproto} is not supported ({', '.join(BOOTPROTOS)})", o)
        _check_ipv4(dev, o, report)
        _check_ipv6(dev, o, report)
        for ns in dev.nameservers:
            try:
                ipaddress.ip_address(ns.strip())
            except ValueError:
                report.error(f"--nameserver={ns} is not an IP address", o)
        for dom in dev.search_domains:
            problem = domain_problem(dom)
            if problem:
                report.error(f"search domain {dom!r} {problem}", o)
        if dev.mtu is not None and not MTU_MIN <= dev.mtu <= MTU_MAX:
            report.error(f"--mtu={dev.mtu} is out of range ({MTU_MIN}-{MTU_MAX})", o)
        if dev.vlan_id is not None and not 1 <= dev.vlan_id <= 4094:
            report.error(f"--vlanid={dev.vlan_id} is out of range (1-4094)", o)
        if dev.interface_name is not None and not IFNAME.match(dev.interface_name):
            report.error(f"--interfacename={dev.interface_name!r} is not a valid interface name "
                         f"(at most 15 letters, digits, '.', '-', '_')", o)
        if dev.bond_opts:
            for opt in re.split(r"[,;]", dev.bond_opts):
                if opt and not re.match(r"^[a-z_]+=[^=\s]+$", opt):
                    report.error(f"--bondopts: {opt!r} is not OPTION=VALUE", o)
        if dev.bridge_opts:
            for opt in dev.bridge_opts.split(","):
                if opt and not re.match(r"^[a-z-]+=[^=\s]+$", opt):
                    report.error(f"--bridgeopts: {opt!r} is not OPTION=VALUE", o)
        if dev.bond_slaves and dev.bridge_slaves:
            report.error("--bondslaves and --bridgeslaves cannot be used together", o)
        if machine is not None:
            if dev.bridge_slaves:
                if name and not IFNAME.match(name):
                    report.error(f"bridge name {name!r} is not a valid interface name", o)
                for slave in dev.bridge_slaves:
                    _check_nic(slave, machine, virtual, o, report, "--bridgeslaves")
            elif dev.bond_slaves:
                if name and not IFNAME.match(name):
                    report.error(f"bond name {name!r} is not a valid interface name", o)
                for slave in dev.bond_slaves:
                    _check_nic(slave, machine, virtual, o, report, "--bondslaves")
            elif name:
                _check_nic(name, machine, virtual, o, report, "--device")
    if hostnames > 1:
        report.warning("more than one network command sets --hostname; the last one wins",
                       [d.origin for d in plan.network.devices if d.hostname is not None][-1])


def _check_nic(name: str, machine: Machine, virtual: set, o: Origin, report: Report, what: str) -> None:
    if name.lower() in SPECIAL_DEVICES or name in virtual:
        return
    if MAC.match(name):
        wanted = name.replace("-", ":").lower()
        if not any((n.mac or "").lower() == wanted for n in machine.nics):
            report.error(f"{what}={name}: no network interface with this MAC address on this machine", o)
        return
    if not any(n.name == name for n in machine.nics):
        names = [n.name for n in machine.nics]
        report.error(f"{what}={name}: no network interface {name!r} on this machine{suggest(name, names)}; "
                     f"interfaces: {', '.join(names) or 'none'}", o)


def _check_ipv4(dev: NetworkDevice, o: Origin, report: Report) -> None:
    if dev.bootproto != "static" or dev.noipv4:
        for flag, value in (("--ip", dev.ip), ("--gateway", dev.gateway)):
            if value and dev.bootproto in ("dhcp", "bootp") and not dev.noipv4:
                report.warning(f"{flag}={value} is ignored with --bootproto={dev.bootproto}", o)
        return
    if not dev.ip:
        if not dev.ipv6 or dev.ipv6 in ("auto", "dhcp"):
            report.error("--bootproto=static needs --ip (and --netmask)", o)
        return
    ip_text = dev.ip.strip()
    prefix: int | None = None
    if "/" in ip_text:
        ip_text, _, pfx = ip_text.partition("/")
        prefix = parse_netmask(pfx)
        if prefix is None:
            report.error(f"--ip={dev.ip}: invalid prefix length", o)
            return
    try:
        ip = ipaddress.IPv4Address(ip_text)
    except ValueError:
        report.error(f"--ip={dev.ip} is not an IPv4 address", o)
        return
    if dev.netmask:
        prefix = parse_netmask(dev.netmask)
        if prefix is None:
            report.error(f"--netmask={dev.netmask} is not a valid netmask (e.g. 255.255.255.0 or 24)", o)
            return
    if prefix is None:
        report.error(f"--ip={dev.ip} needs --netmask", o)
        return
    net = ipaddress.IPv4Network(f"{ip}/{prefix}", strict=False)
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
        report.error(f"--ip={ip} cannot be a host address", o)
    elif prefix < 31 and ip == net.network_address:
        report.error(f"--ip={ip} is the network address of {net}", o)
    elif prefix < 31 and ip == net.broadcast_address:
        report.error(f"--ip={ip} is the broadcast address of {net}", o)
    if dev.gateway:
        try:
            gw = ipaddress.IPv4Address(dev.gateway.strip())
        except ValueError:
            report.error(f"--gateway={dev.gateway} is not an IPv4 address", o)
            return
        if gw == ip:
            report.error(f"--gateway={gw} is the interface's own address", o)
        elif gw not in net:
            report.error(f"--gateway={gw} is not in the subnet {net} of --ip={ip}", o)


def _check_ipv6(dev: NetworkDevice, o: Origin, report: Report) -> None:
    if dev.ipv6 and dev.ipv6 not in ("auto", "dhcp", "ignore", "disabled"):
        text = dev.ipv6.strip()
        try:
            iface = ipaddress.IPv6Interface(text)
        except ValueError:
            report.error(f"--ipv6={dev.ipv6} is not auto, dhcp or an IPv6 address with prefix (ADDR/PREFIX)", o)
            return
        if "/" not in text:
            report.error(f"--ipv6={dev.ipv6} needs a prefix length (e.g. {text}/64)", o)
        elif iface.ip.is_multicast or iface.ip.is_unspecified or iface.ip.is_loopback:
            report.error(f"--ipv6={dev.ipv6} cannot be a host address", o)
    if dev.ipv6gateway:
        try:
            ipaddress.IPv6Address(dev.ipv6gateway.strip())
        except ValueError:
            report.error(f"--ipv6gateway={dev.ipv6gateway} is not an IPv6 address", o)
