"""System checks: time zone, locale, keyboard, NTP, SELinux, firewall, services, scripts, boot loader."""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from pathlib import Path

from installer.model.plan import InstallPlan
from installer.model.secrets import is_grub_hash
from installer.model.syntax import kernel_arg_problems, normalized_path_problem, shown
from installer.validate.common import Report, origin, suggest
from installer.validate.network import hostname_problem

LOCALE = re.compile(r"^([a-z]{2,3}(_[A-Z]{2})?(\.[A-Za-z0-9-]+)?(@[A-Za-z0-9]+)?|C|C\.[Uu][Tt][Ff]-?8|POSIX)$")
TZ_NAME = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")
NOT_ZONES = frozenset({"posixrules", "localtime", "Factory", "posix", "right", "leapseconds", "leap-seconds"})
# vconsole keymaps and X layouts common enough to be right when they are not found on this system.
KEYMAPS = frozenset("""
us us-acentos uk gb de de-latin1 de-latin1-nodeadkeys de-nodeadkeys fr fr-latin1 fr-latin9 fr-bepo
es es-cp850 it pt-latin1 br-abnt2 dk no sv-latin1 se fi fi-latin1 is-latin1 nl be-latin1 ch de_CH fr_CH
pl pl2 cz cz-qwerty sk-qwerty sk-qwertz hu ro ru ru1 ua trq tr jp106 jp kr croat slovene sr-latin
sg sg-latin1 la-latin1 dvorak us-dvorak colemak gr il ee lt lv bg_bds-utf8 mk-utf et ca cf ie latam
""".split())
PORT = re.compile(r"^(\d{1,5}(-\d{1,5})?|[a-z][a-z0-9-]*):(tcp|udp|sctp|dccp)$")
SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.@\\-]*$")
SELINUX_MODES = ("enforcing", "permissive", "disabled")
# What vconsole.conf and the keymap loader accept as a name (the file name of a keymap, without .map.gz)
KEYMAP_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")
X_LAYOUT_NAME = re.compile(r"^[A-Za-z0-9_.+-]+( ?\([A-Za-z0-9_.+-]+\))?$")
ROOT_LOGIN = ("yes", "no", "prohibit-password", "without-password", "forced-commands-only")
FINISH = ("reboot", "poweroff", "halt", "shutdown", "none")
SCRIPT_KINDS = ("pre", "pre-install", "post", "onerror", "traceback")


@functools.lru_cache(maxsize=4096)
def timezone_exists(name: str) -> bool | None:
    """True/False when known, None when this system has no time zone database to ask."""
    if not TZ_NAME.match(name) or name in NOT_ZONES or ".." in name:
        return False
    found_db = False
    for base in _tz_roots():
        found_db = True
        path = base / name
        try:
            with open(path, "rb") as fh:
                if fh.read(4) == b"TZif":
                    return True
        except OSError:
            continue
    return False if found_db else None


@functools.lru_cache(maxsize=1)
def _tz_roots() -> tuple[Path, ...]:
    import zoneinfo

    roots = [Path(p) for p in zoneinfo.TZPATH if os.path.isfile(os.path.join(p, "UTC"))]
    try:
        from importlib.resources import files

        pkg = files("tzdata").joinpath("zoneinfo")
        if pkg.is_dir():
            roots.append(Path(str(pkg)))
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    return tuple(roots)


@functools.lru_cache(maxsize=1)
def _timezone_names() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


@functools.lru_cache(maxsize=1)
def known_keymaps() -> frozenset[str]:
    names = set(KEYMAPS)
    for root in ("/usr/lib/kbd/keymaps", "/usr/share/kbd/keymaps", "/usr/share/keymaps"):
        for dirpath, _dirs, files in os.walk(root):
            for f in files:
                names.add(f.split(".", 1)[0])
    lst = Path("/usr/share/X11/xkb/rules/base.lst")
    try:
        section = ""
        for line in lst.read_text(errors="replace").splitlines():
            if line.startswith("!"):
                section = line[1:].strip()
            elif section == "layout" and line.strip():
                names.add(line.split()[0])
    except OSError:
        pass
    return frozenset(names)


def check_system(plan: InstallPlan, report: Report) -> None:
    sysc = plan.system
    report.area = "system.timezone"
    tz = sysc.timezone
    tz_o = origin(sysc, "timezone")
    if tz:
        exists = timezone_exists(tz)
        if exists is False:
            report.error(f"timezone {tz!r} does not exist{suggest(tz, _timezone_names())}", tz_o)
    for server in [*sysc.ntp_servers, *sysc.ntp_pools]:
        _check_host(server, "NTP server", origin(sysc, "ntp_servers", "ntp_pools", "timezone"), report)
    if sysc.nontp and (sysc.ntp_servers or sysc.ntp_pools):
        report.warning("--nontp disables time synchronisation; the NTP servers given are not used",
                       origin(sysc, "nontp", "timezone"))
    report.area = "system.lang"
    lang_o = origin(sysc, "lang", "lang_support")
    for loc in [sysc.lang, *sysc.lang_support]:
        if loc and not LOCALE.match(loc):
            report.error(f"lang {loc!r} is not a locale name (e.g. en_US.UTF-8)", lang_o)
    report.area = "system.keyboard"
    kb_o = origin(sysc, "keyboard", "x_layouts")
    keymaps = known_keymaps()
    for km, pattern in [(sysc.keyboard, KEYMAP_NAME), *((x, X_LAYOUT_NAME) for x in sysc.x_layouts)]:
        if km and not pattern.match(km):
            bad = next((c for c in km if not (c.isascii() and (c.isalnum() or c in "_.+-() "))), None)
            what = f"contains {bad!r}" if bad else "is not a layout name"
            report.error(f"keyboard {km!r} {what}: keymap names are letters, digits, '-', '_', '.' "
                         "and '+'", kb_o)
        elif km and km.split("(", 1)[0].strip() not in keymaps:
            report.warning(f"keyboard layout {km!r} is not known{suggest(km, keymaps)}", kb_o)
    report.area = "security"
    _check_security(plan, report)
    report.area = "services"
    _check_services(plan, report)
    report.area = "scripts"
    _check_scripts(plan, report)
    report.area = "bootloader"
    _check_bootloader(plan, report)
    report.area = "finish"
    fin = plan.finish
    if fin.action not in FINISH:
        report.error(f"finish action {fin.action!r} is not one of {', '.join(FINISH)}", origin(fin, "action"))


def _check_host(value: str, what: str, o, report: Report) -> None:
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    problem = hostname_problem(value)
    if problem:
        report.error(f"{what} {value!r} {problem}", o)


def _check_security(plan: InstallPlan, report: Report) -> None:
    sec = plan.security
    if sec.selinux not in SELINUX_MODES:
        report.error(f"selinux mode {sec.selinux!r} is not one of {', '.join(SELINUX_MODES)}",
                     origin(sec, "selinux"))
    elif sec.selinux == "disabled":
        report.warning("SELinux is disabled; Azure Linux supports enforcing (or permissive) mode",
                       origin(sec, "selinux"))
    if sec.permit_root_login not in ROOT_LOGIN:
        report.error(f"PermitRootLogin {sec.permit_root_login!r} is not one of {', '.join(ROOT_LOGIN)}",
                     origin(sec, "permit_root_login"))
    if sec.sshd_enabled and not sec.password_authentication and not plan.accounts.ssh_keys:
        report.warning("SSH password authentication is off and no 'sshkey' is given: nobody can log in "
                       "over SSH", origin(sec, "password_authentication"))
    fw = sec.firewall
    fw_o = origin(fw, "ports", "services", "enabled", "trusted", "remove_services")
    for port in fw.ports:
        m = PORT.match(port)
        if not m:
            report.error(f"firewall --port={port} is not PORT:PROTOCOL (e.g. 8080:tcp or 6000-6010:udp)", fw_o)
            continue
        nums = [int(x) for x in re.findall(r"\d+", m.group(1))] if m.group(1)[0].isdigit() else []
        if any(not 1 <= n <= 65535 for n in nums):
            report.error(f"firewall --port={port}: port numbers are 1-65535", fw_o)
        elif len(nums) == 2 and nums[0] > nums[1]:
            report.error(f"firewall --port={port}: the range is reversed", fw_o)
    for svc in [*fw.services, *fw.remove_services]:
        if not SERVICE.match(svc):
            report.error(f"firewall --service={svc!r} is not a service name", fw_o)
    if (fw.ports or fw.services or fw.trusted) and not fw.enabled:
        report.warning("firewall --disabled: the ports and services given are not used", fw_o)


def _check_services(plan: InstallPlan, report: Report) -> None:
    sv = plan.services
    o = origin(sv, "enabled", "disabled")
    for name in [*sv.enabled, *sv.disabled]:
        if not SERVICE.match(name) or len(name) > 255:
            report.error(f"services: {name!r} is not a systemd unit name", o)


def _check_scripts(plan: InstallPlan, report: Report) -> None:
    for s in plan.scripts:
        if s.kind not in SCRIPT_KINDS:
            report.error(f"%{s.kind} is not a script section", s.origin)
        if not s.interpreter.startswith("/"):
            report.error(f"%{s.kind} --interpreter={s.interpreter} is not an absolute path", s.origin)
        problem = normalized_path_problem(s.log) if s.log is not None else None
        if problem:
            report.error(f"%{s.kind} --log={shown(s.log)} {problem}; give a plain absolute path such as "
                         f"/root/ks-{s.kind}.log", s.origin)


def _check_bootloader(plan: InstallPlan, report: Report) -> None:
    bl = plan.bootloader
    o = origin(bl, "location", "timeout", "append", "password_hash", "boot_drive")
    if bl.location not in ("mbr", "partition", "none", "boot"):
        report.error(f"bootloader --location={bl.location} is not mbr, partition or none", o)
    if bl.timeout is not None and bl.timeout < 0:
        report.error(f"bootloader --timeout={bl.timeout} must not be negative", origin(bl, "timeout") or o)
    if bl.password_hash is not None and not is_grub_hash(bl.password_hash):
        report.error("bootloader --password must be a grub2-mkpasswd-pbkdf2 hash (grub.pbkdf2.sha512...) "
                     "with --iscrypted", origin(bl, "password_hash") or o)
    for problem in kernel_arg_problems(bl.append or ""):
        report.error(f"bootloader --append: {problem}", origin(bl, "append") or o)
