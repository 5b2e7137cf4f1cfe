#!/usr/bin/env python3
"""Record this machine as a profile for tests/profiles/, or rewrite profiles
in canonical form after installer/model/machine.py gained a field.

    tools/record_profile.py OUT.json [--description TEXT] [--anonymize]
    tools/record_profile.py --rewrite tests/profiles/*.json

--anonymize replaces serials, WWNs, MAC addresses, filesystem and partition
table UUIDs and the hostname with stable made-up values (and the by-id links
that embed them), so a profile from a real machine can be shared.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from installer.model.machine import Machine  # noqa: E402


def _fake(kind: str, value: str, length: int) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()[:length]


def _reshape(value: str, digest: str) -> str:
    """Same shape as value (dashes, length, case), hex digits replaced."""
    it = iter(digest * 4)
    return "".join((next(it).upper() if c.isupper() else next(it)) if c in "0123456789abcdefABCDEF" else c
                   for c in value)


def anonymize(m: Machine) -> Machine:
    swaps: dict[str, str] = {}

    def swap(kind: str, value: str | None, make) -> str | None:
        if not value:
            return value
        swaps.setdefault(value, make(_fake(kind, value, 32)))
        return swaps[value]

    for d in m.disks:
        d.serial = swap("serial", d.serial, lambda h: "SN" + h[:12].upper())
        d.wwn = swap("wwn", d.wwn, lambda h, w=d.wwn: (w.split(".", 1)[0] + "." + h[:16]) if "." in w else "0x5" + h[:15])
        d.ptable_uuid = swap("uuid", d.ptable_uuid, lambda h, v=d.ptable_uuid: _reshape(v, h))
        for p in d.partitions:
            p.uuid = swap("uuid", p.uuid, lambda h, v=p.uuid: _reshape(v, h))
    for d in m.disks:
        for attr in ("by_id", "by_path"):
            link = getattr(d, attr)
            if link:
                for old, new in swaps.items():
                    link = link.replace(old, new)
                    link = link.replace(old.replace(" ", "_"), new)
                setattr(d, attr, link)
    for n in m.nics:
        if n.mac:
            h = _fake("mac", n.mac, 10)
            n.mac = "02:" + ":".join(h[i:i + 2] for i in range(0, 10, 2))  # locally administered
    if m.hostname:
        m.hostname = "recorded-host"
    return m


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", metavar="FILE")
    parser.add_argument("--rewrite", action="store_true", help="rewrite existing profiles in canonical form")
    parser.add_argument("--description", help="the profile's description (default: DMI vendor and product)")
    parser.add_argument("--anonymize", action="store_true", help="replace serials, WWNs, MACs, UUIDs, hostname")
    args = parser.parse_args(argv)
    if args.rewrite:
        for f in args.files:
            m = Machine.load(f)
            Path(f).write_text(m.to_json())
            print(f"rewrote {f}")
        return 0
    if len(args.files) != 1:
        parser.error("give one output file")
    from installer.probe.udev import probe_machine
    m = probe_machine()
    if args.anonymize:
        m = anonymize(m)
    if args.description:
        m.description = args.description
    Path(args.files[0]).write_text(m.to_json())
    print(f"recorded {len(m.disks)} disks, {len(m.nics)} NICs to {args.files[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
