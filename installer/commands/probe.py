"""azl-install probe: show or record the machine (disks, NICs, firmware, memory)."""

from __future__ import annotations

import sys
import textwrap

HELP = "show this machine's disks, NICs and firmware, or record them as JSON"

WIDTH = 80
# Disk table columns: name, size, bus, model, serial, notes (the rest of 80).
DISK_COLS = (12, 10, 6, 18, 14)
PART_FSTYPE_COL = 12


def add_arguments(parser):
    parser.add_argument("--json", action="store_true", help="print the machine as JSON (a machine profile)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the machine as JSON to FILE")
    parser.add_argument("--machine", metavar="PROFILE",
                        help="show a recorded machine profile instead of probing this machine")
    parser.add_argument("--live-label", metavar="LABEL",
                        help="volume label of the live medium (default: the product's)")


def run(args) -> int:
    from installer.model.machine import Machine

    if args.machine:
        try:
            machine = Machine.load(args.machine)
        except OSError as exc:
            print(f"azl-install probe: {args.machine}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        except (ValueError, TypeError, AttributeError) as exc:
            print(f"azl-install probe: {args.machine}: not a machine profile: {exc}", file=sys.stderr)
            return 1
    else:
        try:
            from installer.probe.udev import probe_machine
        except ImportError as exc:
            print(f"azl-install probe: cannot probe: {exc}", file=sys.stderr)
            return 1
        machine = probe_machine(live_label=args.live_label)

    text = machine.to_json()
    if args.output:
        try:
            with open(args.output, "w") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"azl-install probe: {args.output}: {exc.strerror or exc}", file=sys.stderr)
            return 1
        print(f"azl-install probe: wrote {args.output} ({len(machine.disks)} disks, "
              f"{len(machine.nics)} NICs)", file=sys.stderr)
    if args.json:
        sys.stdout.write(text)
    elif not args.output:
        sys.stdout.write(render_table(machine))
    return 0


def _fit(text: str | None, width: int) -> str:
    text = (text or "-").replace("\n", " ")
    if len(text) > width:
        text = text[:width - 1] + "~"
    return text.ljust(width)


def _row(cells: list[tuple[str | None, int]], rest: str | None = None) -> str:
    line = " ".join(_fit(text, width) for text, width in cells)
    if rest is not None:
        line += " " + _fit(rest, max(WIDTH - len(line) - 1, 1))
    return line.rstrip()[:WIDTH]


def disk_notes(disk) -> str:
    notes = []
    if disk.is_live_medium:
        notes.append("LIVE")
    if disk.readonly:
        notes.append("ro")
    if disk.removable:
        notes.append("rm")
    if disk.ptable:
        notes.append(disk.ptable)
    elif disk.fstype:
        notes.append(disk.fstype)
    return ",".join(notes)


def link_speed(mbps: int | None) -> str | None:
    if not mbps:
        return None
    if mbps >= 1000 and mbps % 1000 == 0:
        return f"{mbps // 1000} Gb/s"
    return f"{mbps} Mb/s"


def render_table(machine) -> str:
    from installer.model.machine import human_size
    from installer.probe.disks import partition_type_name

    lines = []
    if machine.description:
        lines.append(f"Machine:  {machine.description}"[:WIDTH])
    firmware = machine.firmware.upper()
    if machine.secure_boot is not None:
        firmware += " (Secure Boot " + ("on)" if machine.secure_boot else "off)")
    head = f"Firmware: {firmware}   Arch: {machine.arch}   Memory: {human_size(machine.memory)}"
    host = f"Host: {machine.hostname}" if machine.hostname else ""
    if host and len(head) + 3 + len(host) <= WIDTH:
        head, host = f"{head}   {host}", ""
    lines.append(head[:WIDTH])
    if host:
        lines.append(host[:WIDTH])
    lines.append("")

    widths = DISK_COLS
    lines.append(_row(list(zip(("DISK", "SIZE", "BUS", "MODEL", "SERIAL"), widths)), "NOTES"))
    if not machine.disks:
        lines.append("(no disks)")
    for d in machine.disks:
        model = " ".join(x for x in (d.vendor, d.model) if x) or None
        lines.append(_row([(d.name, widths[0]), (human_size(d.size), widths[1]), (d.transport, widths[2]),
                           (model, widths[3]), (d.serial, widths[4])], disk_notes(d)))
        for p in d.partitions:
            kind = partition_type_name(p.parttype) or p.parttype
            desc = ", ".join(x for x in (p.label and f"label {p.label}", p.partlabel and f"'{p.partlabel}'", kind) if x)
            lines.append(_row([("  " + p.name, widths[0]), (human_size(p.size), widths[1]),
                               (p.fstype or "-", PART_FSTYPE_COL)], desc or None))
    lines.append("")

    nic_widths = (15, 17, 12, 5, 9)
    lines.append(_row(list(zip(("NIC", "MAC", "DRIVER", "LINK", "SPEED"), nic_widths)), "NOTES"))
    if not machine.nics:
        lines.append("(no network interfaces)")
    for n in machine.nics:
        link = {True: "up", False: "down", None: "?"}[n.carrier]
        speed = link_speed(n.speed_mbps)
        lines.append(_row([(n.name, nic_widths[0]), (n.mac, nic_widths[1]), (n.driver, nic_widths[2]),
                           (link, nic_widths[3]), (speed, nic_widths[4])], "virtual" if n.virtual else ""))
    live = machine.live_medium
    lines.append("")
    targets = ", ".join(d.name for d in machine.target_disks) or "none"
    lines += textwrap.wrap(f"Live medium: {live.name if live else 'none found'}.  Install targets: {targets}",
                           WIDTH, subsequent_indent="  ")
    return "\n".join(line.rstrip() for line in lines) + "\n"
