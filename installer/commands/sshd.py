"""azl-install sshd-setup: inst.sshd in the live environment (accounts, keys, sshd, banner)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HELP = "set up and start sshd in the live environment for inst.sshd (used by the live medium)"


def add_arguments(parser):
    parser.add_argument("--cmdline-file", default="/proc/cmdline", help="kernel command line to read")
    parser.add_argument("--root", default="/", help="the live system's root (tests)")
    parser.add_argument("--run-dir", default="/run/azl-install", help="where the console banner goes")
    parser.add_argument("--no-start", action="store_true", help="write the configuration, do not start sshd")


def run(args) -> int:
    from installer.live import sshd
    from installer.live.bootopts import read_boot_options
    from installer.live.ksfetch import KickstartFetchError, fetch_kickstart

    err = sys.stderr
    opts = read_boot_options(args.cmdline_file)
    if not opts.sshd:
        return 0
    accounts: list[sshd.SshAccount] = []
    problems: list[str] = []
    if opts.ks is not None:
        try:
            ks = fetch_kickstart(opts.ks, Path(args.run_dir) / "sshd-ks")
            accounts, problems = sshd.accounts_from_kickstart(ks.read_text(errors="replace"), str(ks))
        except (KickstartFetchError, OSError) as exc:
            problems.append(f"inst.ks: {exc}")
    if opts.sshkey_url:
        try:
            with tempfile.TemporaryDirectory() as tmp:
                keys = fetch_kickstart(opts.sshkey_url, tmp).read_text(errors="replace")
            bad = sshd.merge_keys(accounts, keys)
            problems += [f"inst.sshkey={opts.sshkey_url}: not a public key: {line[:40]}" for line in bad]
        except (KickstartFetchError, OSError) as exc:
            problems.append(f"inst.sshkey={opts.sshkey_url}: {exc}")
    for problem in problems:
        print(f"azl-install: {problem}", file=err)
    try:
        sshd.apply(accounts, args.root)
    except sshd.SshSetupError as exc:
        print(f"azl-install: {exc}", file=err)
        return 1
    if args.no_start:
        return 0
    subprocess.run(["ssh-keygen", "-A"], capture_output=True)
    started = any(subprocess.run(["systemctl", "start", unit], capture_output=True).returncode == 0
                  for unit in ("sshd.service", "ssh.service"))
    if not started:
        print("azl-install: inst.sshd: sshd did not start (systemctl start sshd)", file=err)
        return 1
    text = sshd.banner(accounts, sshd.addresses(), sshd.host_key_fingerprints(args.root))
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "sshd.txt").write_text(text)
    print(text, end="")
    return 0
