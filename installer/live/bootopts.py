"""Installer options from the kernel command line, Anaconda's names and meanings:
inst.ks= inst.repo= inst.text inst.cmdline inst.sshd inst.sshkey= inst.nosave= inst.ksstrict
inst.dryrun inst.noverifyssl, and ip= / nameserver= (dracut's syntax, a subset) for the live
network. Problems are collected in `errors` (all of them, each naming the option) so the
console can show them all at once."""

from __future__ import annotations

import ipaddress
import shlex
from dataclasses import dataclass, field
from pathlib import Path

# inst.nosave= values (Anaconda's): what the installed system does NOT get a copy of.
NOSAVE_VALUES = {"input_ks", "output_ks", "all_ks", "logs", "all"}
NOSAVE_EXPANDS = {"all_ks": {"input_ks", "output_ks"}, "all": {"input_ks", "output_ks", "logs"}}
LOCAL_KS_DEFAULT = "/ks.cfg"


@dataclass
class IpConfig:
    """One ip= option: dhcp (optionally on one interface) or a static address."""

    method: str  # dhcp | dhcp6 | auto6 | static
    interface: str | None = None
    address: str | None = None  # with prefix length: 192.168.1.20/24
    gateway: str | None = None
    hostname: str | None = None
    dns: list[str] = field(default_factory=list)


@dataclass
class BootOptions:
    ks: str | None = None  # inst.ks= value; "" means inst.ks given without a value (OEMDRV / default)
    repo: str | None = None  # inst.repo= / inst.stage2 source
    repo_kind: str | None = None  # cdrom | hd | http | ftp | file | nfs (the payload mounts/fetches it)
    cmdline: bool = False  # inst.cmdline: never ask, fail on anything missing
    text: bool = False
    dry_run: bool = False  # inst.dryrun (for testing the live medium)
    serial_console: str | None = None  # console=ttyS0,115200 -> "ttyS0" (the last serial one)
    noverifyssl: bool = False
    ks_sendmac: bool = False  # inst.ks.sendmac: X-RHN-Provisioning-MAC-N headers on inst.ks=http(s)://
    ks_sendsn: bool = False  # inst.ks.sendsn: X-System-Serial-Number header
    ks_cacert: str | None = None  # inst.ks.cacert=FILE: the CA bundle that verifies https kickstart/report URLs
    report: str | None = None  # inst.report=URL: engine events are POSTed there (docs/fleet.md)
    reinstall: bool = False  # inst.reinstall: install again what azl-install installed here (saved kickstart)
    sshd: bool = False  # inst.sshd: sshd in the live environment
    sshkey_url: str | None = None  # inst.sshkey=URL: authorized keys for the `install` user
    nosave: set[str] = field(default_factory=set)  # expanded: input_ks, output_ks, logs
    ksstrict: bool = False  # kickstart warnings are errors
    ip: list[IpConfig] = field(default_factory=list)
    nameservers: list[str] = field(default_factory=list)
    cdlabel: str | None = None  # root=live:CDLABEL=X: the medium's volume label
    errors: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def unattended(self) -> bool:
        return self.ks is not None


def parse_cmdline(text: str) -> BootOptions:
    opts = BootOptions()
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    ks_raw = None
    for word in words:
        key, sep, value = word.partition("=")
        if key.startswith("inst.") or key in ("ks", "repo", "ks.sendmac", "ks.sendsn"):
            name = key[5:] if key.startswith("inst.") else key
            if name == "ks":
                ks_raw = value if sep else ""
            elif name in ("repo", "stage2") and value:
                if opts.repo is None or name == "repo":
                    opts.repo = value
            elif name == "cmdline":
                opts.cmdline = True
            elif name == "text":
                opts.text = True
            elif name == "dryrun":
                opts.dry_run = True
            elif name == "noverifyssl":
                opts.noverifyssl = True
            elif name == "ks.sendmac":
                opts.ks_sendmac = True
            elif name == "ks.sendsn":
                opts.ks_sendsn = True
            elif name == "ks.cacert" and value:
                opts.ks_cacert = value
            elif name == "report" and value:
                opts.report = value
            elif name == "sshd":
                opts.sshd = value.lower() not in ("0", "no", "off", "false")
            elif name == "sshkey":
                opts.sshkey_url = value or None
                if not value:
                    opts.errors.append("inst.sshkey= needs a URL (http(s)://, file:, hd:DEVICE:/path)")
            elif name == "nosave":
                _nosave(opts, value)
            elif name == "reinstall":
                opts.reinstall = value.lower() not in ("0", "no", "off", "false")
            elif name == "ksstrict":
                opts.ksstrict = value.lower() not in ("0", "no", "off", "false")
            else:
                opts.extra[name] = value
        elif key == "console" and value.startswith(("ttyS", "ttyAMA", "hvc")):
            opts.serial_console = value.split(",", 1)[0]
        elif key == "root" and value.startswith("live:CDLABEL="):
            opts.cdlabel = value[len("live:CDLABEL="):]
        elif key == "ip" and sep:
            _ip(opts, value)
        elif key == "nameserver" and value:
            if _is_ip(value):
                opts.nameservers.append(value)
            else:
                opts.errors.append(f"nameserver={value}: not an IP address")
    if ks_raw is not None:
        opts.ks = _ks_location(opts, ks_raw)
    if opts.repo is not None:
        opts.repo_kind = _repo_kind(opts, opts.repo)
    if opts.sshd and opts.sshkey_url and opts.sshkey_url.startswith("nfs:"):
        opts.errors.append(f"inst.sshkey={opts.sshkey_url}: NFS is not supported; use http(s)://, file: or hd:")
    return opts


def _ks_location(opts: BootOptions, value: str) -> str | None:
    if value.startswith("nfs:") or value.startswith("nfs4:"):
        opts.errors.append(f"inst.ks={value}: NFS is not supported by azl-install; serve the kickstart over "
                           "http(s)://, put it on the medium (inst.ks=cdrom:/ks.cfg) or on a disk labelled "
                           "OEMDRV (inst.ks)")
        return None
    if value == "cdrom" or value.startswith("cdrom:"):
        path = value[len("cdrom:"):] if value.startswith("cdrom:") else ""
        path = path or LOCAL_KS_DEFAULT
        if not path.startswith("/"):
            path = "/" + path
        device = f"LABEL={opts.cdlabel}" if opts.cdlabel else "sr0"
        return f"hd:{device}:{path}"
    if value and not value.startswith(("hd:", "http://", "https://", "file:", "/")):
        opts.errors.append(f"inst.ks={value}: expected cdrom[:/path], hd:DEVICE:/path, http(s)://URL, "
                           "file:/path or no value (OEMDRV)")
        return None
    return value


def _repo_kind(opts: BootOptions, value: str) -> str | None:
    if value == "cdrom" or value.startswith("cdrom:"):
        return "cdrom"
    if value.startswith("hd:"):
        device, sep, _ = value[3:].partition(":")
        if not device or not sep:
            opts.errors.append(f"inst.repo={value}: expected hd:DEVICE:/path")
            return None
        return "hd"
    if value.startswith(("http://", "https://")):
        return "http"
    if value.startswith("file:"):
        return "file"
    if value.startswith("ftp://"):
        return "ftp"
    if value.startswith(("nfs:", "nfs4:", "nfs://")):
        return "nfs"
    opts.errors.append(f"inst.repo={value}: expected cdrom, hd:DEVICE:/path, http(s)://URL, ftp://, file:/// "
                       "or nfs:HOST:/path")
    return None


def _nosave(opts: BootOptions, value: str) -> None:
    for item in filter(None, value.split(",")):
        if item not in NOSAVE_VALUES:
            opts.errors.append(f"inst.nosave={value}: {item!r} is not one of {', '.join(sorted(NOSAVE_VALUES))}")
            continue
        opts.nosave |= NOSAVE_EXPANDS.get(item, {item})
    if not value:
        opts.errors.append("inst.nosave= needs a value: " + ", ".join(sorted(NOSAVE_VALUES)))


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
        return True
    except ValueError:
        return False


def _split_ip(value: str) -> list[str]:
    """Fields of an ip= value; IPv6 addresses are written in [brackets]."""
    fields, cur, depth = [], "", 0
    for ch in value:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == ":" and depth == 0:
            fields.append(cur)
            cur = ""
        else:
            cur += ch
    fields.append(cur)
    return [f.strip("[]") for f in fields]


def _ip(opts: BootOptions, value: str) -> None:
    """dracut forms: ip=dhcp|dhcp6|auto6, ip=IFACE:dhcp|dhcp6|auto6,
    ip=IP::GW:NETMASK:HOST:IFACE:none[:DNS1[:DNS2]]."""
    methods = ("dhcp", "dhcp6", "auto6", "on", "any")
    where = f"ip={value}"
    if value in methods:
        opts.ip.append(IpConfig("dhcp" if value in ("on", "any") else value))
        return
    fields = _split_ip(value)
    if len(fields) == 2 and fields[1] in methods:
        opts.ip.append(IpConfig("dhcp" if fields[1] in ("on", "any") else fields[1], interface=fields[0] or None))
        return
    if len(fields) < 7:
        opts.errors.append(f"{where}: expected dhcp, IFACE:dhcp or IP::GATEWAY:NETMASK:HOSTNAME:IFACE:none")
        return
    ip, _peer, gw, mask, host, iface, method, *dns = fields
    if method not in ("none", "off", "static"):
        opts.errors.append(f"{where}: a static address needs 'none' as its method, not {method!r}")
        return
    problems = []
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        problems.append(f"{ip!r} is not an IP address")
        address = None
    prefix = None
    if mask.isdigit():
        prefix = int(mask)
    elif mask:
        try:
            prefix = ipaddress.ip_network(f"0.0.0.0/{mask}").prefixlen
        except ValueError:
            problems.append(f"{mask!r} is not a netmask")
    if address is not None and prefix is not None and not 0 < prefix <= address.max_prefixlen:
        problems.append(f"prefix /{prefix} is out of range")
    if gw and not _is_ip(gw):
        problems.append(f"gateway {gw!r} is not an IP address")
    bad_dns = [d for d in dns if d and not _is_ip(d)]
    problems += [f"DNS server {d!r} is not an IP address" for d in bad_dns]
    if problems:
        opts.errors.append(f"{where}: " + "; ".join(problems))
        return
    if prefix is None:
        prefix = address.max_prefixlen if address else None
    opts.ip.append(IpConfig("static", interface=iface or None, address=f"{ip}/{prefix}", gateway=gw or None,
                            hostname=host or None, dns=[d for d in dns if d]))


def read_boot_options(path: str | Path = "/proc/cmdline") -> BootOptions:
    try:
        return parse_cmdline(Path(path).read_text())
    except OSError:
        return BootOptions()
