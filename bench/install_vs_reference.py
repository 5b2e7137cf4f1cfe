#!/usr/bin/env python3
"""Whole unattended install: azl-install against the VM harness's reference script.

Both install the same test OS image (liveimg) onto the same kind of blank disk with the
same layout (ESP 600 MiB, /boot 1 GiB ext4, / ext4) in ONE live boot of the same VM, so
firmware, CPU and cache conditions match. The reference script runs in its parity mode: it
reaches the end state the installer reaches with KICKSTART (fstab, network keyfile, root lock,
SSH policy and fresh host keys, SELinux, time zone, locale, services, firewalld zone, GRUB
defaults, both EFI loaders and the boot entry, the initramfs). After the boot both disks are
read on the host (bench/end_state.py) and compared: the ratio is printed only when nothing
differs; otherwise the differences are listed and the exit status is 1. Each install prints
azl-phase marks; this prints the per-phase split and the ratio installer / reference
(target <= 1.0 for the whole install, <= 1.2 for each phase).

    sudo .venv/bin/python bench/install_vs_reference.py [--firmware uefi|bios] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "vm"))

import end_state  # noqa: E402
from harness import live, payload, scenario, ssh, timings  # noqa: E402
from harness.scenario import Scenario, TargetDisk  # noqa: E402

TARGET = 1.0
PHASE_TARGET = 1.2
HOSTNAME = "bench"
PHASES = ("storage", "payload", "config", "bootloader", "unmount")

KICKSTART = """cmdline
timezone UTC --utc
network --device=link --bootproto=dhcp --hostname={hostname}
rootpw --lock
sshkey --username=root "{{pubkey}}"
selinux --permissive
liveimg --url=file:///run/azl/payload/testos.tar.zst
ignoredisk --only-use={serial}
zerombr
clearpart --all --initlabel
{esp}part /boot --fstype=ext4 --size=1024
part / --fstype=ext4 --size=2048 --grow
bootloader --append="console=ttyS0,115200 norandmaps" --timeout=0
poweroff
"""


def phases(output: str) -> dict[str, float]:
    marks = []
    for line in output.splitlines():
        if line.startswith("azl-phase: "):
            _, name, at = line.split()
            marks.append((name, float(at)))
    out: dict[str, float] = {}
    for (name, at), (_, nxt) in zip(marks, marks[1:]):
        out[name] = out.get(name, 0.0) + (nxt - at)
    return out


def scenarios(firmware: str, round_no: int) -> tuple[Scenario, Scenario]:
    bus = "virtio" if firmware == "uefi" else "sata"
    ref = Scenario(name=f"bench-ref-{firmware}-{round_no}", firmware=firmware, install="reference",
                   disks=[TargetDisk("os", "12G", bus, True, f"bench-ref-{round_no}")],
                   expected={"hostname": HOSTNAME}, broken="parity")  # the reference script's mode argument
    serial = f"bench-inst-{round_no}"
    esp = "part /boot/efi --fstype=efi --size=600\n" if firmware == "uefi" else "part biosboot --fstype=biosboot --size=1\n"
    inst = Scenario(name=f"bench-inst-{firmware}-{round_no}", firmware=firmware, install="installer",
                    disks=[TargetDisk("os", "12G", bus, True, serial)], ks_delivery="file",
                    kickstart=KICKSTART.format(serial=serial, esp=esp, hostname=HOSTNAME), expected={})
    return ref, inst


def _disk(sc: Scenario) -> Path:
    return next(d.path for d in sc.results["disks"] if d.selected)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--firmware", choices=("uefi", "bios"), default="uefi")
    # Two rounds at least: update-initramfs gets slower with every run in one boot (47.7, 76.9, 89.1,
    # 98.4 s for four identical runs, whichever chroot set-up), so the install that runs second in a
    # boot pays; round 1 swaps the order and the mean cancels it.
    ap.add_argument("--rounds", type=int, default=2, help="install pairs, one boot each (alternating order)")
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args()

    env = live.build_live()
    image = payload.build_payload()
    key = ssh.harness_key()
    pub = key.with_suffix(".pub").read_text()
    timer = timings.Timer()
    totals = {"reference": {}, "installer": {}}
    all_diffs: list[str] = []
    for n in range(args.rounds):
        ref, inst = scenarios(args.firmware, n)
        order = [ref, inst] if n % 2 == 0 else [inst, ref]  # neither always gets the warm cache
        scenario.install(env, image, order, pub, timer, boot_name=f"bench-{args.firmware}-{n}")
        for who, sc in (("reference", ref), ("installer", inst)):
            if sc.results.get("rc") != 0:
                print(f"{sc.name} failed (exit {sc.results.get('rc')}):\n"
                      + "\n".join(sc.results.get("output", "").splitlines()[-30:]), file=sys.stderr)
                return 1
            for phase, secs in phases(sc.results["output"]).items():
                totals[who][phase] = totals[who].get(phase, 0.0) + secs / args.rounds
        diffs, record = end_state.differences(_disk(ref), _disk(inst))
        print(f"round {n}: end states compared ({len(diffs)} difference(s); the installer's own record, "
              f"not compared: {', '.join('/' + p for p in record[:4])}{' ...' if len(record) > 4 else ''})")
        all_diffs += [f"round {n}: {d}" for d in diffs]
    timer.save()

    ref_total = sum(totals["reference"].values())
    inst_total = sum(totals["installer"].values())
    print(f"Whole unattended install, {args.firmware}, test OS liveimg, mean of {args.rounds} round(s)")
    print(f"{'phase':<12}{'reference s':>13}{'installer s':>13}{'ratio':>8}")
    over = []
    for phase in PHASES:
        r, i = totals["reference"].get(phase, 0.0), totals["installer"].get(phase, 0.0)
        ratio = f"{i / r:.2f}" if r > 0.05 else "-"
        if r > 0.05 and i / r > PHASE_TARGET:
            over.append(phase)
        print(f"{phase:<12}{r:>13.1f}{i:>13.1f}{ratio:>8}")
    ratio = inst_total / ref_total if ref_total else float("inf")
    if all_diffs:
        print(f"{'total':<12}{ref_total:>13.1f}{inst_total:>13.1f}{'-':>8}")
        print(f"NO RATIO: the two installs did not reach the same end state ({len(all_diffs)} difference(s)):")
        for line in all_diffs:
            print("  " + line)
        return 1
    print(f"{'total':<12}{ref_total:>13.1f}{inst_total:>13.1f}{ratio:>8.2f}")
    print("end states: identical (bench/end_state.py)")
    print(f"ratio installer/reference = {ratio:.2f} (target <= {TARGET:.2f}): "
          + ("OK" if ratio <= TARGET else "OVER TARGET")
          + (f"; phases over {PHASE_TARGET:.1f}x: {', '.join(over)}" if over else f"; every phase <= {PHASE_TARGET:.1f}x"))
    if args.json:
        Path(args.json).write_text(json.dumps({"firmware": args.firmware, "rounds": args.rounds,
                                               "phases": totals, "ratio": ratio}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
