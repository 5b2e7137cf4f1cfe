"""An InstallPlan as an Image Customizer configuration, and the list of what it cannot say.

Nothing is dropped silently: every part of the plan the configuration (with the x-azl-install
extension) has no field for is listed in `notes`, which the output carries as comments too.
Passwords are written only as hashes; LUKS passphrases are never written.
"""

from __future__ import annotations

import yaml

from installer.model.plan import InstallPlan, PartitionRequest
from installer.model.product import Product
from installer.model.secrets import Redactor, redact_urls

_FS_OUT = {"efi": "fat32", "vfat": "fat32"}
_FS_OK = {"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "efi"}


class _Writer:
    def __init__(self, plan: InstallPlan, product: Product):
        self.plan, self.product = plan, product
        self.notes: list[str] = []
        self.hide = Redactor([s.reveal() for s in plan.input_secrets])

    def lost(self, what: str) -> None:
        if what not in self.notes:
            self.notes.append(what)

    def build(self) -> dict:
        out: dict = {}
        if self.plan.interactive:
            self.lost("text/graphical: a configuration describes an unattended install")
        storage = self.storage()
        if storage:
            out["storage"] = storage
        os_ = self.os()
        if os_:
            out["os"] = os_
        scripts = self.scripts()
        if scripts:
            out["scripts"] = scripts
        ext = self.extension()
        if ext:
            out["x-azl-install"] = ext
        return out

    # -- storage

    def storage(self) -> dict:
        st = self.plan.storage
        if st.autopart is not None:
            self.lost("autopart: the configuration lists partitions; write them out (storage.disks[].partitions)")
        for kind, items in (("volgroup", st.volgroups), ("logvol", st.logvols), ("raid", st.raids),
                            ("btrfs", st.btrfs)):
            if items:
                self.lost(f"{kind}: LVM, RAID and btrfs volumes have no image configuration form")
        if st.reqpart:
            self.lost("reqpart: list the boot partitions (esp or bios-grub) in storage.disks[].partitions")
        if st.ignored_disks:
            self.lost(f"ignoredisk --drives={','.join(st.ignored_disks)}: only the disk to use can be named")
        if len(st.selected_disks) > 1:
            self.lost(f"ignoredisk --only-use={','.join(st.selected_disks)}: one disk only")
        if st.clearpart.mode not in ("all", "none") or st.clearpart.partitions:
            self.lost(f"clearpart mode {st.clearpart.mode}: a configuration always replaces the whole disk")
        if not st.partitions:
            return {}
        if st.clearpart.mode != "all":
            self.lost("clearpart: a configuration replaces the whole disk, which this plan does not ask for")
        elif not st.clearpart.initlabel:
            self.lost("clearpart without --initlabel: a configuration always writes a new partition table")
        if st.clearpart.drives and st.clearpart.drives != st.selected_disks[:1]:
            self.lost(f"clearpart --drives={','.join(st.clearpart.drives)}: the configuration clears the disk it "
                      "installs on (x-azl-install.disk)")
        parts, filesystems = [], []
        ids: set[str] = set()
        for i, req in enumerate(st.partitions):
            entry = self.partition(req, i, i == len(st.partitions) - 1, ids)
            if entry is None:
                continue
            part, fs = entry
            parts.append(part)
            if fs:
                filesystems.append(fs)
        boot = "efi" if any(p.mountpoint == "/boot/efi" for p in st.partitions) else \
            "legacy" if any(p.mountpoint == "biosboot" for p in st.partitions) else None
        out: dict = {}
        if boot is None:
            self.lost("storage.bootType: the plan has neither an EFI system partition nor a BIOS boot partition")
        else:
            out["bootType"] = boot
        out["disks"] = [{"partitionTableType": "mbr" if st.clearpart.disklabel == "msdos" else "gpt",
                         "partitions": parts}]
        if filesystems:
            out["filesystems"] = filesystems
        return out

    def partition(self, req: PartitionRequest, index: int, last: bool, ids: set[str]):
        mp = req.mountpoint
        where = f"part {mp}"
        for flag, what in ((req.encrypted, "--encrypted"), (req.maxsize_mib, "--maxsize"), (req.label, "--label"),
                           (req.mkfsoptions, "--mkfsoptions"), (req.ondisk, "--ondisk"),
                           (req.asprimary, "--asprimary"), (req.recommended, "--recommended")):
            if flag:
                self.lost(f"{where} {what}: no image configuration field")
        if mp.startswith(("raid.", "pv.", "btrfs.")):
            return None
        if req.grow and not last:
            self.lost(f"{where} --grow: only the last partition can fill the disk; written with its size")
        pid = _ident(mp, index, ids)
        part: dict = {"id": pid}
        ptype = {"/boot/efi": "esp", "biosboot": "bios-grub", "swap": "linux-swap"}.get(mp)
        if ptype:
            part["type"] = ptype
        if req.grow and last:
            part["size"] = "grow"
        elif req.size_mib:
            part["size"] = f"{req.size_mib}M"
        else:
            self.lost(f"{where}: no size (the product default); written as 8M")
            part["size"] = "8M"
        if mp in ("biosboot", "swap"):
            if req.fstype not in (None, "swap", "biosboot"):
                self.lost(f"{where} --fstype={req.fstype}")
            return part, None
        fstype = req.fstype or self.product.storage.get("fstype", "xfs")
        if fstype not in _FS_OK:
            self.lost(f"{where} --fstype={fstype}: not an image configuration filesystem type; written as ext4")
            fstype = "ext4"
        mount: dict | str = mp
        if req.fsoptions:
            mount = {"path": mp, "options": req.fsoptions}
        return part, {"deviceId": pid, "type": _FS_OUT.get(fstype, fstype), "mountPoint": mount}

    # -- os

    def os(self) -> dict:
        plan, product = self.plan, self.product
        out: dict = {}
        if plan.system.hostname:
            out["hostname"] = plan.system.hostname
        base = product.bootloader.get("append", "")
        append = plan.bootloader.append or ""
        extra = append[len(base):].strip() if base and append.startswith(base) else append.strip()
        if base and not append.startswith(base):
            self.lost(f"bootloader --append: the product's arguments ({base}) are not all kept")
        if extra:
            out["kernelCommandLine"] = {"extraCommandLine": extra.split()}
        bl = plan.bootloader
        for flag, what in ((bl.password_hash, "--password"), (bl.boot_drive, "--boot-drive"),
                           (bl.driveorder, "--driveorder"), (bl.location not in ("mbr", None), "--location"),
                           (bl.disabled, "--disabled")):
            if flag:
                self.lost(f"bootloader {what}: no image configuration field")
        pk = plan.payload.packages
        packages: dict = {}
        if pk.packages:
            packages["install"] = list(pk.packages)
        if pk.excluded_packages:
            packages["remove"] = list(pk.excluded_packages)
        if packages:
            out["packages"] = packages
        for flag, what in ((pk.environment, "environment"), (pk.groups, "groups"), (pk.excluded_groups,
                           "excluded groups"), (pk.ignoremissing, "--ignoremissing"),
                           (pk.inst_langs is not None, "--instLangs"), (pk.multilib, "--multilib"),
                           (pk.timeout is not None, "--timeout"), (pk.retries is not None, "--retries"),
                           (not plan.payload.gpgcheck, "GPG checking off")):
            if flag:
                self.lost(f"%packages {what}: no image configuration field")
        users = self.users()
        if users:
            out["users"] = users
        se = plan.security
        if se.selinux != product.security["selinux"]:
            out["selinux"] = {"mode": se.selinux}
        services: dict = {}
        enabled = [s for s in plan.services.enabled if s not in product.services_enabled]
        if enabled:
            services["enable"] = enabled
        if plan.services.disabled:
            services["disable"] = list(plan.services.disabled)
        if services:
            out["services"] = services
        fw = se.firewall
        if fw.remove_services or fw.trusted or fw.use_system_defaults:
            self.lost("firewall --remove-service/--trust/--use-system-defaults: no image configuration field")
        if se.selinux_type != product.security["selinux_type"]:
            self.lost(f"selinux type {se.selinux_type}: no image configuration field")
        return out

    def users(self) -> list:
        ac = self.plan.accounts
        out = []
        keys: dict[str, list[str]] = {}
        for k in ac.ssh_keys:
            keys.setdefault(k.username, []).append(k.key)
        root: dict = {}
        if ac.root_lock:
            root["password"] = {"type": "locked"}
            if ac.root_password_hash:
                self.lost("rootpw --lock with a password: written as locked, the hash is dropped")
        elif ac.root_password_hash:
            root["password"] = {"type": "hashed", "value": ac.root_password_hash}
        if keys.get("root"):
            root["sshPublicKeys"] = keys.pop("root")
        if ac.root_allow_ssh:
            self.lost("rootpw --allow-ssh: no image configuration field")
        if root:
            out.append({"name": "root", **root})
        for u in ac.users:
            entry: dict = {"name": u.name}
            if u.uid is not None:
                entry["uid"] = u.uid
            if u.lock:
                entry["password"] = {"type": "locked"}
                if u.password_hash:
                    self.lost(f"user {u.name} --lock with a password: written as locked, the hash is dropped")
            elif u.password_hash:
                entry["password"] = {"type": "hashed", "value": u.password_hash}
            if keys.get(u.name):
                entry["sshPublicKeys"] = keys.pop(u.name)
            if u.groups:
                entry["secondaryGroups"] = list(u.groups)
            if u.shell:
                entry["startupCommand"] = u.shell
            if u.homedir:
                entry["homeDirectory"] = u.homedir
            for flag, what in ((u.gid is not None, "--gid"), (u.gecos, "--gecos")):
                if flag:
                    self.lost(f"user {u.name} {what}: no image configuration field")
            out.append(entry)
        for name in keys:
            self.lost(f"sshkey --username={name}: the user is not created by this plan")
        return out

    # -- scripts

    def scripts(self) -> dict:
        post = []
        for s in self.plan.scripts:
            where = f"%{s.kind} at {s.origin}"
            if s.kind != "post" or not s.chroot:
                self.lost(f"{where}{' --nochroot' if s.kind == 'post' else ''}: the configuration runs scripts "
                          "in the installed system only")
                continue
            if s.log:
                self.lost(f"{where} --log: no image configuration field")
            if not s.erroronfail:
                self.lost(f"{where}: without --erroronfail in the kickstart; a configuration's script always "
                          "stops the build when it fails")
            entry: dict = {"content": redact_urls(self.hide.redact(s.body))}
            if s.interpreter != "/bin/sh":
                entry["interpreter"] = s.interpreter
            post.append(entry)
        return {"postCustomization": post} if post else {}

    # -- the extension

    def extension(self) -> dict:
        plan, product = self.plan, self.product
        out: dict = {}
        st = plan.storage
        if st.selected_disks:
            spec = st.selected_disks[0]
            if spec.startswith("match:"):
                match = dict(part.split("=", 1) for part in spec[6:].split(";"))
            else:
                match = {"path": spec}
            out["disk"] = {"match": match}
        elif st.partitions:
            self.lost("ignoredisk --only-use: the plan does not say which disk; add x-azl-install.disk.match")
        sy = plan.system
        if list(plan.payload.packages.sets) != [product.default_set]:
            out["packageSets"] = list(plan.payload.packages.sets)
        if sy.timezone != product.system["timezone"]:
            out["timezone"] = sy.timezone
        if sy.ntp_servers:
            out["ntpServers"] = list(sy.ntp_servers)
        for flag, what in ((sy.ntp_pools, "timesource --ntp-pool"), (sy.ntp_nts, "timesource --nts"),
                           (not sy.utc, "timezone --isUtc=no"),
                           (sy.lang_support, "lang --addsupport"), (sy.x_layouts, "keyboard --xlayouts")):
            if flag:
                self.lost(f"{what}: no image configuration field")
        if sy.nontp:
            out["timeSync"] = False
        pk = plan.payload.packages
        options = {k: True for k, v in (("nocore", pk.nocore), ("excludeDocs", pk.excludedocs),
                                        ("excludeWeakdeps", pk.exclude_weakdeps)) if v}
        if options:
            out["packageOptions"] = options
        se, fw = plan.security, plan.security.firewall
        firewall: dict = {}
        if fw.enabled != bool(product.security["firewall"]):
            firewall["enabled"] = fw.enabled
        if fw.services:
            firewall["services"] = list(fw.services)
        if fw.ports:
            firewall["ports"] = list(fw.ports)
        if firewall:
            out["firewall"] = firewall
        sshd: dict = {}
        if not se.sshd_enabled and "sshd" not in plan.services.disabled:
            sshd["enabled"] = False
        if se.password_authentication != bool(product.security["password_authentication"]):
            sshd["passwordAuthentication"] = se.password_authentication
        if se.permit_root_login != product.security["permit_root_login"] and not plan.accounts.root_allow_ssh:
            sshd["rootLogin"] = se.permit_root_login
        if sshd:
            out["sshd"] = sshd
        if plan.bootloader.timeout != product.bootloader.get("timeout"):
            out["bootloaderTimeout"] = plan.bootloader.timeout
        if sy.lang != product.system["lang"]:
            out["locale"] = sy.lang
        if sy.keyboard != product.system["keyboard"]:
            out["keyboard"] = sy.keyboard
        if plan.finish.action != "reboot":
            if plan.finish.action == "none":
                self.lost("no reboot/poweroff/halt command: written as the default (reboot)")
            else:
                out["finish"] = plan.finish.action
        if plan.finish.eject or plan.finish.kexec:
            self.lost("reboot --eject/--kexec: no image configuration field")
        pl = plan.payload
        if pl.source is not None:
            if pl.source.baseurl and not (pl.source.mirrorlist or pl.source.metalink):
                out["source"] = redact_urls(pl.source.baseurl)
            else:
                self.lost("url --mirrorlist/--metalink: only a base URL can be given (x-azl-install.source)")
            self._repo_options(pl.source, "url")
        repos = []
        for r in pl.repositories:
            if not r.baseurl:
                self.lost(f"repo --name={r.name}: only a base URL can be given")
                continue
            entry: dict = {"name": r.name, "baseurl": redact_urls(r.baseurl)}
            if r.install:
                entry["install"] = True
            if not r.gpgcheck:
                entry["gpgcheck"] = False
            self._repo_options(r, f"repo --name={r.name}")
            repos.append(entry)
        if repos:
            out["repositories"] = repos
        if pl.liveimg is not None:
            self.lost("liveimg: no image configuration field")
        network = []
        for dev in plan.network.devices:
            entry = {"device": dev.device, "bootproto": dev.bootproto if dev.bootproto in ("dhcp", "static")
                     else "dhcp", "ip": dev.ip, "netmask": dev.netmask, "gateway": dev.gateway,
                     "nameservers": dev.nameservers or None, "searchDomains": dev.search_domains or None,
                     "ipv6": dev.ipv6, "ipv6gateway": dev.ipv6gateway, "mtu": dev.mtu,
                     "onboot": None if dev.onboot else False, "activate": dev.activate or None}
            if dev.bootproto not in ("dhcp", "static"):
                self.lost(f"network --bootproto={dev.bootproto}: written as dhcp")
            for flag, what in ((dev.bond_slaves, "--bondslaves"), (dev.bridge_slaves, "--bridgeslaves"),
                               (dev.vlan_id is not None, "--vlanid"), (dev.noipv4, "--noipv4"),
                               (dev.noipv6, "--noipv6"), (dev.nodefroute, "--nodefroute"),
                               (dev.interface_name, "--interfacename")):
                if flag:
                    self.lost(f"network {what}: no image configuration field")
            network.append({k: v for k, v in entry.items() if v is not None})
        if network:
            out["network"] = network
        return out

    def _repo_options(self, repo, what: str) -> None:
        for flag, name in ((repo.cost is not None, "--cost"), (repo.includepkgs, "--includepkgs"),
                           (repo.excludepkgs, "--excludepkgs"), (repo.gpgkeys, "--gpgkey"),
                           (not repo.sslverify, "--noverifyssl"), (repo.proxy, "--proxy"),
                           (repo.mirrorlist or repo.metalink, "--mirrorlist/--metalink")):
            if flag:
                self.lost(f"{what} {name}: no image configuration field")


def _ident(mountpoint: str, index: int, used: set[str]) -> str:
    base = {"/": "rootfs", "/boot/efi": "esp", "biosboot": "biosboot", "swap": "swap"}.get(mountpoint)
    if base is None:
        base = mountpoint.strip("/").replace("/", "-") or f"part{index}"
    name, n = base, 2
    while name in used:
        name, n = f"{base}{n}", n + 1
    used.add(name)
    return name


class _Dumper(yaml.SafeDumper):
    """Scripts and file contents as literal blocks (|), as people write them."""


def _str(dumper: yaml.SafeDumper, value: str):
    block = "\n" in value and value.isprintable() is False and all(
        c == "\n" or c.isprintable() for c in value) and not any(line != line.rstrip() for line in value.split("\n"))
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if block else None)


_Dumper.add_representer(str, _str)


def write(plan: InstallPlan, product: Product) -> tuple[str, list[str]]:
    """(configuration text, notes on what it could not carry)."""
    w = _Writer(plan, product)
    data = w.build()
    w.notes = [n.replace("\n", "\\n") for n in w.notes]
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=100)
    head = [f"# Azure Linux Image Customizer configuration written by azl-install for {product.name}.",
            "# Passwords are stored as hashes only; x-azl-install holds what only an install needs."]
    if w.notes:
        head.append("# Not converted (no field for it in an image configuration):")
        head += [f"#   - {n}" for n in w.notes]
    return "\n".join(head) + "\n" + (body if data else "{}\n"), w.notes
