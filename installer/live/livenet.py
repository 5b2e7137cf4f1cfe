"""ip= and nameserver= for the live environment's network, as NetworkManager keyfiles in
/run/NetworkManager/system-connections (lost at reboot, never copied to the target). dracut
already applies ip= when the initramfs brings the network up; these keyfiles cover the live
medium booted without it, and are skipped for an interface that already has an ip= keyfile."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from installer.live.bootopts import BootOptions, IpConfig

RUN_DIR = "/run/NetworkManager/system-connections"


def keyfile(index: int, cfg: IpConfig, nameservers: list[str]) -> tuple[str, str]:
    name = f"azl-ip-{cfg.interface or 'any'}-{index}"
    lines = ["[connection]", f"id={name}", "type=ethernet", "autoconnect=true", "autoconnect-priority=10"]
    if cfg.interface:
        lines.append(f"interface-name={cfg.interface}")
    lines += ["", "[ethernet]", ""]
    dns = [d for d in [*cfg.dns, *nameservers]]
    v4 = [d for d in dns if ":" not in d]
    v6 = [d for d in dns if ":" in d]
    if cfg.method == "static":
        is6 = ":" in (cfg.address or "")
        static = ["method=manual", f"address1={cfg.address}" + (f",{cfg.gateway}" if cfg.gateway else "")]
        if is6:
            lines += ["[ipv4]", "method=disabled", "", "[ipv6]", *static] + ([f"dns={';'.join(v6)};"] if v6 else [])
        else:
            lines += ["[ipv4]", *static] + ([f"dns={';'.join(v4)};"] if v4 else []) + ["", "[ipv6]", "method=auto"]
    elif cfg.method in ("dhcp6", "auto6"):
        lines += ["[ipv4]", "method=disabled", "", "[ipv6]", f"method={'dhcp' if cfg.method == 'dhcp6' else 'auto'}"]
    else:
        lines += ["[ipv4]", "method=auto"] + ([f"dns={';'.join(v4)};"] if v4 else []) + ["", "[ipv6]", "method=auto"]
    return name, "\n".join(lines) + "\n"


def keyfiles(opts: BootOptions) -> dict[str, str]:
    return dict(keyfile(i, cfg, opts.nameservers) for i, cfg in enumerate(opts.ip))


def apply(opts: BootOptions, run_dir: str | Path = RUN_DIR, reload: bool = True) -> list[str]:
    """Writes the keyfiles (mode 0600) and asks NetworkManager to reload; returns their names."""
    files = keyfiles(opts)
    if not files:
        return []
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        path = run_dir / f"{name}.nmconnection"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    if reload:
        subprocess.run(["nmcli", "connection", "reload"], capture_output=True)
    return sorted(files)
