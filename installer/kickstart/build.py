"""Turning what pykickstart parsed into an InstallPlan, each value tagged with its kickstart line.

Starts from the product's defaults (installer.model.defaults.new_plan) and applies commands.
Plaintext passwords are hashed here; LUKS passphrases stay as Secret in memory.
"""

from __future__ import annotations

from typing import Any

from pykickstart import constants as K

from installer.kickstart import compat
from installer.model import catalog, secrets
from installer.model.defaults import new_plan
from installer.model.diagnostics import Diagnostic
from installer.kickstart.parse import FINISH, Parsed, Record, hostname_only
from installer.model.plan import (
    AutoPart, BtrfsRequest, ClearPart, Encryption, InstallPlan, LiveImage, LogVolRequest, NetworkDevice, Origin,
    PartitionRequest, RaidRequest, Repository, Script, Secret, SshKey, User, VolGroupRequest,
)
from installer.model.product import Product
from installer.validate.system import known_keymaps

URL_SOURCE_NAME = "install-source"
THIN_TOOLS = "device-mapper-persistent-data"  # thin_check: thin pools are not activated at boot without it

_CLEARPART = {K.CLEARPART_TYPE_ALL: "all", K.CLEARPART_TYPE_LINUX: "linux", K.CLEARPART_TYPE_NONE: "none",
              K.CLEARPART_TYPE_LIST: "list"}
_AUTOPART = {K.AUTOPART_TYPE_LVM: "lvm", K.AUTOPART_TYPE_PLAIN: "plain", K.AUTOPART_TYPE_BTRFS: "btrfs",
             K.AUTOPART_TYPE_LVM_THINP: "thinp"}
_SELINUX = {K.SELINUX_DISABLED: "disabled", K.SELINUX_ENFORCING: "enforcing", K.SELINUX_PERMISSIVE: "permissive"}
_SCRIPT = {K.KS_SCRIPT_PRE: "pre", K.KS_SCRIPT_PREINSTALL: "pre-install", K.KS_SCRIPT_POST: "post",
           K.KS_SCRIPT_ONERROR: "onerror", K.KS_SCRIPT_TRACEBACK: "traceback"}


def _none(value: Any) -> Any:
    """pykickstart's "not given" ("" / 0 / False for optional values) as None."""
    return value if value not in ("", None, 0, False) else None


def _split(value: str | list | None) -> list[str]:
    if not value:
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [s.strip() for s in items if s and s.strip()]


def _unique(items) -> list[str]:
    return list(dict.fromkeys(items))   # first occurrence kept, in order; linear


class _Builder:
    def __init__(self, parsed: Parsed, product: Product):
        self.parsed = parsed
        self.h = parsed.handler
        self.product = product
        self.plan: InstallPlan = new_plan(product)
        self.diagnostics: list[Diagnostic] = []

    # -- helpers

    def origin(self, rec: Record | int | None) -> Origin:
        return self.parsed.origin(rec.lineno if isinstance(rec, Record) else rec)

    def error(self, message: str, where: Record | int | None, severity: str = "error") -> None:
        self.diagnostics.append(Diagnostic(message, self.origin(where), severity))
        if severity == "error":
            self.parsed.refused.append(self._blamed(where))

    def _blamed(self, where: Record | int | None) -> tuple[str, int]:
        """(command or section, line) of a line this builder refuses: its area's checks become partial."""
        if isinstance(where, Record):
            return where.name, where.lineno
        line = where or 0
        for rec in self.parsed.records:
            if rec.lineno == line:
                return rec.name, line
        if any(ln == line for ln, _ in self.parsed.package_lines) or \
                any(sec == "%packages" and ln == line for sec, ln, _ in self.parsed.sections):
            return "%packages", line
        return "", line

    def warn(self, message: str, where: Record | int | None) -> None:
        self.error(message, where, "warning")

    def value_rule(self, command: str, what: str, label: str, where: Record | int | None) -> None:
        """Report a special value by its rule in the compatibility table (installer.kickstart.compat)."""
        rule = compat.VALUES[(command, what)]
        if rule.status == compat.REFUSED:
            self.error(compat.refusal(label, rule), where)
        else:
            self.warn(compat.warning(label, rule), where)

    def data_records(self, *names: str) -> list[Record]:
        """Records of a list command that pykickstart kept (it drops some duplicates, with a warning)."""
        kept_ids = {id(d) for name in names for d in (self.h.commands[name].dataList() or [])}
        return [rec for rec in self.parsed.records
                if rec.name in names and rec.obj is not None and id(rec.obj) in kept_ids]

    def set_all(self, obj, origin: Origin, **values) -> None:
        for name, value in values.items():
            obj.set(name, value, origin)

    def encryption(self, d, rec: Record, what: str) -> Encryption | None:
        if not d.encrypted:
            if getattr(d, "passphrase", ""):
                self.warn(f"'{what} --passphrase' has no effect without --encrypted", rec)
            return None
        luks = (d.luks_version or self.product.storage.get("luks_version", "luks2")).lower()
        return Encryption(
            passphrase=Secret(d.passphrase) if d.passphrase else None,
            luks_version=luks,
            cipher=_none(d.cipher),
            pbkdf=_none(d.pbkdf),
            pbkdf_memory=_none(d.pbkdf_memory),
            pbkdf_time=_none(d.pbkdf_time),
            pbkdf_iterations=_none(d.pbkdf_iterations),
        )

    # -- storage

    def storage(self) -> None:
        st = self.plan.storage
        rec = self.parsed.last("ignoredisk")
        if rec:
            o = self.origin(rec)
            if self.h.ignoredisk.onlyuse:
                st.set("selected_disks", _split(self.h.ignoredisk.onlyuse), o)
            if self.h.ignoredisk.ignoredisk:
                st.set("ignored_disks", _split(self.h.ignoredisk.ignoredisk), o)
        rec = self.parsed.last("zerombr")
        if rec:
            st.set("zerombr", True, self.origin(rec))
        rec = self.parsed.last("clearpart")
        if rec:
            cp = self.h.clearpart
            o = self.origin(rec)
            clear = ClearPart()
            self.set_all(clear, o, mode=_CLEARPART.get(cp.type, "none"), drives=_split(cp.drives),
                         partitions=_split(cp.devices), initlabel=bool(cp.initAll), disklabel=_none(cp.disklabel))
            st.set("clearpart", clear, o)
        rec = self.parsed.last("autopart")
        if rec:
            self.autopart(rec)
        rec = self.parsed.last("reqpart")
        if rec:
            o = self.origin(rec)
            st.set("reqpart", True, o)
            st.set("reqpart_add_boot", bool(self.h.reqpart.addBoot), o)
        self.custom_storage()

    def autopart(self, rec: Record) -> None:
        ap = self.h.autopart
        o = self.origin(rec)
        kind = self.product.storage.get("scheme", "lvm") if ap.type is None else _AUTOPART.get(ap.type)
        if kind is None:
            names = {v: k for k, v in ap.typeMap.items()}
            given = names.get(ap.type, ap.type)
            if ("autopart", f"--type={given}") in compat.VALUES:
                self.value_rule("autopart", f"--type={given}", f"autopart --type={given}", rec)
            else:
                self.error(f"'autopart --type={given}' is not supported by azl-install (use lvm, plain or btrfs)",
                           rec)
            kind = "lvm"
        home = bool(self.product.storage.get("home", False))
        auto = AutoPart()
        self.set_all(auto, o, scheme=kind, fstype=_none(ap.fstype), nohome=bool(ap.nohome) or not home,
                     noswap=bool(ap.noswap), noboot=bool(ap.noboot), encrypted=bool(ap.encrypted),
                     encryption=self.encryption(ap, rec, "autopart"))
        self.plan.storage.set("autopart", auto, o)

    def custom_storage(self) -> None:
        st = self.plan.storage
        for rec in self.data_records("part", "partition"):
            d = rec.obj
            if d.mountpoint == "prepboot" or (d.fstype or "").lower() == "prepboot":
                self.value_rule("part", "prepboot", f"{rec.name} prepboot", rec)
                continue
            if (d.fstype or "").lower() == "tmpfs":
                self.value_rule("part", "--fstype=tmpfs", f"{rec.name} {d.mountpoint} --fstype=tmpfs", rec)
                continue
            onpart = _none(d.onPart)
            noformat = not getattr(d, "format", True)
            if noformat and not onpart:
                self.error(f"{rec.name} --noformat keeps an existing filesystem: name it with --onpart", rec)
                continue
            if onpart and d.encrypted:
                self.error(f"{rec.name} --onpart with --encrypted is not implemented yet: drop --encrypted, "
                           "or let the plan create a new encrypted partition", rec)
                continue
            if onpart and noformat and d.mountpoint.startswith(("pv.", "raid.", "btrfs.")):
                self.error(f"{rec.name} {d.mountpoint} --noformat would reuse an existing LVM, RAID or btrfs "
                           "member, which is not implemented yet: drop --noformat to make a new one there", rec)
                continue
            if onpart and noformat and (d.label or d.mkfsopts):
                self.error(f"{rec.name} --noformat keeps the filesystem as it is: --label and --mkfsoptions "
                           "need a new one (drop --noformat)", rec)
                continue
            if onpart and (d.size or d.grow or d.disk):
                self.warn(f"{rec.name} --onpart={onpart} reuses an existing partition: --size, --grow and "
                          "--ondisk are ignored", rec)
            st.partitions.append(PartitionRequest(
                onpart=onpart, noformat=noformat,
                origin=self.origin(rec), mountpoint=d.mountpoint, size_mib=_none(d.size), grow=bool(d.grow),
                maxsize_mib=_none(d.maxSizeMB), fstype=_none(d.fstype), ondisk=_none(d.disk), label=_none(d.label),
                fsoptions=_none(d.fsopts), mkfsoptions=_none(d.mkfsopts), asprimary=bool(d.primOnly),
                recommended=bool(d.recommended), encrypted=bool(d.encrypted),
                encryption=self.encryption(d, rec, rec.name)))
        for rec in self.data_records("volgroup"):
            d = rec.obj
            st.volgroups.append(VolGroupRequest(origin=self.origin(rec), name=d.vgname, physvols=list(d.physvols),
                                                pesize_kib=_none(d.pesize)))
        for rec in self.data_records("logvol"):
            d = rec.obj
            if d.thin_pool and d.mountpoint != "none":
                self.error(f"logvol --thinpool holds thin volumes and is not mounted: write 'logvol none', "
                           f"not {d.mountpoint!r}", rec)
                continue
            st.logvols.append(LogVolRequest(
                thin_pool=bool(d.thin_pool), pool_chunk_kib=_none(d.chunk_size) if d.thin_pool else None,
                pool_metadata_mib=_none(d.metadata_size) if d.thin_pool else None,
                pool_name=_none(d.pool_name) if d.thin_volume else None,
                origin=self.origin(rec), mountpoint=d.mountpoint, vgname=d.vgname, name=d.name,
                size_mib=_none(d.size), grow=bool(d.grow), percent=_none(d.percent), maxsize_mib=_none(d.maxSizeMB),
                fstype=_none(d.fstype), label=_none(d.label), fsoptions=_none(d.fsopts),
                mkfsoptions=_none(d.mkfsopts), recommended=bool(d.recommended), encrypted=bool(d.encrypted),
                encryption=self.encryption(d, rec, "logvol")))
        for rec in self.data_records("raid"):
            d = rec.obj
            chunk = _none(getattr(d, "chunk_size", None))
            if chunk is not None and (chunk < 4 or chunk & (chunk - 1)):
                self.error(f"raid --chunksize={chunk} must be a power of two of at least 4 (KiB)", rec)
                continue
            if chunk is not None and (d.level or "").lower().removeprefix("raid") == "1":
                self.warn("raid --chunksize has no effect on RAID1 (mirrors have no chunks)", rec)
                chunk = None
            st.raids.append(RaidRequest(
                chunk_size_kib=chunk,
                origin=self.origin(rec), mountpoint=d.mountpoint, device=d.device, level=(d.level or "").lower(),
                members=list(d.members), fstype=_none(d.fstype), label=_none(d.label), fsoptions=_none(d.fsopts),
                encrypted=bool(d.encrypted), encryption=self.encryption(d, rec, "raid")))
        for rec in self.data_records("btrfs"):
            d = rec.obj
            devices = list(d.devices)
            given = (_none(d.parent) or (devices[0] if devices else None)) if d.subvol else None
            members = [x for x in devices if x != given] if d.subvol else devices
            # LABEL=NAME names the volume by its --label, which is how the volume is known here
            parent = given[6:] if given and given[:6].upper() == "LABEL=" else given
            st.btrfs.append(BtrfsRequest(
                origin=self.origin(rec), mountpoint=None if d.mountpoint in ("none", "") else d.mountpoint,
                name=_none(d.name), subvol=bool(d.subvol), parent=parent, members=members,
                data_level=_none(d.dataLevel), metadata_level=_none(d.metaDataLevel), label=_none(d.label)))

    # -- payload

    def payload(self) -> None:
        pl = self.plan.payload
        rec = self.parsed.last("url", "cdrom")
        if rec and rec.name == "url":
            u = self.h.url
            pl.set("source", Repository(origin=self.origin(rec), name=URL_SOURCE_NAME, baseurl=_none(u.url),
                                        mirrorlist=_none(u.mirrorlist), metalink=_none(u.metalink),
                                        sslverify=not u.noverifyssl, proxy=_none(u.proxy),
                                        gpgcheck=not getattr(u, "nogpgcheck", False),
                                        gpgkeys=_split(getattr(u, "gpgkey", None))), self.origin(rec))
        elif rec:
            pl.set("source", None, self.origin(rec))
        for rec in self.data_records("repo"):
            d = rec.obj
            if not (d.baseurl or d.mirrorlist or d.metalink):
                self.error(f"repo --name={d.name} needs --baseurl, --mirrorlist or --metalink", rec)
            pl.repositories.append(Repository(
                origin=self.origin(rec), name=d.name, baseurl=_none(d.baseurl), mirrorlist=_none(d.mirrorlist),
                metalink=_none(d.metalink), cost=d.cost, includepkgs=_split(d.includepkgs),
                excludepkgs=_split(d.excludepkgs), install=bool(d.install), sslverify=not d.noverifyssl,
                proxy=_none(d.proxy), gpgcheck=not getattr(d, "nogpgcheck", False),
                gpgkeys=_split(getattr(d, "gpgkey", None))))
        rec = self.parsed.last("liveimg")
        if rec:
            li = self.h.liveimg
            pl.set("liveimg", LiveImage(origin=self.origin(rec), url=li.url or "", checksum=_none(li.checksum),
                                        noverifyssl=bool(li.noverifyssl), proxy=_none(li.proxy)), self.origin(rec))
        if self.h.packages.seen:
            self.packages()

    def set_aliases(self) -> dict[str, str]:
        """Fedora/RHEL group ids of this %packages mapped to the product's sets, each with a warning."""
        aliases: dict[str, str] = {}
        for line, text in self.parsed.package_lines:
            if not text.startswith("@"):
                continue
            name = text.lstrip("@^").split(" --")[0].strip()
            if name in self.product.package_sets or name in aliases:
                continue
            target = catalog.package_set_alias(name, self.product)
            if target is not None:
                aliases[name] = target
                self.warn(f"'{text.split(' --')[0].strip()}' is a Fedora/RHEL group: azl-install installs the "
                          f"{self.product.name} package set '{target}' instead", line)
        return aliases

    def packages(self) -> None:
        pk = self.h.packages
        header = next((s for s in reversed(self.parsed.sections) if s[0] == "%packages"), None)
        hline = header[1] if header else None
        o = self.origin(hline)
        sel = self.plan.payload.packages
        known = self.product.package_sets
        sets: list[str] = [self.product.default_set] if pk.default else []
        environment = None
        aliases = self.set_aliases()
        if pk.environment and not pk.default:
            if pk.environment in known:
                sets.append(pk.environment)
            elif pk.environment in aliases:
                sets.append(aliases[pk.environment])
            else:
                environment = pk.environment
        groups: list[str] = []
        lines = {text: line for line, text in self.parsed.package_lines}
        for g in pk.groupList:
            where = next((ln for t, ln in lines.items() if t.startswith("@") and g.name in t), hline)
            if ":" in g.name:
                self.error(f"module streams ('@{g.name}') are not supported by azl-install", where)
                continue
            if g.include != K.GROUP_DEFAULT:
                opt = "--optional" if g.include == K.GROUP_ALL else "--nodefaults"
                self.error(f"'@{g.name} {opt}' is not supported by azl-install", where)
            if g.name in known:
                sets.append(g.name)
            elif g.name in aliases:
                sets.append(aliases[g.name])
            else:
                groups.append(g.name)
        envs = [(line, text) for line, text in self.parsed.package_lines if text.startswith("@^")]
        for (line, text), (later, _) in zip(envs, envs[1:]):
            self.warn(f"'{text}' is replaced by the environment at {self.origin(later)}: "
                      "only the last '@^' line counts", line)
        if pk.handleBroken == K.KS_BROKEN_IGNORE:
            self.error("'%packages --ignorebroken' is not supported by azl-install", hline)
        self.set_all(
            sel, o, sets=_unique(sets), environment=environment, groups=_unique(groups),
            packages=list(pk.packageList), excluded_packages=list(pk.excludedList),
            excluded_groups=_unique(g.name for g in pk.excludedGroupList), nocore=bool(pk.nocore),
            excludedocs=bool(pk.excludeDocs), ignoremissing=pk.handleMissing == K.KS_MISSING_IGNORE,
            exclude_weakdeps=bool(pk.excludeWeakdeps), inst_langs=pk.instLangs, multilib=bool(pk.multiLib),
            timeout=pk.timeout, retries=pk.retries)
        # Each entry's own line, for messages about a single package or set ("sets[server]" -> ks.cfg:12).
        for line, text in self.parsed.package_lines:
            key = _entry_key(text, known, aliases)
            if key:
                sel.origins[key] = self.origin(line)

    # -- system

    def bootloader(self) -> None:
        rec = self.parsed.last("bootloader")
        if not rec:
            return
        b = self.h.bootloader
        bl = self.plan.bootloader
        o = self.origin(rec)
        given = {t.split("=", 1)[0] for t in rec.args[1:]}
        location = b.location or "mbr"
        if b.disabled:
            bl.set("disabled", True, o)
        if "--location" in given or b.disabled:
            bl.set("location", "none" if b.disabled else location, o)
        if b.appendLine:
            base = self.product.bootloader.get("append", "")
            append = b.appendLine if not base or base in b.appendLine else f"{base} {b.appendLine}"
            bl.set("append", append, o)
        if b.timeout is not None:
            bl.set("timeout", b.timeout, o)
        if b.bootDrive:
            bl.set("boot_drive", b.bootDrive, o)
        if b.driveorder:
            bl.set("driveorder", _split(b.driveorder), o)
        if b.password:
            if b.isCrypted:
                if not secrets.is_grub_hash(b.password):
                    self.error("'bootloader --iscrypted --password' must be a GRUB PBKDF2 hash "
                               "(grub.pbkdf2.sha512..., from grub2-mkpasswd-pbkdf2)", rec)
                else:
                    bl.set("password_hash", b.password, o)
            else:
                bl.set("password_hash", secrets.grub_pbkdf2(b.password), o)

    def system(self) -> None:
        sy = self.plan.system
        rec = self.parsed.last("timezone")
        if rec:
            tz = self.h.timezone
            o = self.origin(rec)
            if tz.timezone:
                sy.set("timezone", tz.timezone, o)
            sy.set("utc", bool(tz.isUtc), o)
            if tz.nontp:
                sy.set("nontp", True, o)
            if tz.ntpservers:
                sy.set("ntp_servers", _unique(_split(tz.ntpservers)), o)
        for rec in self.data_records("timesource"):
            d = rec.obj
            o = self.origin(rec)
            if d.ntp_disable:
                sy.set("nontp", True, o)
            if d.ntp_server:
                sy.set("ntp_servers", _unique(sy.ntp_servers + [d.ntp_server]), o)
            if d.ntp_pool:
                sy.set("ntp_pools", _unique(sy.ntp_pools + [d.ntp_pool]), o)
            if getattr(d, "nts", False) and (d.ntp_server or d.ntp_pool):
                sy.set("ntp_nts", _unique(sy.ntp_nts + [d.ntp_server or d.ntp_pool]), o)
        rec = self.parsed.last("lang")
        if rec:
            o = self.origin(rec)
            sy.set("lang", catalog.full_locale(self.h.lang.lang), o)
            if self.h.lang.addsupport:
                sy.set("lang_support", [catalog.full_locale(x) for x in _split(self.h.lang.addsupport)], o)
        rec = self.parsed.last("keyboard")
        if rec:
            kb = self.h.keyboard
            o = self.origin(rec)
            layouts = [" ".join(x.split()) for x in _split(kb.x_layouts)]
            keymap = kb.vc_keymap or getattr(kb, "_keyboard", "") or (_console_keymap(layouts[0]) if layouts else "")
            if keymap:
                sy.set("keyboard", keymap, o)
            if layouts:
                sy.set("x_layouts", layouts, o)

    def network(self) -> None:
        for rec in self.data_records("network"):
            d = rec.obj
            o = self.origin(rec)
            if d.hostname:
                self.plan.system.set("hostname", d.hostname, o)
            if hostname_only(rec.args):
                continue
            try:
                mtu = int(d.mtu) if d.mtu else None
            except ValueError:
                self.error(f"network --mtu must be a number, not '{d.mtu}'", rec)
                mtu = None
            try:
                vlan = int(d.vlanid) if d.vlanid not in ("", None) else None
            except ValueError:
                self.error(f"network --vlanid must be a number, not '{d.vlanid}'", rec)
                vlan = None
            search = _unique(_split(d.ipv4_dns_search) + _split(d.ipv6_dns_search))
            self.plan.network.devices.append(NetworkDevice(
                origin=o, device=_none(d.device), bootproto=d.bootProto or "dhcp", ip=_none(d.ip),
                netmask=_none(d.netmask), gateway=_none(d.gateway), ipv6=_none(d.ipv6),
                ipv6gateway=_none(d.ipv6gateway), nameservers=_split(d.nameserver), search_domains=search,
                mtu=mtu, onboot=bool(d.onboot), activate=bool(d.activate), noipv4=bool(d.noipv4),
                noipv6=bool(d.noipv6), nodefroute=bool(d.nodefroute), hostname=_none(d.hostname),
                bond_slaves=_split(d.bondslaves), bond_opts=_none(d.bondopts), vlan_id=vlan,
                bridge_slaves=_split(getattr(d, "bridgeslaves", "")), bridge_opts=_none(getattr(d, "bridgeopts", "")),
                interface_name=_none(d.interfacename)))
        if self.plan.network.devices:
            self.plan.network.origins.setdefault("devices", self.plan.network.devices[0].origin)

    # -- accounts and security

    def password(self, value: str, crypted: bool, rec: Record, what: str) -> str | None:
        if crypted:
            if not secrets.is_crypt_hash(value):
                hint = ("; 'rootpw --lock --iscrypted locked' locks root without a password" if what == "rootpw"
                        else "; 'user --lock' locks the account")
                self.error(f"'{what} --iscrypted' needs a crypt(3) hash (SHA-512 '$6$...' or yescrypt '$y$...', "
                           f"as 'openssl passwd -6' makes){hint}", rec)
                return None
            return value
        try:
            return secrets.hash_password(value)
        except secrets.HashError as exc:
            self.error(f"cannot hash the {what} password: {exc}", rec)
            return None

    def accounts(self) -> None:
        ac = self.plan.accounts
        rec = self.parsed.last("rootpw")
        if rec:
            rp = self.h.rootpw
            o = self.origin(rec)
            if rp.password and rp.lock and rp.isCrypted and not secrets.is_crypt_hash(rp.password):
                pass  # `rootpw --lock --iscrypted locked`: root is locked and has no password, as in Anaconda
            elif rp.password:
                hashed = self.password(rp.password, bool(rp.isCrypted), rec, "rootpw")
                if hashed:
                    ac.set("root_password_hash", hashed, o)
            ac.set("root_lock", bool(rp.lock), o)
            if rp.allow_ssh:
                ac.set("root_allow_ssh", True, o)
                self.plan.security.set("permit_root_login", "yes", o)
        for rec in self.data_records("user"):
            d = rec.obj
            hashed = self.password(d.password, bool(d.isCrypted), rec, "user") if d.password else None
            ac.users.append(User(origin=self.origin(rec), name=d.name, groups=_split(d.groups),
                                 password_hash=hashed, homedir=_none(d.homedir), shell=_none(d.shell), uid=d.uid,
                                 gid=d.gid, gecos=_none(d.gecos), lock=bool(d.lock)))
        for rec in self.data_records("sshkey"):
            d = rec.obj
            ac.ssh_keys.append(SshKey(origin=self.origin(rec), username=d.username, key=d.key))

    def security(self) -> None:
        se = self.plan.security
        rec = self.parsed.last("selinux")
        if rec and self.h.selinux.selinux is not None:
            se.set("selinux", _SELINUX[self.h.selinux.selinux], self.origin(rec))
        rec = self.parsed.last("firewall")
        if rec:
            fw = self.h.firewall
            o = self.origin(rec)
            f = se.firewall
            if fw.enabled is not None:
                f.set("enabled", bool(fw.enabled), o)
            if fw.services:
                f.set("services", _unique(fw.services), o)
            if fw.remove_services:
                f.set("remove_services", _unique(fw.remove_services), o)
            if fw.ports:
                f.set("ports", _unique(fw.ports), o)
            if fw.trusts:
                f.set("trusted", _unique(fw.trusts), o)
            if fw.use_system_defaults:
                f.set("use_system_defaults", True, o)
        rec = self.parsed.last("services")
        if rec:
            sv = self.h.services
            o = self.origin(rec)
            disabled = _unique(_split(sv.disabled))
            defaults = [s for s in self.product.services_enabled if s not in disabled]
            self.plan.services.set("enabled", _unique(defaults + [s for s in _split(sv.enabled)
                                                                 if s not in disabled]), o)
            both = [s for s in _split(sv.enabled) if s in disabled]
            if both:
                self.warn(f"services both enabled and disabled: {', '.join(both)} (disabled wins)", rec)
            if disabled:
                self.plan.services.set("disabled", disabled, o)
            if "sshd" in disabled:
                se.set("sshd_enabled", False, o)
        rec = self.parsed.last("sshd")
        if rec:
            self.sshd(rec)

    def sshd(self, rec: Record) -> None:
        """azl-install's `sshd` command; it must not contradict `services` or `rootpw --allow-ssh`."""
        d = self.h.sshd
        se = self.plan.security
        o = self.origin(rec)
        if d.enabled is not None:
            if d.enabled and "sshd" in self.plan.services.disabled:
                where = self.origin(self.parsed.last("services"))
                self.error(f"'sshd --enabled' contradicts 'services --disabled=sshd' at {where}", rec)
            else:
                se.set("sshd_enabled", bool(d.enabled), o)
        if d.password_auth is not None:
            se.set("password_authentication", d.password_auth == "yes", o)
        if d.root_login is not None:
            if self.plan.accounts.root_allow_ssh and d.root_login != "yes":
                where = self.plan.accounts.origin_of("root_allow_ssh")
                self.error(f"'sshd --root-login={d.root_login}' contradicts 'rootpw --allow-ssh' at {where}", rec)
            else:
                se.set("permit_root_login", d.root_login, o)

    # -- scripts, finish, mode

    def scripts(self) -> None:
        for s in self.h.scripts:
            kind = _SCRIPT.get(s.type, "post")
            self.plan.scripts.append(Script(
                origin=self.origin(s.lineno), kind=kind, body=s.script, interpreter=s.interp or "/bin/sh",
                chroot=bool(s.inChroot) if kind == "post" else True, log=s.logfile or None,
                erroronfail=bool(s.errorOnFail)))
        if self.plan.scripts:
            self.plan.origins.setdefault("scripts", self.plan.scripts[0].origin)

    def finish(self) -> None:
        rec = self.parsed.last(*FINISH)
        if rec:
            r = self.h.reboot
            o = self.origin(rec)
            self.set_all(self.plan.finish, o, action=rec.name, eject=bool(r.eject), kexec=bool(r.kexec))
        rec = self.parsed.last("text", "cmdline", "graphical")
        if rec:
            interactive = rec.name != "cmdline" and "--non-interactive" not in rec.args
            self.plan.set("interactive", interactive, self.origin(rec))
        rec = self.parsed.last("firstboot")
        if rec:
            given = [t for t in rec.args[1:] if t in ("--enable", "--enabled", "--reconfig")]
            if given:
                what = "--reconfig" if given[-1] == "--reconfig" else "--enable"
                self.value_rule("firstboot", what, f"firstboot {given[-1]}", rec)
            else:
                self.value_rule("firstboot", "--disable", "firstboot", rec)

    def build(self) -> InstallPlan:
        for step in (self.storage, self.payload, self.bootloader, self.system, self.network, self.accounts,
                     self.security, self.scripts, self.finish):
            step()
        self.storage_packages()
        return self.plan

    def storage_packages(self) -> None:
        """Tools the installed system needs to activate its storage (as Anaconda adds them from blivet)."""
        pk = self.plan.payload.packages
        st = self.plan.storage
        rec = next((lv for lv in st.logvols if lv.thin_pool), None)
        if rec is None and st.autopart is not None and st.autopart.scheme == "thinp":
            rec = st.autopart
        if rec is not None and self.plan.payload.liveimg is None and THIN_TOOLS not in pk.packages \
                and THIN_TOOLS not in pk.excluded_packages:
            pk.packages = [*pk.packages, THIN_TOOLS]
            pk.origins.setdefault(f"packages[{THIN_TOOLS}]", getattr(rec, "origin", None)
                                  or self.parsed.origin(self.parsed.last("autopart").lineno))


def _console_keymap(layout: str) -> str:
    """The console keymap for an X layout: 'cz (qwerty)' -> 'cz-qwerty' when that keymap exists, else 'cz'."""
    name, _, variant = layout.partition("(")
    name, variant = name.strip(), variant.rstrip(")").strip()
    if variant and f"{name}-{variant}" in known_keymaps():
        return f"{name}-{variant}"
    return name


def _entry_key(text: str, known, aliases: dict[str, str] | None = None) -> str | None:
    aliases = aliases or {}
    text = text.strip()
    if not text:
        return None
    if text.startswith("@^"):
        name = text[2:].strip()
        name = aliases.get(name, name)
        return f"sets[{name}]" if name in known else "environment"
    if text.startswith("-@"):
        return f"excluded_groups[{text[2:].strip()}]"
    if text.startswith("@"):
        name = text[1:].split(" --")[0].strip()
        name = aliases.get(name, name)
        return f"sets[{name}]" if name in known else f"groups[{name}]"
    if text.startswith("-"):
        return f"excluded_packages[{text[1:].strip()}]"
    return f"packages[{text}]"


def build_plan(parsed: Parsed, product: Product) -> tuple[InstallPlan, list[Diagnostic]]:
    builder = _Builder(parsed, product)
    plan = builder.build()
    return plan, builder.diagnostics
