"""Checks on an installed system, run over one SSH session.

`gather(port, key)` collects every fact in one SSH call; each `check_*`
function takes those facts and the expected values and returns a list of
problems (empty when fine), so installer scenarios reuse them unchanged.
"""
import json
import re

from . import ssh

SECTIONS = {
    # first: let the boot finish so unit and network states are final
    "system_state": "timeout 120 systemctl is-system-running --wait 2>&1 || true; "
                    "nm-online -s -q -t 60 >/dev/null 2>&1 || true",
    "hostname": "cat /etc/hostname; echo; hostname",
    "firmware": "test -d /sys/firmware/efi && echo uefi || echo bios",
    "cmdline": "cat /proc/cmdline",
    "lsblk": "lsblk -J -b -o NAME,TYPE,SIZE,FSTYPE,MOUNTPOINT,UUID,LABEL,PARTLABEL,PKNAME",
    "findmnt": "findmnt -J -o TARGET,SOURCE,FSTYPE,OPTIONS --real",
    "fstab": "cat /etc/fstab",
    "crypttab": "cat /etc/crypttab 2>/dev/null || true",
    "blkid": "blkid -o export 2>/dev/null || true",
    "selinux": "cat /etc/selinux/config 2>/dev/null || echo ABSENT",
    "nm": "nmcli -t -f NAME,TYPE,DEVICE,STATE connection show 2>&1 || true; "
          "ls /etc/NetworkManager/system-connections/ 2>/dev/null || true",
    "nm_active": "nmcli -t -f DEVICE,STATE device 2>&1 || true",
    "sshd": "sshd -T 2>/dev/null | grep -Ei '^(permitrootlogin|passwordauthentication|"
            "pubkeyauthentication|port) ' || true",
    "passwd": "getent passwd",
    "group": "getent group",
    "shadow": "cut -d: -f1,2 /etc/shadow | sed 's/:\\(..\\).*/:\\1/'",
    "timezone": "readlink /etc/localtime || true; cat /etc/timezone 2>/dev/null || true",
    "ks_stat": "stat -c '%a %U %G' /root/installer-ks.cfg 2>/dev/null || echo ABSENT",
    "ks": "cat /root/installer-ks.cfg 2>/dev/null || true",
    "installer_logs": "ls -1 /var/log/installer/ 2>/dev/null || echo ABSENT",
    "authorized_keys": "cat /root/.ssh/authorized_keys 2>/dev/null || true",
    "failed_units": "systemctl --failed --no-legend --plain 2>&1 || true",
}
MARK = "=== azl-section "


def gather(port: int, key, timeout=300) -> dict[str, str]:
    script = "".join(f"echo '{MARK}{name}'\n{cmd}\n" for name, cmd in SECTIONS.items())
    r = ssh.run(port, key, script, timeout=timeout)
    if r.returncode not in (0,) and MARK not in r.stdout:
        raise RuntimeError(f"fact gathering over SSH failed ({r.returncode}): {r.stderr}")
    facts: dict[str, str] = {}
    name = None
    for line in r.stdout.splitlines():
        if line.startswith(MARK):
            name = line[len(MARK):]
            facts[name] = ""
        elif name:
            facts[name] += line + "\n"
    return facts


def _mount_chains(facts) -> dict[str, dict]:
    """mountpoint -> {"fstype", "stack": [types from disk up], "disk": name}"""
    tree = json.loads(facts["lsblk"])["blockdevices"]
    out = {}

    def walk(node, chain, disk):
        chain = chain + [node["type"]]
        disk = disk or node["name"]
        if node.get("mountpoint"):
            out[node["mountpoint"]] = {"fstype": node.get("fstype"), "stack": chain, "disk": disk,
                                       "name": node["name"], "size": node.get("size")}
        for child in node.get("children", []):
            walk(child, chain, disk)
    for dev in tree:
        walk(dev, [], None)
    return out


def check_hostname(facts, expected: str):
    names = facts["hostname"].split()
    return [] if names and all(n == expected for n in names) else \
        [f"hostname: expected {expected!r}, /etc/hostname + hostname gave {names}"]


def check_firmware(facts, expected: str):
    got = facts["firmware"].strip()
    return [] if got == expected else [f"firmware: booted under {got}, expected {expected}"]


def check_layout(facts, expected: list[dict]):
    """expected: [{"mountpoint": "/", "fstype": "xfs", "stack": ["disk","part","crypt","lvm"],
    "disk": "vda", "min_size": bytes}, ...]; keys other than mountpoint are optional."""
    chains = _mount_chains(facts)
    problems = []
    for exp in expected:
        mp = exp["mountpoint"]
        got = chains.get(mp)
        if got is None:
            problems.append(f"layout: nothing mounted on {mp} (mounted: {sorted(chains)})")
            continue
        for k in ("fstype", "stack", "disk"):
            if k in exp and exp[k] != got[k]:
                problems.append(f"layout: {mp} {k} is {got[k]!r}, expected {exp[k]!r}")
        if "min_size" in exp and int(got["size"]) < exp["min_size"]:
            problems.append(f"layout: {mp} is {got['size']} bytes, expected >= {exp['min_size']}")
    return problems


def check_fstab_by_uuid(facts, expected=True):
    problems = []
    uuids = set(re.findall(r'^UUID=(\S+)$', facts["blkid"], re.M))
    entries = [l.split() for l in facts["fstab"].splitlines() if l.strip() and not l.startswith("#")]
    if not entries:
        return ["fstab: no entries"]
    for e in entries:
        spec = e[0]
        if spec.startswith("UUID="):
            if spec[5:] not in uuids:
                problems.append(f"fstab: {spec} ({e[1]}) matches no filesystem")
        elif expected and not spec.startswith("/dev/mapper/") and e[2] not in ("tmpfs", "proc", "swap"):
            problems.append(f"fstab: {e[1]} is mounted by {spec}, not by UUID")
    return problems


def check_selinux(facts, expected: str):
    text = facts["selinux"]
    if text.strip() == "ABSENT":
        return [f"selinux: /etc/selinux/config missing, expected SELINUX={expected}"]
    m = re.search(r"^SELINUX=(\S+)", text, re.M)
    got = m.group(1) if m else None
    return [] if got == expected else [f"selinux: SELINUX={got}, expected {expected}"]


def check_network(facts, expected: dict):
    """expected: {"connection": name or None (any), "device": "eth0", "state": "activated"}"""
    rows = [l.split(":") for l in facts["nm"].splitlines() if l.count(":") >= 3]
    want = expected.get("connection")
    match = [r for r in rows if want in (None, r[0])
             and expected.get("device", r[2]) == r[2]]
    if not match:
        return [f"network: no NetworkManager connection like {expected}; nmcli: {facts['nm'].strip()!r}"]
    state = expected.get("state", "activated")
    if not any(r[3] == state for r in match):
        return [f"network: connection {match[0][0]} is {match[0][3]}, expected {state}"]
    return []


def check_sshd(facts, expected: dict):
    got = dict(l.split(None, 1) for l in facts["sshd"].splitlines() if " " in l)
    return [f"sshd: {k} is {got.get(k)!r}, expected {v!r}" for k, v in expected.items()
            if got.get(k.lower()) != v]


def check_users(facts, expected: list[dict]):
    """expected: [{"name": "azl", "uid": 1000, "groups": ["wheel"], "shell": "/bin/bash",
    "password": "locked"|"set"}]"""
    pw = {l.split(":")[0]: l.split(":") for l in facts["passwd"].splitlines() if l}
    members: dict[str, set] = {}
    for l in facts["group"].splitlines():
        parts = l.split(":")
        for u in filter(None, parts[3].split(",")) if len(parts) > 3 else ():
            members.setdefault(u, set()).add(parts[0])
    shadow = dict(l.split(":", 1) for l in facts["shadow"].splitlines() if ":" in l)
    problems = []
    for u in expected:
        name = u["name"]
        if name not in pw:
            problems.append(f"users: {name} missing")
            continue
        if "uid" in u and int(pw[name][2]) != u["uid"]:
            problems.append(f"users: {name} uid {pw[name][2]}, expected {u['uid']}")
        if "shell" in u and pw[name][6] != u["shell"]:
            problems.append(f"users: {name} shell {pw[name][6]}, expected {u['shell']}")
        missing = set(u.get("groups", ())) - members.get(name, set())
        if missing:
            problems.append(f"users: {name} not in groups {sorted(missing)}")
        if "password" in u:
            locked = shadow.get(name, "!")[:1] in ("!", "*", "")
            if (u["password"] == "locked") != locked:
                problems.append(f"users: {name} password is {'locked' if locked else 'set'}, "
                                f"expected {u['password']}")
    return problems


def check_timezone(facts, expected: str):
    return [] if expected in facts["timezone"] else \
        [f"timezone: expected {expected}, got {facts['timezone'].strip()!r}"]


def check_saved_kickstart(facts, expected: dict):
    """expected: {"mode": "600", "absent": ["plaintext-secret", ...], "present": [...]}"""
    stat = facts["ks_stat"].strip()
    if stat == "ABSENT":
        return ["kickstart: /root/installer-ks.cfg missing"]
    problems = []
    mode = stat.split()[0]
    if mode != expected.get("mode", "600"):
        problems.append(f"kickstart: /root/installer-ks.cfg mode {mode}, expected {expected.get('mode', '600')}")
    for s in expected.get("absent", ()):
        if s in facts["ks"]:
            problems.append(f"kickstart: saved kickstart contains the secret {s!r}")
    for s in expected.get("present", ()):
        if s not in facts["ks"]:
            problems.append(f"kickstart: saved kickstart lacks {s!r}")
    return problems


def check_installer_logs(facts, expected: list[str]):
    got = facts["installer_logs"].split()
    if got == ["ABSENT"]:
        return ["installer logs: /var/log/installer/ missing"]
    return [f"installer logs: {f} missing from /var/log/installer/ ({got})"
            for f in expected if f not in got]


def check_authorized_key(facts, expected: str):
    return [] if expected.strip() in facts["authorized_keys"] else \
        ["ssh: the expected public key is not in /root/.ssh/authorized_keys"]


def check_cmdline(facts, expected: dict):
    """expected: {"present": ["console=ttyS0"], "absent": [...]}"""
    cl = facts["cmdline"].split()
    problems = [f"cmdline: {p!r} missing from {' '.join(cl)}"
                for p in expected.get("present", ()) if not any(a.startswith(p) for a in cl)]
    problems += [f"cmdline: {p!r} present" for p in expected.get("absent", ())
                 if any(a.startswith(p) for a in cl)]
    return problems


def check_no_failed_units(facts, expected=True):
    failed = facts["failed_units"].strip()
    return [f"systemd: failed units:\n{failed}"] if expected and failed else []


def check_btrfs_subvolumes(facts, expected: list[str]):
    """expected: ["MOUNTPOINT:SUBVOLUME", ...], each mounted from that btrfs subvolume."""
    mounts = {}

    def walk(nodes):
        for n in nodes:
            mounts[n["target"]] = n
            walk(n.get("children", []))
    walk(json.loads(facts["findmnt"]).get("filesystems", []))
    problems = []
    for item in expected:
        mp, sub = item.split(":")
        m = mounts.get(mp)
        if m is None or m["fstype"] != "btrfs":
            problems.append(f"btrfs: {mp} is not a mounted btrfs ({m})")
        elif not re.search(rf"subvol=/?{re.escape(sub)}(,|$)", m["options"]):
            problems.append(f"btrfs: {mp} is mounted with {m['options']}, not subvolume {sub}")
    return problems


def check_kept_partition(facts, expected: dict):
    """expected: {"label", "fstype"}: a partition the plan kept is still there, unmounted."""
    found = []

    def walk(nodes):
        for n in nodes:
            if n.get("type") == "part" and n.get("label") == expected["label"]:
                found.append(n)
            walk(n.get("children", []))
    walk(json.loads(facts["lsblk"])["blockdevices"])
    if len(found) != 1 or found[0].get("fstype") != expected["fstype"]:
        return [f"kept partition: expected one {expected['fstype']} partition labelled "
                f"{expected['label']!r}, found {found}"]
    return []


CHECKS = {
    "btrfs_subvolumes": check_btrfs_subvolumes, "kept_partition": check_kept_partition,
    "hostname": check_hostname, "firmware": check_firmware, "layout": check_layout,
    "fstab_by_uuid": check_fstab_by_uuid, "selinux": check_selinux, "network": check_network,
    "sshd": check_sshd, "users": check_users, "timezone": check_timezone,
    "saved_kickstart": check_saved_kickstart, "installer_logs": check_installer_logs,
    "authorized_key": check_authorized_key, "cmdline": check_cmdline,
    "no_failed_units": check_no_failed_units,
}


def run_checks(facts: dict, expected: dict) -> list[str]:
    unknown = set(expected) - set(CHECKS)
    if unknown:
        raise KeyError(f"unknown expected facts: {sorted(unknown)} (known: {sorted(CHECKS)})")
    problems = []
    for name, want in expected.items():
        problems += CHECKS[name](facts, want)
    return problems
