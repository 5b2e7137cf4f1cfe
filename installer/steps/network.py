"""Network: one NetworkManager keyfile (mode 0600) per kickstart `network` line, and
the hostname in /etc/hostname.

Devices are matched by interface name, or by MAC address when the kickstart names
one; `--device=link` means the first NIC with a carrier, `bootif` the NIC whose MAC
the boot loader passed as BOOTIF=. Bonds get a bond connection plus one port
connection per slave; VLANs a vlan connection on their parent.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from dataclasses import dataclass, field

from installer import chroot
from installer.context import InstallContext, StepError
from installer.model.plan import NetworkDevice

TITLE = "Configuring the network"
CONNECTIONS = "/etc/NetworkManager/system-connections"
MAC = re.compile(r"^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$")


@dataclass
class Keyfile:
    name: str
    sections: dict[str, dict[str, str]] = field(default_factory=dict)

    def text(self) -> str:
        out = []
        for section, values in self.sections.items():
            out.append(f"[{section}]")
            out.extend(f"{k}={v}" for k, v in values.items())
            out.append("")
        return "\n".join(out)


# ------------------------------------------------------------------ device resolution
def resolve_device(ctx: InstallContext, spec: str | None) -> tuple[str | None, str | None]:
    """(interface name, MAC) for a kickstart --device value."""
    nics = [n for n in ctx.machine.nics if not n.virtual] or list(ctx.machine.nics)
    if spec in (None, "", "link"):
        nic = next((n for n in nics if n.carrier), None) or (nics[0] if nics else None)
        if nic is None:
            raise StepError(f"network --device={spec or 'link'}: the machine has no network interface")
        return nic.name, None
    if spec.lower() == "bootif":
        mac = _bootif_mac(ctx.cmdline())
        if mac is None:
            raise StepError("network --device=bootif: the boot loader passed no BOOTIF= on the kernel command line")
        nic = next((n for n in nics if (n.mac or "").lower() == mac), None)
        return (nic.name if nic else None), mac
    if MAC.match(spec):
        mac = spec.lower().replace("-", ":")
        nic = next((n for n in ctx.machine.nics if (n.mac or "").lower() == mac), None)
        return (nic.name if nic else None), mac
    return spec, None


def _bootif_mac(cmdline: str) -> str | None:
    for word in cmdline.split():
        if word.startswith("BOOTIF="):
            value = word.split("=", 1)[1].lower()
            parts = value.replace(":", "-").split("-")
            if len(parts) == 7:  # leading ARP hardware type, 01 for Ethernet
                parts = parts[1:]
            if len(parts) == 6:
                return ":".join(parts)
    return None


# ------------------------------------------------------------------ keyfiles
def keyfiles(ctx: InstallContext, devices: list[NetworkDevice] | None = None) -> list[Keyfile]:
    out: list[Keyfile] = []
    for dev in ctx.plan.network.devices if devices is None else devices:
        if dev.bond_slaves:
            out.extend(_bond(ctx, dev))
        elif dev.bridge_slaves:
            out.extend(_bridge(ctx, dev))
        elif dev.vlan_id is not None:
            out.append(_vlan(ctx, dev))
        else:
            out.append(_ethernet(ctx, dev))
    names = [k.name for k in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise StepError(f"two network lines configure the same connection: {', '.join(dupes)}")
    return out


def _connection(name: str, kind: str, dev: NetworkDevice, interface: str | None) -> dict[str, str]:
    conn = {"id": name, "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"azl-install:{name}")), "type": kind}
    if interface:
        conn["interface-name"] = interface
    conn["autoconnect"] = "true" if dev.onboot else "false"
    return conn


def _ethernet(ctx: InstallContext, dev: NetworkDevice) -> Keyfile:
    name, mac = resolve_device(ctx, dev.device)
    key = Keyfile(name or mac.replace(":", ""))
    key.sections["connection"] = _connection(key.name, "ethernet", dev, None if mac else name)
    eth: dict[str, str] = {}
    if mac:
        eth["mac-address"] = mac.upper()
    if dev.mtu:
        eth["mtu"] = str(dev.mtu)
    key.sections["ethernet"] = eth
    _ip(key, dev)
    return key


def _bond(ctx: InstallContext, dev: NetworkDevice) -> list[Keyfile]:
    bond = dev.device or "bond0"
    main = Keyfile(bond)
    main.sections["connection"] = _connection(bond, "bond", dev, bond)
    opts = _bond_options(dev.bond_opts)
    opts.setdefault("mode", "balance-rr")
    main.sections["bond"] = opts
    if dev.mtu:
        main.sections["ethernet"] = {"mtu": str(dev.mtu)}
    _ip(main, dev)
    out = [main]
    for slave in dev.bond_slaves:
        name, mac = resolve_device(ctx, slave)
        port_name = f"{bond}-port-{name or mac.replace(':', '')}"
        port = Keyfile(port_name)
        conn = _connection(port_name, "ethernet", dev, None if mac else name)
        conn.update({"master": bond, "slave-type": "bond"})
        port.sections["connection"] = conn
        port.sections["ethernet"] = {"mac-address": mac.upper()} if mac else {}
        out.append(port)
    return out


def _bridge(ctx: InstallContext, dev: NetworkDevice) -> list[Keyfile]:
    bridge = dev.device or "br0"
    main = Keyfile(bridge)
    main.sections["connection"] = _connection(bridge, "bridge", dev, bridge)
    opts = {k: {"yes": "true", "no": "false"}.get(v.lower(), v) for k, v in _bond_options(dev.bridge_opts).items()}
    main.sections["bridge"] = opts
    if dev.mtu:
        main.sections["ethernet"] = {"mtu": str(dev.mtu)}
    _ip(main, dev)
    out = [main]
    for slave in dev.bridge_slaves:
        name, mac = resolve_device(ctx, slave)
        port_name = f"{bridge}-port-{name or mac.replace(':', '')}"
        port = Keyfile(port_name)
        conn = _connection(port_name, "ethernet", dev, None if mac else name)
        conn.update({"master": bridge, "slave-type": "bridge"})
        port.sections["connection"] = conn
        port.sections["ethernet"] = {"mac-address": mac.upper()} if mac else {}
        out.append(port)
    return out


def _bond_options(opts: str | None) -> dict[str, str]:
    if not opts:
        return {}
    sep = ";" if ";" in opts else ","
    out = {}
    for item in opts.split(sep):
        if "=" in item:
            k, v = item.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _vlan(ctx: InstallContext, dev: NetworkDevice) -> Keyfile:
    parent, mac = resolve_device(ctx, dev.device)
    if parent is None:
        raise StepError(f"network --vlanid={dev.vlan_id}: no interface of this machine has MAC {mac}")
    iface = dev.interface_name or f"{parent}.{dev.vlan_id}"
    key = Keyfile(iface)
    key.sections["connection"] = _connection(iface, "vlan", dev, iface)
    key.sections["vlan"] = {"parent": parent, "id": str(dev.vlan_id)}
    if dev.mtu:
        key.sections["ethernet"] = {"mtu": str(dev.mtu)}
    _ip(key, dev)
    return key


def _ip(key: Keyfile, dev: NetworkDevice) -> None:
    v4: dict[str, str] = {}
    if dev.noipv4:
        v4["method"] = "disabled"
    elif dev.bootproto == "static":
        if not dev.ip or not dev.netmask:
            raise StepError(f"network --device={dev.device}: --bootproto=static needs --ip and --netmask "
                            f"({dev.origin})")
        iface = ipaddress.IPv4Interface(f"{dev.ip}/{dev.netmask}")
        v4["method"] = "manual"
        v4["address1"] = f"{iface.with_prefixlen}" + (f",{dev.gateway}" if dev.gateway else "")
    else:
        v4["method"] = "auto"
    dns4 = [s for s in dev.nameservers if ":" not in s]
    dns6 = [s for s in dev.nameservers if ":" in s]
    if dns4 and v4["method"] != "disabled":
        v4["dns"] = ";".join(dns4) + ";"
        if v4["method"] == "auto":
            v4["ignore-auto-dns"] = "true"
    if dev.search_domains and v4["method"] != "disabled":
        v4["dns-search"] = ";".join(dev.search_domains) + ";"
    if dev.nodefroute:
        v4["never-default"] = "true"
    key.sections["ipv4"] = v4

    v6: dict[str, str] = {}
    if dev.noipv6:
        v6["method"] = "disabled"
    elif dev.ipv6 in (None, "", "auto"):
        v6["method"] = "auto"
    elif dev.ipv6 == "dhcp":
        v6["method"] = "dhcp"
    else:
        iface6 = ipaddress.IPv6Interface(dev.ipv6 if "/" in dev.ipv6 else f"{dev.ipv6}/64")
        v6["method"] = "manual"
        v6["address1"] = iface6.with_prefixlen + (f",{dev.ipv6gateway}" if dev.ipv6gateway else "")
    if dns6 and v6["method"] != "disabled":
        v6["dns"] = ";".join(dns6) + ";"
    if dev.search_domains and v6["method"] != "disabled" and "dns-search" not in v4:
        v6["dns-search"] = ";".join(dev.search_domains) + ";"
    key.sections["ipv6"] = v6


def hostname(ctx: InstallContext) -> str | None:
    if ctx.plan.system.hostname:
        return ctx.plan.system.hostname
    return next((d.hostname for d in ctx.plan.network.devices if d.hostname), None)


# ------------------------------------------------------------------ the step
def describe(ctx: InstallContext) -> list[str]:
    out = []
    try:
        files = keyfiles(ctx)
    except StepError as exc:
        return [f"cannot configure the network: {exc}"]
    for key in files:
        ipv4 = key.sections.get("ipv4", {})
        how = ipv4.get("address1", "").split(",")[0] or ipv4.get("method", "port")
        out.append(f"write {CONNECTIONS}/{key.name}.nmconnection ({key.sections['connection']['type']}, {how})")
    if not files:
        out.append("no network lines: NetworkManager configures interfaces by DHCP at boot")
    name = hostname(ctx)
    if name:
        out.append(f"set the hostname to {name}")
    return out


def apply(ctx: InstallContext) -> None:
    files = keyfiles(ctx)
    if files and not chroot.exists(ctx.target, "/etc/NetworkManager") and not chroot.find_tool(ctx.target, "NetworkManager"):
        ctx.warn("the target has no NetworkManager: the connections are written but nothing will use them")
    for key in files:
        ctx.write(f"{CONNECTIONS}/{key.name}.nmconnection", key.text(), 0o600)
    name = hostname(ctx)
    if name:
        ctx.write("/etc/hostname", name + "\n", 0o644)
        if chroot.family(ctx.target) == "debian":
            _hosts_entry(ctx, name)


def _hosts_entry(ctx: InstallContext, name: str) -> None:
    """Debian resolves its own hostname through /etc/hosts (127.0.1.1), as its installer writes."""
    path = chroot.resolve(ctx.target, "/etc/hosts")
    text = path.read_text() if path.exists() else "127.0.0.1\tlocalhost\n"
    lines = [line for line in text.splitlines() if not line.startswith("127.0.1.1")]
    short = name.split(".")[0]
    entry = f"127.0.1.1\t{name}" + (f"\t{short}" if short != name else "")
    lines.insert(1 if lines else 0, entry)
    ctx.write("/etc/hosts", "\n".join(lines) + "\n", 0o644)
