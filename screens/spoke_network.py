"""Network and hostname: every NIC with its link state; DHCP or static IPv4/IPv6 and DNS."""

from __future__ import annotations

import ipaddress
import re

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, OptionList, RadioSet
from textual.widgets.option_list import Option

from installer.model.plan import TUI, NetworkDevice
from screens.spoke import FieldError, Spoke
from screens.widgets import Check, Radio

HOSTNAME = re.compile(r"^(?=.{1,64}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
V4 = (("dhcp", "DHCP"), ("static", "Static"), ("off", "Off"))
V6 = (("auto", "Automatic"), ("dhcp", "DHCPv6"), ("static", "Static"), ("off", "Off"))


def nic_line(nic) -> Text:
    if nic.carrier is None:
        link = "link ?"
    else:
        link = "link up" if nic.carrier else "no link"
    if nic.carrier and nic.speed_mbps:
        link += f" {nic.speed_mbps} Mb/s"
    line = f"{nic.name:<12}{nic.mac or '-':<19}{(nic.driver or '-')[:12]:<13}{link}"
    return Text(line[:76], style="" if nic.carrier else "dim")


def config_from_device(dev: NetworkDevice | None) -> dict:
    if dev is None:
        return {"v4": "dhcp", "ip": "", "gateway": "", "v6": "auto", "ip6": "", "gateway6": "", "dns": "", "onboot": True}
    ip = ""
    if dev.ip:
        prefix = dev.netmask or ""
        if prefix and "." in prefix:
            prefix = str(ipaddress.IPv4Network(f"0.0.0.0/{prefix}").prefixlen)
        ip = f"{dev.ip}/{prefix}" if prefix else dev.ip
    v6 = "off" if dev.noipv6 else ("auto" if dev.ipv6 in (None, "auto") else ("dhcp" if dev.ipv6 == "dhcp" else "static"))
    return {
        "v4": "off" if dev.noipv4 else ("static" if dev.bootproto == "static" else "dhcp"),
        "ip": ip, "gateway": dev.gateway or "",
        "v6": v6, "ip6": dev.ipv6 if v6 == "static" else "", "gateway6": dev.ipv6gateway or "",
        "dns": " ".join(dev.nameservers), "onboot": dev.onboot,
    }


def device_from_config(name: str, cfg: dict, old: NetworkDevice | None) -> NetworkDevice:
    """Check one NIC's form values and build its NetworkDevice; FieldError names the field."""
    dev = NetworkDevice(device=name, origin=TUI)
    if old is not None:
        dev.mtu, dev.search_domains = old.mtu, list(old.search_domains)
    dev.onboot = cfg["onboot"]
    if cfg["v4"] == "off":
        dev.noipv4 = True
    elif cfg["v4"] == "static":
        dev.bootproto = "static"
        try:
            iface = ipaddress.IPv4Interface(cfg["ip"].strip())
        except ValueError:
            raise FieldError(f"{name} IPv4 address: give ADDRESS/PREFIX, e.g. 192.0.2.10/24", "ip4") from None
        if "/" not in cfg["ip"]:
            raise FieldError(f"{name} IPv4 address: add the prefix length, e.g. /24", "ip4")
        dev.ip, dev.netmask = str(iface.ip), str(iface.netmask)
        if cfg["gateway"].strip():
            try:
                gw = ipaddress.IPv4Address(cfg["gateway"].strip())
            except ValueError:
                raise FieldError(f"{name} IPv4 gateway: {cfg['gateway']!r} is not an IPv4 address", "gw4") from None
            if gw not in iface.network:
                raise FieldError(f"{name} IPv4 gateway: {gw} is outside {iface.network}", "gw4")
            dev.gateway = str(gw)
    if cfg["v6"] == "off":
        dev.noipv6 = True
    elif cfg["v6"] == "static":
        try:
            iface6 = ipaddress.IPv6Interface(cfg["ip6"].strip())
        except ValueError:
            raise FieldError(f"{name} IPv6 address: give ADDRESS/PREFIX, e.g. 2001:db8::10/64", "ip6") from None
        dev.ipv6 = str(iface6)
        if cfg["gateway6"].strip():
            try:
                dev.ipv6gateway = str(ipaddress.IPv6Address(cfg["gateway6"].strip()))
            except ValueError:
                raise FieldError(f"{name} IPv6 gateway: {cfg['gateway6']!r} is not an IPv6 address", "gw6") from None
    else:
        dev.ipv6 = cfg["v6"]
    dns = []
    for word in cfg["dns"].replace(",", " ").split():
        try:
            dns.append(str(ipaddress.ip_address(word)))
        except ValueError:
            raise FieldError(f"{name} DNS servers: {word!r} is not an IP address", "dns") from None
    dev.nameservers = dns
    return dev


def is_default(cfg: dict) -> bool:
    return cfg == config_from_device(None)


class NetworkSpoke(Spoke):
    TITLE_TEXT = "Network and hostname"
    CSS = """
    NetworkSpoke #nics { height: auto; max-height: 5; }
    NetworkSpoke .row Label { width: 18; }
    NetworkSpoke .row Input { width: 1fr; }
    NetworkSpoke .row Label.second { width: 10; padding-left: 1; }
    """

    def compose_body(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("Hostname:", markup=False)
            yield Input(self.plan.system.hostname or "", placeholder="e.g. server1.example.com", id="hostname")
        yield Label("Interfaces (Up/Down chooses the one to configure)", classes="heading", markup=False)
        yield OptionList(id="nics")
        yield Label("", id="nic-title", classes="heading", markup=False)
        with Horizontal(classes="row"):
            yield Label("IPv4:", markup=False)
            with RadioSet(id="v4", classes="horizontal"):
                for key, title in V4:
                    yield Radio(title, id=f"v4-{key}")
        with Horizontal(classes="row"):
            yield Label("  Address/prefix:", markup=False)
            yield Input(placeholder="192.0.2.10/24", id="ip4")
            yield Label("Gateway:", classes="second", markup=False)
            yield Input(placeholder="192.0.2.1", id="gw4")
        with Horizontal(classes="row"):
            yield Label("IPv6:", markup=False)
            with RadioSet(id="v6", classes="horizontal"):
                for key, title in V6:
                    yield Radio(title, id=f"v6-{key}")
        with Horizontal(classes="row"):
            yield Label("  Address/prefix:", markup=False)
            yield Input(placeholder="2001:db8::10/64", id="ip6")
            yield Label("Gateway:", classes="second", markup=False)
            yield Input(placeholder="2001:db8::1", id="gw6")
        with Horizontal(classes="row"):
            yield Label("DNS servers:", markup=False)
            yield Input(placeholder="space separated", id="dns")
        yield Check("Connect automatically at boot", True, id="onboot")

    def on_mount(self) -> None:
        devices = {d.device: d for d in self.plan.network.devices if d.device}
        self.nics = [n.name for n in self.machine.nics]
        self.configs = {n: config_from_device(devices.get(n)) for n in self.nics}
        self.current: str | None = None
        lst = self.query_one("#nics", OptionList)
        for nic in self.machine.nics:
            lst.add_option(Option(nic_line(nic), id=nic.name))
        if self.nics:
            lst.highlighted = 0
            self.load(self.nics[0])
        else:
            self.query_one("#nic-title", Label).update("No network interfaces found")
        self.query_one("#hostname").focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id != self.current:
            self.save_form()
            self.load(event.option.id)

    def load(self, name: str) -> None:
        self.current = name
        cfg = self.configs[name]
        self.query_one("#nic-title", Label).update(f"Settings for {name}")
        self.query_one(f"#v4-{cfg['v4']}", Radio).value = True
        self.query_one(f"#v6-{cfg['v6']}", Radio).value = True
        for wid, key in (("ip4", "ip"), ("gw4", "gateway"), ("ip6", "ip6"), ("gw6", "gateway6"), ("dns", "dns")):
            self.query_one(f"#{wid}", Input).value = cfg[key]
        self.query_one("#onboot", Check).value = cfg["onboot"]
        self.sync_enabled()

    def save_form(self) -> None:
        if self.current is None:
            return
        v4 = self.query_one("#v4", RadioSet).pressed_button
        v6 = self.query_one("#v6", RadioSet).pressed_button
        self.configs[self.current] = {
            "v4": v4.id.removeprefix("v4-") if v4 else "dhcp",
            "ip": self.query_one("#ip4", Input).value, "gateway": self.query_one("#gw4", Input).value,
            "v6": v6.id.removeprefix("v6-") if v6 else "auto",
            "ip6": self.query_one("#ip6", Input).value, "gateway6": self.query_one("#gw6", Input).value,
            "dns": self.query_one("#dns", Input).value, "onboot": self.query_one("#onboot", Check).value,
        }

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        self.sync_enabled()

    def sync_enabled(self) -> None:
        v4 = self.query_one("#v4", RadioSet).pressed_button
        v6 = self.query_one("#v6", RadioSet).pressed_button
        static4 = bool(v4 and v4.id == "v4-static")
        static6 = bool(v6 and v6.id == "v6-static")
        self.query_one("#ip4").disabled = self.query_one("#gw4").disabled = not static4
        self.query_one("#ip6").disabled = self.query_one("#gw6").disabled = not static6

    def apply(self) -> None:
        host = self.query_one("#hostname", Input).value.strip()
        if host and not HOSTNAME.match(host):
            raise FieldError("Hostname: letters, digits and '-' in dot-separated labels, at most 64 characters",
                             "hostname")
        self.save_form()
        old = {d.device: d for d in self.plan.network.devices if d.device}
        devices = []
        for name in self.nics:
            cfg = self.configs[name]
            if is_default(cfg) and name not in old:
                continue
            try:
                devices.append(device_from_config(name, cfg, old.get(name)))
            except FieldError as exc:
                if name != self.current:
                    self.query_one("#nics", OptionList).highlighted = self.nics.index(name)
                raise exc
        devices += [d for d in self.plan.network.devices if not d.device or d.device not in self.nics]
        if devices != self.plan.network.devices:
            self.plan.network.set("devices", devices, TUI)
        if (host or None) != self.plan.system.hostname:
            self.plan.system.set("hostname", host or None, TUI)
