"""azl-install plan: show the resolved install plan (and the storage actions) without touching anything."""

from __future__ import annotations

import argparse
import json
import sys

from installer.commands.validate import add_common_arguments, load_inputs

HELP = "show what a kickstart would install: the resolved plan, where each value came from, the disk actions"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="kickstart file or image configuration (YAML/JSON)")
    add_common_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")


def storage_preview(plan, machine, product):
    """(preview or None, note or None). Only a storage module that is missing or not there yet is tolerated."""
    if machine is None:
        return None, "storage actions: give --machine PROFILE to see them"
    try:
        from installer.storage.preview import PreviewUnavailable, preview_storage
    except ImportError as exc:
        if (exc.name or "").split(".")[0] in ("blivet", "gi"):
            return None, f"storage actions unavailable: {exc}"
        raise
    try:
        return preview_storage(plan, machine, product), None
    except PreviewUnavailable as exc:
        return None, f"storage actions unavailable: {exc}"


def run(args: argparse.Namespace) -> int:
    inputs = load_inputs(args, "plan")
    if inputs is None:
        return 2
    machine, product = inputs
    from installer.commands.validate import check_file
    from installer.model.diagnostics import PlanError

    plan, diags = check_file(args.file, machine, product)
    preview, note = None, None
    if plan is not None and not any(d.is_error for d in diags):
        try:
            preview, note = storage_preview(plan, machine, product)
        except PlanError as exc:
            diags = diags + list(exc.diagnostics)
    ok = plan is not None and not any(d.is_error for d in diags)

    if args.json:
        out = plan.to_dict() if plan is not None else {}
        out["diagnostics"] = [_diag_dict(d) for d in diags]
        if preview is not None:
            out["storage_preview"] = preview.to_dict()  # "storage" is the plan's own section
        json.dump(out, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return 0 if ok else 1
    for d in diags:
        print(d)
    if not ok:
        return 1
    if diags:
        print()
    sys.stdout.write(summarize(plan, product, machine))
    print()
    if preview is not None:
        print("Storage actions")
        for i, action in enumerate(preview.actions, 1):
            print(f"  {i:3d}. {action}")
        print()
        if preview.reused:
            print("Existing partitions reused (part --onpart)")
            for line in preview.reused:
                print(f"  {line}")
            print()
        print("Resulting devices")
        print(_indent(preview.tree_text()))
        print()
        print("/etc/fstab")
        print(_indent(preview.fstab or "(empty)"))
        if preview.crypttab:
            print()
            print("/etc/crypttab")
            print(_indent(preview.crypttab))
    elif note:
        print(note)
    return 0


def _indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.rstrip("\n").splitlines())


def _diag_dict(d) -> dict:
    o = d.origin
    return {
        "severity": d.severity,
        "message": d.message,
        "file": o.file if o else None,
        "line": o.line if o else None,
        "field": d.field,
        "text": str(d),
    }


# ---------------------------------------------------------------- human summary

def _o(origin) -> str:
    if origin is None:
        return "default"
    if origin.source == "product":
        return "product default"
    return str(origin)


class _Summary:
    def __init__(self):
        self.lines: list[str] = []

    def section(self, title: str) -> None:
        if self.lines:
            self.lines.append("")
        self.lines.append(title)

    def row(self, label: str, value, origin=None, show_origin: bool = True) -> None:
        text = f"  {label:<15} {value}"
        if show_origin:
            text += f"    [{_o(origin)}]"
        self.lines.append(text)


def _size(mib) -> str:
    if mib is None:
        return "default size"
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else f"{mib} MiB"


def _request(r, kind: str) -> str:
    bits = []
    if kind == "logvol":
        bits.append(f"{r.vgname}/{r.name}")
    if kind == "raid":
        bits.append(f"{r.device} {r.level} of {', '.join(r.members)}")
    size = getattr(r, "size_mib", None)
    if getattr(r, "percent", None):
        bits.append(f"{r.percent}% of the VG")
    elif size is not None or kind in ("part", "logvol"):
        bits.append(_size(size))
    if getattr(r, "grow", False):
        maxs = getattr(r, "maxsize_mib", None)
        bits.append("grow" + (f" up to {_size(maxs)}" if maxs else ""))
    if getattr(r, "fstype", None):
        bits.append(r.fstype)
    if getattr(r, "ondisk", None):
        bits.append(f"on {r.ondisk}")
    if getattr(r, "encrypted", False):
        bits.append("encrypted")
    if getattr(r, "label", None):
        bits.append(f"label {r.label}")
    return ", ".join(bits)


def summarize(plan, product, machine=None) -> str:
    s = _Summary()
    s.lines.append(f"{product.name} {product.version} install plan from {plan.source_file or 'the plan'}")
    st = plan.storage
    s.section("Storage")
    if st.selected_disks:
        s.row("disks", ", ".join(st.selected_disks), st.origin_of("selected_disks"))
    elif machine is not None:
        names = [d.name for d in machine.target_disks if d.name not in st.ignored_disks]
        s.row("disks", (", ".join(names) or "none") + " (every disk but the live medium"
              + (" and the ignored ones)" if st.ignored_disks else ")"), None, False)
    else:
        s.row("disks", "every disk but the live medium", st.origin_of("selected_disks"))
    if st.ignored_disks:
        s.row("ignored disks", ", ".join(st.ignored_disks), st.origin_of("ignored_disks"))
    cp = st.clearpart
    clear = {"none": "nothing (install into free space)", "all": "all partitions", "linux": "Linux partitions",
             "list": "partitions " + ", ".join(cp.partitions)}.get(cp.mode, cp.mode)
    if cp.mode != "none" and cp.drives:
        clear += " on " + ", ".join(cp.drives)
    s.row("clear", clear, cp.origin_of("mode"))
    s.row("disk label", cp.disklabel or product.storage.get("disklabel", "gpt"), cp.origin_of("disklabel"))
    if st.zerombr:
        s.row("zerombr", "yes", st.origin_of("zerombr"))
    if st.autopart is not None:
        ap = st.autopart
        bits = [f"automatic, {ap.scheme}", ap.fstype or product.storage.get("fstype", "xfs")]
        if ap.encrypted:
            version = (ap.encryption.luks_version if ap.encryption else None) or "luks2"
            bits.append(f"encrypted ({version.upper()})")
        if not ap.nohome:
            bits.append("separate /home")
        if not ap.noswap:
            bits.append("swap")
        if ap.noboot:
            bits.append("no /boot")
        s.row("layout", ", ".join(bits), ap.origin_of("scheme") or st.origin_of("autopart"))
    if st.reqpart:
        s.row("reqpart", "firmware partitions" + (" and /boot" if st.reqpart_add_boot else ""),
              st.origin_of("reqpart"))
    for p in st.partitions:
        s.row(f"part {p.mountpoint}", _request(p, "part"), p.origin)
    for vg in st.volgroups:
        s.row(f"volgroup {vg.name}", ", ".join(vg.physvols), vg.origin)
    for lv in st.logvols:
        s.row(f"logvol {lv.mountpoint}", _request(lv, "logvol"), lv.origin)
    for r in st.raids:
        s.row(f"raid {r.mountpoint}", _request(r, "raid"), r.origin)
    for b in st.btrfs:
        what = f"subvolume {b.name} of {b.parent}" if b.subvol else f"volume of {', '.join(b.members)}"
        s.row(f"btrfs {b.mountpoint or '-'}", what, b.origin)
    if not (st.autopart or st.custom or st.reqpart):
        s.row("layout", "not given (chosen interactively)" if plan.interactive else "not given", None, False)

    pay = plan.payload
    s.section("Software")
    if pay.liveimg is not None:
        li = pay.liveimg
        s.row("image", li.url + (f" (sha256 {li.checksum[:12]}...)" if li.checksum else ""), li.origin)
    else:
        if pay.source is not None:
            src = pay.source.baseurl or pay.source.mirrorlist or pay.source.metalink
            s.row("source", src, pay.source.origin)
        else:
            s.row("source", f"install medium ({product.iso_repo_name})", None, False)
        pk = pay.packages
        s.row("package sets", ", ".join(pk.sets) or "none", pk.origin_of("sets"))
        if pk.environment or pk.groups:
            s.row("groups", ", ".join(["@^" + pk.environment] if pk.environment else []
                                      + ["@" + g for g in pk.groups]), pk.origin_of("groups"))
        if pk.packages:
            s.row("packages", _list(pk.packages), pk.origin_of("packages"))
        if pk.excluded_packages:
            s.row("excluded", _list(pk.excluded_packages), pk.origin_of("excluded_packages"))
        opts = [n for n in ("nocore", "excludedocs", "ignoremissing", "exclude_weakdeps", "multilib")
                if getattr(pk, n)]
        if opts:
            s.row("options", ", ".join("--" + o.replace("_", "-") for o in opts), pk.origin_of("packages"))
    for repo in pay.repositories:
        s.row(f"repo {repo.name}", repo.baseurl or repo.mirrorlist or repo.metalink or "?", repo.origin)
    s.row("gpg check", "on" if pay.gpgcheck else "OFF", pay.origin_of("gpgcheck"))

    sysc = plan.system
    s.section("System")
    s.row("hostname", sysc.hostname or "(from DHCP or localhost)", sysc.origin_of("hostname"))
    s.row("timezone", sysc.timezone + ("" if sysc.utc else " (hardware clock in local time)"),
          sysc.origin_of("timezone"))
    ntp = sysc.ntp_servers + sysc.ntp_pools
    s.row("time sync", "off" if sysc.nontp else (", ".join(ntp) or "default servers"),
          sysc.origin_of("ntp_servers") or sysc.origin_of("nontp"))
    s.row("language", sysc.lang, sysc.origin_of("lang"))
    s.row("keyboard", sysc.keyboard, sysc.origin_of("keyboard"))

    s.section("Network")
    if not plan.network.devices:
        s.row("devices", "DHCP on the first interface with a link", None, False)
    for dev in plan.network.devices:
        s.row(dev.interface_name or dev.device or "(first link)", _netdev(dev), dev.origin)

    acc = plan.accounts
    s.section("Accounts")
    if acc.root_lock:
        root = "locked"
    elif acc.root_password_hash:
        root = "password set"
    else:
        root = "no password"
    keys = [k for k in acc.ssh_keys if k.username == "root"]
    if keys:
        root += f", {len(keys)} SSH key(s)"
    s.row("root", root, acc.origin_of("root_password_hash") or acc.origin_of("root_lock"))
    for u in acc.users:
        bits = []
        if u.groups:
            bits.append("groups " + ",".join(u.groups))
        bits.append("password set" if u.password_hash and not u.lock else "no password" if not u.lock else "locked")
        n = sum(1 for k in acc.ssh_keys if k.username == u.name)
        if n:
            bits.append(f"{n} SSH key(s)")
        s.row(f"user {u.name}", ", ".join(bits), u.origin)

    sec = plan.security
    s.section("Security")
    s.row("SELinux", sec.selinux, sec.origin_of("selinux"))
    from installer.model.sshd import permit_root_login

    root_login = permit_root_login(plan)
    if root_login != sec.permit_root_login:
        root_login += f" (rootpw --allow-ssh overrides {sec.permit_root_login})"
    s.row("root over SSH", root_login, sec.origin_of("permit_root_login"))
    fw = sec.firewall
    fw_text = "off" if not fw.enabled else ", ".join(fw.services + fw.ports) or "on (defaults)"
    s.row("firewall", fw_text, fw.origin_of("enabled") or fw.origin_of("ports"))
    sv = plan.services
    s.row("enabled", ", ".join(sv.enabled) or "none", sv.origin_of("enabled"))
    if sv.disabled:
        s.row("disabled", ", ".join(sv.disabled), sv.origin_of("disabled"))

    bl = plan.bootloader
    s.section("Boot loader")
    if bl.disabled or bl.location == "none":
        s.row("boot loader", "not installed", bl.origin_of("location"))
    else:
        s.row("location", bl.location + (f" on {bl.boot_drive}" if bl.boot_drive else ""),
              bl.origin_of("location") or bl.origin_of("boot_drive"))
        if bl.append:
            s.row("kernel args", bl.append, bl.origin_of("append"))
        s.row("timeout", f"{bl.timeout} s" if bl.timeout is not None else "default", bl.origin_of("timeout"))
        if bl.password_hash:
            s.row("password", "set", bl.origin_of("password_hash"))

    if plan.scripts:
        s.section("Scripts")
        for sc in plan.scripts:
            lines = len(sc.body.splitlines())
            where = "" if sc.kind != "post" else (" in the target" if sc.chroot else " in the installer")
            s.row(f"%{sc.kind}", f"{sc.interpreter}{where}, {lines} line(s)"
                  + (", fails the install on error" if sc.erroronfail else ""), sc.origin)
    s.section("At the end")
    s.row("then", plan.finish.action + (" (eject the medium)" if plan.finish.eject else ""),
          plan.finish.origin_of("action"))
    from installer.model.secrets import redact_urls

    return redact_urls("\n".join(s.lines) + "\n")  # repository URLs may carry user:password@


def _list(items: list[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _netdev(dev) -> str:
    bits = []
    if dev.bond_slaves:
        bits.append(f"bond of {', '.join(dev.bond_slaves)}" + (f" ({dev.bond_opts})" if dev.bond_opts else ""))
    if dev.vlan_id is not None:
        bits.append(f"VLAN {dev.vlan_id}")
    if dev.noipv4:
        bits.append("no IPv4")
    elif dev.bootproto == "static":
        addr = dev.ip or "?"
        if dev.netmask:
            addr += "/" + dev.netmask
        bits.append(f"static {addr}" + (f" via {dev.gateway}" if dev.gateway else ""))
    else:
        bits.append(dev.bootproto)
    if dev.ipv6 and not dev.noipv6:
        bits.append(f"IPv6 {dev.ipv6}" + (f" via {dev.ipv6gateway}" if dev.ipv6gateway else ""))
    if dev.nameservers:
        bits.append("DNS " + ", ".join(dev.nameservers))
    if dev.mtu:
        bits.append(f"MTU {dev.mtu}")
    if dev.hostname:
        bits.append(f"hostname {dev.hostname}")
    if not dev.onboot:
        bits.append("not started at boot")
    return ", ".join(bits)
