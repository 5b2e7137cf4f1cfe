"""Will the packages fit? The installed size of the package set (a lower bound read from the
repository metadata by installer.payload.precheck) against the most the filesystem holding /usr
can get from the planned layout. Refuses only when even that upper bound is too small."""

from __future__ import annotations

from installer.model.diagnostics import Diagnostic
from installer.model.machine import Machine
from installer.model.plan import InstallPlan, Origin
from installer.model.product import Product
from installer.validate.common import MIB, Report, gib, origin
from installer.validate.storage import _DiskCheck

NO_PACKAGES = ("/home", "swap", "none")  # packages never install there


def _is_mount(mp: str | None) -> bool:
    return bool(mp) and (mp.startswith("/") or mp == "swap")


def capacities(plan: InstallPlan, machine: Machine, product: Product) -> list[tuple[str, float, Origin | None]]:
    """(mount point, most MiB it can get, line) for each filesystem of the layout; [] when unknown."""
    silent = Report(plan)
    chk = _DiskCheck(plan, machine, product, silent)
    chk.run()
    if chk.bad_specs or not chk.targets or any(d.is_error for d in silent.diagnostics):
        return []
    st = plan.storage
    free = sum(chk.available(d) for d in chk.targets) / MIB
    if st.autopart is not None:
        ap, sp = st.autopart, product.storage
        need = chk._autopart_need_mib()
        root_min = sp.get("root_min_mib", 2048)
        grow = free - (need - root_min)
        cap = grow if ap.scheme == "btrfs" else min(sp.get("root_max_mib", 15360), grow)
        o = origin(ap, "scheme", "fstype", "encrypted", "nohome", "noswap")
        out = [("/", cap, o)]
        if not ap.noboot:
            out.append(("/boot", sp.get("boot_size_mib", 1024), o))
        if machine.firmware == "uefi":
            out.append(("/boot/efi", sp.get("esp_size_mib", 600), o))
        return out
    if st.raids or st.btrfs:
        return []  # shared volumes: their sizes are not worked out here
    mins = {id(p): chk._request_mib(p.mountpoint, p.size_mib, p.recommended, p.fstype) for p in st.partitions}
    all_parts = sum(mins.values())
    non_pv = sum(v for p in st.partitions if not p.mountpoint.startswith("pv.") for v in [mins[id(p)]])
    out = []
    for p in st.partitions:
        if not _is_mount(p.mountpoint):
            continue
        cap = float(mins[id(p)])
        if p.grow:
            cap = free - (all_parts - mins[id(p)])
            if p.maxsize_mib:
                cap = min(cap, p.maxsize_mib)
        out.append((p.mountpoint, cap, p.origin))
    for lv in st.logvols:
        if not _is_mount(lv.mountpoint):
            continue
        others = sum(o.size_mib or 0 for o in st.logvols if o is not lv and o.vgname == lv.vgname)
        cap = float(lv.size_mib or 0)
        if lv.grow or lv.percent or not lv.size_mib:
            cap = free - non_pv - others
            if lv.maxsize_mib:
                cap = min(cap, lv.maxsize_mib)
        out.append((lv.mountpoint, cap, lv.origin))
    return out


def check_payload_space(plan: InstallPlan, machine: Machine | None, product: Product,
                        need_bytes: int | None) -> list[Diagnostic]:
    """An error naming the mount point when the package set cannot fit on the filesystem holding /usr."""
    if machine is None or not need_bytes:
        return []
    caps = capacities(plan, machine, product)
    if not caps:
        return []
    usr = next((c for c in caps if c[0] == "/usr"), None) or next((c for c in caps if c[0] == "/"), None)
    if usr is None:
        return []
    mountpoint, cap_mib, o = usr
    # Files of a package may land on other filesystems (/boot, /var, ...): at most what those hold.
    elsewhere = sum(max(c[1], 0) for c in caps if c is not usr and c[0] not in NO_PACKAGES
                    and not (mountpoint == "/usr" and c[0] == "/"))
    need = need_bytes - elsewhere * MIB
    if need <= max(cap_mib, 0) * MIB:
        return []
    held = "/usr" if mountpoint == "/usr" else "/ (which holds /usr)"
    return [Diagnostic(
        f"the packages do not fit: {held} can get at most {gib(max(cap_mib, 0) * MIB)}, and the selected "
        f"packages alone take at least {gib(need_bytes)} once installed (repository metadata, dependencies "
        f"not counted){'' if not elsewhere else f'; at most {gib(elsewhere * MIB)} of it can go to other filesystems'}"
        f": make {mountpoint} larger, use a larger disk or select fewer packages",
        o, "error", "storage")]
