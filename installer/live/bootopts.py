"""Installer options from the kernel command line (inst.ks=, inst.repo=, inst.cmdline, ...)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class BootOptions:
    ks: str | None = None  # inst.ks= value; "" means inst.ks given without a value (OEMDRV / default)
    repo: str | None = None  # inst.repo= / inst.stage2 source
    cmdline: bool = False  # inst.cmdline: never ask, fail on anything missing
    text: bool = False
    dry_run: bool = False  # inst.dryrun (for testing the live medium)
    serial_console: str | None = None  # console=ttyS0,115200 -> "ttyS0"
    noverifyssl: bool = False
    ks_sendmac: bool = False  # inst.ks.sendmac: X-RHN-Provisioning-MAC-N headers on inst.ks=http(s)://
    ks_sendsn: bool = False  # inst.ks.sendsn: X-System-Serial-Number header
    ks_cacert: str | None = None  # inst.ks.cacert=FILE: the CA bundle that verifies https kickstart/report URLs
    report: str | None = None  # inst.report=URL: engine events are POSTed there (docs/fleet.md)
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
    for word in words:
        key, sep, value = word.partition("=")
        if key.startswith("inst.") or key in ("ks", "repo", "ks.sendmac", "ks.sendsn"):
            name = key[5:] if key.startswith("inst.") else key
            if name == "ks":
                opts.ks = value if sep else ""
            elif name in ("repo", "stage2") and value:
                opts.repo = opts.repo or value
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
            else:
                opts.extra[name] = value
        elif key == "console" and value.startswith("ttyS"):
            opts.serial_console = value.split(",", 1)[0]
    return opts


def read_boot_options(path: str | Path = "/proc/cmdline") -> BootOptions:
    try:
        return parse_cmdline(Path(path).read_text())
    except OSError:
        return BootOptions()
