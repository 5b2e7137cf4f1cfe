"""Which areas of the plan are complete, required or optional: the hub's model.

Pure (no UI toolkit): the TUI hub renders these, and tests check them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from installer.model.diagnostics import Diagnostic
from installer.model.machine import Machine, human_size
from installer.model.plan import InstallPlan
from installer.model.sshd import permit_root_login

DONE, MISSING, OPTIONAL = "done", "missing", "optional"
MARKS = {DONE: "[x]", MISSING: "[!]", OPTIONAL: "[ ]"}

# (key, title, required)
AREAS: tuple[tuple[str, str, bool], ...] = (
    ("language", "Language and keyboard", False),
    ("time", "Time zone and NTP", False),
    ("destination", "Installation destination", True),
    ("software", "Software selection", False),
    ("network", "Network and hostname", False),
    ("users", "Root account and users", True),
    ("security", "Security", False),
)

# Which area a diagnostic's plan field belongs to (longest prefix wins).
FIELD_AREAS = {
    "storage": "destination",
    "bootloader": "destination",
    "payload": "software",
    "system.timezone": "time",
    "system.ntp_servers": "time",
    "system.ntp_pools": "time",
    "system.nontp": "time",
    "system.utc": "time",
    "system.lang": "language",
    "system.lang_support": "language",
    "system.keyboard": "language",
    "system.hostname": "network",
    "network": "network",
    "accounts": "users",
    "security": "security",
    "services": "security",
}


@dataclass(frozen=True)
class AreaStatus:
    key: str
    title: str
    state: str  # done | missing | optional
    summary: str
    required: bool
    problems: tuple[str, ...] = ()

    @property
    def mark(self) -> str:
        return MARKS[self.state]


def area_of_field(field: str | None) -> str | None:
    if not field:
        return None
    best = None
    for prefix, area in FIELD_AREAS.items():
        if field == prefix or field.startswith(prefix + ".") or field.startswith(prefix + "["):
            if best is None or len(prefix) > len(best[0]):
                best = (prefix, area)
    return best[1] if best else None


def hub_status(plan: InstallPlan, machine: Machine | None, diagnostics: list[Diagnostic] = ()) -> list[AreaStatus]:
    problems: dict[str, list[str]] = {}
    for d in diagnostics:
        if not d.is_error:
            continue
        area = area_of_field(d.field)
        if area:
            problems.setdefault(area, []).append(d.message)
    out = []
    for key, title, required in AREAS:
        state, summary = _AREA_FUNCS[key](plan, machine)
        found = tuple(problems.get(key, ()))
        if found and state != MISSING:
            state, summary = MISSING, found[0]
        out.append(AreaStatus(key, title, state, summary, required or bool(found), found))
    return out


def missing(statuses: list[AreaStatus]) -> list[AreaStatus]:
    return [s for s in statuses if s.state == MISSING]


def ready(statuses: list[AreaStatus]) -> bool:
    return not missing(statuses)


# ---------------------------------------------------------------- per area

def _language(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    return DONE, f"{plan.system.lang}, keyboard {plan.system.keyboard}"


def _time(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    s = plan.system
    if s.nontp:
        ntp = "NTP off"
    elif s.ntp_servers or s.ntp_pools:
        ntp = "NTP " + ", ".join(s.ntp_servers + s.ntp_pools)
    else:
        ntp = "NTP default pool"
    return DONE, f"{s.timezone}, {ntp}"


def storage_complete(plan: InstallPlan) -> bool:
    st = plan.storage
    has_layout = st.autopart is not None or st.custom
    has_disks = bool(st.selected_disks) or bool(st.clearpart.drives) or _requests_name_disks(plan)
    return has_layout and has_disks


def _requests_name_disks(plan: InstallPlan) -> bool:
    return any(p.ondisk for p in plan.storage.partitions)


def _destination(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    st = plan.storage
    if not st.selected_disks and not st.clearpart.drives and not _requests_name_disks(plan):
        return MISSING, "No disk selected"
    if st.autopart is None and not st.custom:
        return MISSING, "No partitioning chosen"
    disks = st.selected_disks or st.clearpart.drives
    sizes = []
    for name in disks:
        d = machine.disk(name) if machine else None
        sizes.append(f"{name} {human_size(d.size)}" if d else name)
    if st.autopart is not None:
        layout = f"automatic {st.autopart.scheme}"
        if st.autopart.encrypted:
            layout += ", encrypted"
    else:
        layout = "custom layout"
    erase = "erase all" if st.clearpart.mode == "all" else ("free space" if st.clearpart.mode == "none" else f"clear {st.clearpart.mode}")
    return DONE, f"{', '.join(sizes) or 'disks from the kickstart'}; {layout}; {erase}"


def _software(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    pk = plan.payload.packages
    if plan.payload.liveimg is not None:
        return DONE, "Live image " + plan.payload.liveimg.url
    sets = ", ".join(pk.sets) or (f"@^{pk.environment}" if pk.environment else "core only")
    extra = f" + {len(pk.packages)} packages" if pk.packages else ""
    return DONE, f"Set: {sets}{extra}"


def _network(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    host = plan.system.hostname
    devs = plan.network.devices
    if devs:
        parts = []
        for d in devs[:2]:
            how = d.bootproto if not d.noipv4 else "no IPv4"
            if d.bootproto == "static" and d.ip:
                how = f"static {d.ip}"
            parts.append(f"{d.device or 'first NIC'} {how}")
        nets = "; ".join(parts) + (" ..." if len(devs) > 2 else "")
    else:
        nets = "DHCP on wired NICs"
    if host:
        return DONE, f"{host}; {nets}"
    return OPTIONAL, f"No hostname; {nets}"


def admin_users(plan: InstallPlan) -> list:
    return [u for u in plan.accounts.users if "wheel" in u.groups]


def _users(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    acc = plan.accounts
    key_owners = {k.username for k in acc.ssh_keys}
    root_ok = (not acc.root_lock) and (bool(acc.root_password_hash) or "root" in key_owners)
    admins = [u for u in admin_users(plan) if (u.password_hash and not u.lock) or u.name in key_owners]
    if not root_ok and not admins:
        if acc.root_lock and not admin_users(plan):
            return MISSING, "Root is locked: create an administrator"
        return MISSING, "Set a root password or create an administrator"
    parts = []
    parts.append("root locked" if acc.root_lock else ("root password set" if acc.root_password_hash else "root by SSH key"))
    if acc.users:
        parts.append("users: " + ", ".join(u.name for u in acc.users))
    if acc.ssh_keys:
        parts.append(f"{len(acc.ssh_keys)} SSH key(s)")
    return DONE, "; ".join(parts)


def _security(plan: InstallPlan, machine: Machine | None) -> tuple[str, str]:
    s = plan.security
    sshd = "sshd on" if s.sshd_enabled else "sshd off"
    return DONE, f"SELinux {s.selinux}; {sshd}; root login {permit_root_login(plan)}"


_AREA_FUNCS = {
    "language": _language,
    "time": _time,
    "destination": _destination,
    "software": _software,
    "network": _network,
    "users": _users,
    "security": _security,
}
