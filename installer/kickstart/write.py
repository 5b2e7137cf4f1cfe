"""Writing kickstarts: an InstallPlan as a kickstart that parses back to an equal plan (write), and
the kickstart the install was given, as written, without its secrets (write_original).

Passwords are written only as hashes (--iscrypted). LUKS passphrases are never written:
the volume keeps --encrypted and a comment says the passphrase was removed.
Values are quoted with shlex, which is how pykickstart splits lines back.
"""

from __future__ import annotations

import shlex

from installer.model.defaults import new_plan
from installer.model.plan import (
    ClearPart,
    Encryption,
    InstallPlan,
    NetworkDevice,
    Repository,
    Script,
    secret_values,
)
from installer.model.product import Product
from installer.model.secrets import Redactor, redact_urls, url_password

PASSPHRASE_REMOVED = "# LUKS passphrase not stored: add --passphrase= (or type it at the console) to replay this line"


def _q(value) -> str:
    text = str(value)
    if len(text.splitlines()) > 1 or text.endswith(("\n", "\r")):
        raise ValueError(f"cannot write a kickstart value containing a line break: {text[:40]!r}")
    return shlex.quote(text)


def _opt(name: str, value) -> str:
    return f"{name}={_q(value)}"


def _url_opt(name: str, value: str) -> str:
    """A URL option without the URL's password (a saved kickstart holds no secret)."""
    return _opt(name, redact_urls(value))


class _Writer:
    def __init__(self, plan: InstallPlan, product: Product):
        self.plan = plan
        self.product = product
        self.defaults = new_plan(product)
        self.out: list[str] = []
        self._redactor: Redactor | None = None

    def line(self, *words: str) -> None:
        self.out.append(" ".join(w for w in words if w))

    def comment(self, text: str) -> None:
        self.out.append(f"# {text}")

    def blank(self) -> None:
        if self.out and self.out[-1] != "":
            self.out.append("")

    # -- sections of the file

    def header(self) -> None:
        self.comment(f"Kickstart written by azl-install for {self.product.name} {self.product.version} "
                     f"(kickstart syntax {self.product.kickstart_version}).")
        self.comment("Passwords are stored as hashes only; LUKS passphrases are never written.")
        self.blank()
        self.line("text" if self.plan.interactive else "cmdline")

    def system(self) -> None:
        sy = self.plan.system
        self.blank()
        self.line("lang", _q(sy.lang), _opt("--addsupport", ",".join(sy.lang_support)) if sy.lang_support else "")
        self.line("keyboard", _opt("--vckeymap", sy.keyboard),
                  _opt("--xlayouts", ",".join(sy.x_layouts)) if sy.x_layouts else "")
        self.line("timezone", _q(sy.timezone), "--utc" if sy.utc else "")
        if sy.nontp:
            self.line("timesource", "--ntp-disable")
        for server in sy.ntp_servers:
            self.line("timesource", _opt("--ntp-server", server), "--nts" if server in sy.ntp_nts else "")
        for pool in sy.ntp_pools:
            self.line("timesource", _opt("--ntp-pool", pool), "--nts" if pool in sy.ntp_nts else "")

    def network(self) -> None:
        self.blank()
        for dev in self.plan.network.devices:
            self.line("network", *self.device_options(dev))
        hostname = self.plan.system.hostname
        last = next((d.hostname for d in reversed(self.plan.network.devices) if d.hostname), None)
        if hostname and hostname != last:
            self.line("network", _opt("--hostname", hostname))

    @staticmethod
    def device_options(dev: NetworkDevice) -> list[str]:
        opts = [_opt("--device", dev.device) if dev.device else "", _opt("--bootproto", dev.bootproto)]
        for name, value in (("--ip", dev.ip), ("--netmask", dev.netmask), ("--gateway", dev.gateway),
                            ("--ipv6", dev.ipv6), ("--ipv6gateway", dev.ipv6gateway),
                            ("--hostname", dev.hostname), ("--bondopts", dev.bond_opts),
                            ("--bridgeopts", dev.bridge_opts),
                            ("--interfacename", dev.interface_name)):
            if value:
                opts.append(_opt(name, value))
        for name, values in (("--nameserver", dev.nameservers), ("--ipv4-dns-search", dev.search_domains),
                             ("--bondslaves", dev.bond_slaves), ("--bridgeslaves", dev.bridge_slaves)):
            if values:
                opts.append(_opt(name, ",".join(values)))
        if dev.mtu is not None:
            opts.append(_opt("--mtu", dev.mtu))
        if dev.vlan_id is not None:
            opts.append(_opt("--vlanid", dev.vlan_id))
        if not dev.onboot:
            opts.append("--onboot=off")
        for flag, on in (("--activate", dev.activate), ("--noipv4", dev.noipv4), ("--noipv6", dev.noipv6),
                         ("--nodefroute", dev.nodefroute)):
            if on:
                opts.append(flag)
        return opts

    def accounts(self) -> None:
        ac = self.plan.accounts
        self.blank()
        flags = ["--lock" if ac.root_lock else "", "--allow-ssh" if ac.root_allow_ssh else ""]
        if ac.root_password_hash:
            self.line("rootpw", "--iscrypted", *flags, _q(ac.root_password_hash))
        elif ac.root_lock:
            self.line("rootpw", *flags)
        for user in ac.users:
            self.line("user", _opt("--name", user.name),
                      _opt("--groups", ",".join(user.groups)) if user.groups else "",
                      "--iscrypted" if user.password_hash else "",
                      _opt("--password", user.password_hash) if user.password_hash else "",
                      _opt("--homedir", user.homedir) if user.homedir else "",
                      _opt("--shell", user.shell) if user.shell else "",
                      _opt("--uid", user.uid) if user.uid is not None else "",
                      _opt("--gid", user.gid) if user.gid is not None else "",
                      _opt("--gecos", user.gecos) if user.gecos else "",
                      "--lock" if user.lock else "")
        for key in ac.ssh_keys:
            self.line("sshkey", _opt("--username", key.username), _q(key.key))

    def security(self) -> None:
        se = self.plan.security
        self.blank()
        self.line("selinux", f"--{se.selinux}")
        fw = se.firewall
        opts = ["--enabled" if fw.enabled else "--disabled"]
        for name, values in (("--service", fw.services), ("--remove-service", fw.remove_services),
                             ("--port", fw.ports), ("--trust", fw.trusted)):
            if values:
                opts.append(_opt(name, ",".join(values)))
        if fw.use_system_defaults:
            opts.append("--use-system-defaults")
        self.line("firewall", *opts)
        sv = self.plan.services
        if (sv.enabled or sv.disabled) and (sv.enabled != self.defaults.services.enabled or sv.disabled):
            self.line("services", _opt("--enabled", ",".join(sv.enabled)) if sv.enabled else "",
                      _opt("--disabled", ",".join(sv.disabled)) if sv.disabled else "")
        self.sshd()

    def sshd(self) -> None:
        """The `sshd` extension line, only for what differs from the defaults and other lines."""
        se = self.plan.security
        opts = []
        if not se.sshd_enabled and "sshd" not in self.plan.services.disabled:
            opts.append("--disabled")
        if se.password_authentication != self.defaults.security.password_authentication:
            opts.append(_opt("--password-auth", "yes" if se.password_authentication else "no"))
        if self.plan.accounts.root_allow_ssh:
            if se.permit_root_login != "yes":
                self.comment(f"sshd root login: yes (rootpw --allow-ssh overrides {se.permit_root_login!r})")
        elif se.permit_root_login != self.defaults.security.permit_root_login:
            opts.append(_opt("--root-login", se.permit_root_login))
        if opts:
            self.line("sshd", *opts)

    def payload(self) -> None:
        pl = self.plan.payload
        self.blank()
        if any(url_password(u) for r in [pl.source, *pl.repositories, pl.liveimg] if r is not None
               for u in (getattr(r, "baseurl", None), getattr(r, "mirrorlist", None), getattr(r, "metalink", None),
                         getattr(r, "url", None), r.proxy, *getattr(r, "gpgkeys", ())) if u):
            self.comment("URL passwords are not stored (user:***@): put them back to replay this kickstart")
        if not pl.gpgcheck:
            self.comment("GPG checking of packages was turned off for this install (no kickstart syntax for it)")
        if pl.source is not None:
            self.line("url", *self.repo_location(pl.source, "--url"),
                      _url_opt("--proxy", pl.source.proxy) if pl.source.proxy else "",
                      "--noverifyssl" if not pl.source.sslverify else "", *self.gpg(pl.source))
        for repo in pl.repositories:
            self.line("repo", _opt("--name", repo.name), *self.repo_location(repo, "--baseurl"), *self.gpg(repo),
                      _opt("--cost", repo.cost) if repo.cost is not None else "",
                      _opt("--includepkgs", ",".join(repo.includepkgs)) if repo.includepkgs else "",
                      _opt("--excludepkgs", ",".join(repo.excludepkgs)) if repo.excludepkgs else "",
                      _url_opt("--proxy", repo.proxy) if repo.proxy else "",
                      "--noverifyssl" if not repo.sslverify else "",
                      "--install" if repo.install else "")
        if pl.liveimg is not None:
            li = pl.liveimg
            self.line("liveimg", _url_opt("--url", li.url), _opt("--checksum", li.checksum) if li.checksum else "",
                      "--noverifyssl" if li.noverifyssl else "", _url_opt("--proxy", li.proxy) if li.proxy else "")

    @staticmethod
    def gpg(repo: Repository) -> list[str]:
        return ["--nogpgcheck" if not repo.gpgcheck else "",
                _url_opt("--gpgkey", ",".join(repo.gpgkeys)) if repo.gpgkeys else ""]

    @staticmethod
    def repo_location(repo: Repository, url_option: str) -> list[str]:
        if repo.baseurl:
            return [_url_opt(url_option, repo.baseurl)]
        if repo.mirrorlist:
            return [_url_opt("--mirrorlist", repo.mirrorlist)]
        if repo.metalink:
            return [_url_opt("--metalink", repo.metalink)]
        return []

    @staticmethod
    def thin(lv) -> list[str]:
        if lv.thin_pool:
            return ["--thinpool", _opt("--chunksize", lv.pool_chunk_kib) if lv.pool_chunk_kib else "",
                    _opt("--metadatasize", lv.pool_metadata_mib) if lv.pool_metadata_mib else ""]
        return ["--thin", _opt("--poolname", lv.pool_name)] if lv.pool_name else []

    def bootloader(self) -> None:
        bl = self.plan.bootloader
        self.blank()
        opts = [_opt("--location", bl.location)]
        if bl.boot_drive:
            opts.append(_opt("--boot-drive", bl.boot_drive))
        if bl.driveorder:
            opts.append(_opt("--driveorder", ",".join(bl.driveorder)))
        if bl.append:
            opts.append(_opt("--append", bl.append))
        if bl.timeout is not None:
            opts.append(_opt("--timeout", bl.timeout))
        if bl.password_hash:
            opts += ["--iscrypted", _opt("--password", bl.password_hash)]
        if bl.disabled:
            opts.append("--disabled")
        self.line("bootloader", *opts)

    # -- storage

    def encryption(self, encrypted: bool, enc: Encryption | None) -> list[str]:
        if not encrypted:
            return []
        opts = ["--encrypted"]
        if enc is None:
            return opts
        opts.append(_opt("--luks-version", enc.luks_version))
        for name, value in (("--cipher", enc.cipher), ("--pbkdf", enc.pbkdf), ("--pbkdf-memory", enc.pbkdf_memory),
                            ("--pbkdf-time", enc.pbkdf_time), ("--pbkdf-iterations", enc.pbkdf_iterations)):
            if value:
                opts.append(_opt(name, value))
        return opts

    def passphrase_note(self, encrypted: bool) -> None:
        if encrypted:
            self.out.append(PASSPHRASE_REMOVED)

    @staticmethod
    def fs_options(fstype, label, fsoptions, mkfsoptions=None) -> list[str]:
        return [_opt("--fstype", fstype) if fstype else "", _opt("--label", label) if label else "",
                _opt("--fsoptions", fsoptions) if fsoptions else "",
                _opt("--mkfsoptions", mkfsoptions) if mkfsoptions else ""]

    @staticmethod
    def sizes(size, grow, maxsize, recommended, percent=None) -> list[str]:
        return [_opt("--size", size) if size is not None else "", _opt("--percent", percent) if percent else "",
                "--grow" if grow else "", _opt("--maxsize", maxsize) if maxsize else "",
                "--recommended" if recommended else ""]

    def storage(self) -> None:
        st = self.plan.storage
        self.blank()
        if st.selected_disks:
            self.line("ignoredisk", _opt("--only-use", ",".join(st.selected_disks)))
            if st.ignored_disks:
                self.comment(f"also ignored (implied by --only-use): {', '.join(st.ignored_disks)}")
        elif st.ignored_disks:
            self.line("ignoredisk", _opt("--drives", ",".join(st.ignored_disks)))
        if st.zerombr:
            self.line("zerombr")
        cp = st.clearpart
        if cp != ClearPart():
            mode = _opt("--list", ",".join(cp.partitions)) if cp.mode == "list" else f"--{cp.mode}"
            self.line("clearpart", mode, _opt("--drives", ",".join(cp.drives)) if cp.drives else "",
                      "--initlabel" if cp.initlabel else "",
                      _opt("--disklabel", cp.disklabel) if cp.disklabel else "")
        if st.reqpart:
            self.line("reqpart", "--add-boot" if st.reqpart_add_boot else "")
        ap = st.autopart
        if ap is not None:
            self.passphrase_note(ap.encrypted)
            self.line("autopart", _opt("--type", ap.scheme), _opt("--fstype", ap.fstype) if ap.fstype else "",
                      "--nohome" if ap.nohome else "", "--noswap" if ap.noswap else "",
                      "--noboot" if ap.noboot else "", *self.encryption(ap.encrypted, ap.encryption))
        for p in st.partitions:
            self.passphrase_note(p.encrypted)
            if p.onpart:  # an existing partition: where it is and whether its data is kept, no size
                self.line("part", _q(p.mountpoint), _opt("--onpart", p.onpart), "--noformat" if p.noformat else "",
                          *self.fs_options(p.fstype, p.label, p.fsoptions, p.mkfsoptions))
                continue
            self.line("part", _q(p.mountpoint), *self.sizes(p.size_mib, p.grow, p.maxsize_mib, p.recommended),
                      *self.fs_options(p.fstype, p.label, p.fsoptions, p.mkfsoptions),
                      _opt("--ondisk", p.ondisk) if p.ondisk else "", "--asprimary" if p.asprimary else "",
                      *self.encryption(p.encrypted, p.encryption))
        for r in st.raids:
            self.passphrase_note(r.encrypted)
            self.line("raid", _q(r.mountpoint), _opt("--device", r.device), _opt("--level", r.level.upper()),
                      _opt("--chunksize", r.chunk_size_kib) if r.chunk_size_kib else "",
                      *self.fs_options(r.fstype, r.label, r.fsoptions),
                      *self.encryption(r.encrypted, r.encryption), *(_q(m) for m in r.members))
        for vg in st.volgroups:
            self.line("volgroup", _q(vg.name), _opt("--pesize", vg.pesize_kib) if vg.pesize_kib else "",
                      *(_q(pv) for pv in vg.physvols))
        for lv in st.logvols:
            self.passphrase_note(lv.encrypted)
            self.line("logvol", _q(lv.mountpoint), _opt("--vgname", lv.vgname), _opt("--name", lv.name),
                      *self.sizes(lv.size_mib, lv.grow, lv.maxsize_mib, lv.recommended, lv.percent),
                      *self.fs_options(lv.fstype, lv.label, lv.fsoptions, lv.mkfsoptions),
                      *self.encryption(lv.encrypted, lv.encryption), *self.thin(lv))
        for b in st.btrfs:
            mountpoint = _q(b.mountpoint) if b.mountpoint else "none"
            if b.subvol:
                self.line("btrfs", mountpoint, "--subvol", _opt("--name", b.name) if b.name else "",
                          _q(b.parent) if b.parent else "", *(_q(m) for m in b.members))
            else:
                self.line("btrfs", mountpoint, _opt("--data", b.data_level) if b.data_level else "",
                          _opt("--metadata", b.metadata_level) if b.metadata_level else "",
                          _opt("--label", b.label) if b.label else "", *(_q(m) for m in b.members))

    def finish(self) -> None:
        fin = self.plan.finish
        if fin.action in ("reboot", "poweroff", "halt", "shutdown"):
            self.blank()
            self.line(fin.action, "--eject" if fin.eject else "", "--kexec" if fin.kexec else "")

    def packages(self) -> None:
        sel = self.plan.payload.packages
        if self.plan.payload.liveimg is not None and sel == self.defaults.payload.packages:
            return  # a liveimg install takes no packages; don't invent a selection
        opts = ["--nocore" if sel.nocore else "", "--excludedocs" if sel.excludedocs else "",
                "--ignoremissing" if sel.ignoremissing else "", "--exclude-weakdeps" if sel.exclude_weakdeps else "",
                _opt("--inst-langs", sel.inst_langs) if sel.inst_langs is not None else "",
                "--multilib" if sel.multilib else "",
                _opt("--timeout", sel.timeout) if sel.timeout is not None else "",
                _opt("--retries", sel.retries) if sel.retries is not None else ""]
        self.blank()
        self.line("%packages", *opts)
        if sel.environment:
            self.out.append(f"@^{sel.environment}")
        self.out += [f"@{name}" for name in sel.sets]
        self.out += [f"@{name}" for name in sel.groups]
        self.out += list(sel.packages)
        self.out += [f"-@{name}" for name in sel.excluded_groups]
        self.out += [f"-{name}" for name in sel.excluded_packages]
        self.out.append("%end")

    def scripts(self) -> None:
        for script in self.plan.scripts:
            self.blank()
            self.script(script)

    def script(self, s: Script) -> None:
        opts = [_opt("--interpreter", s.interpreter) if s.interpreter and s.interpreter != "/bin/sh" else "",
                "--nochroot" if s.kind == "post" and not s.chroot else "",
                _opt("--log", s.log) if s.log else "", "--erroronfail" if s.erroronfail else ""]
        self.line(f"%{s.kind}", *opts)
        if s.body:
            body = s.body[:-1] if s.body.endswith("\n") else s.body
            self.out.append(self.hide(body))
        self.out.append("%end")

    def hide(self, text: str) -> str:
        """Free text (a script) without the plan's secrets: a script may repeat a kickstart password."""
        if self._redactor is None:
            self._redactor = Redactor(secret_values(self.plan))
        return redact_urls(self._redactor.redact(text))

    def write(self) -> str:
        self.header()
        for part in (self.system, self.network, self.accounts, self.security, self.payload, self.bootloader,
                     self.storage, self.finish, self.packages, self.scripts):
            part()
        return "\n".join(self.out).rstrip("\n") + "\n"


def write(plan: InstallPlan, product: Product) -> str:
    return _Writer(plan, product).write()


# ---------------------------------------------------------------- the original kickstart

ORIGINAL_HEADER = ("# The kickstart given to azl-install ({file}), as written, except that passwords,\n"
                   "# passphrases and URL passwords were removed: this file cannot replay the install as is.")


def write_original(text: str, filename: str, product: Product, *, secrets=()) -> str:
    """The input kickstart line for line, each command line that holds a secret rewritten without it.

    Which words are secrets is decided by structure: every command line is parsed by its command's
    own option parser (installer.kickstart.parse.strip_secrets), so any spelling pykickstart accepts
    (abbreviated options, `--opt value`, quotes, tabs) is found. A command line that cannot be
    split into words is dropped. Last, every secret found (and `secrets`, from the included files)
    is hidden wherever else it appears, comments and scripts included.
    """
    from installer.kickstart import parse
    from installer.kickstart.source import expand
    from installer.model.secrets import Redactor, redact_urls

    source = expand(text, filename, follow=False)
    parsed = parse.run(source, product.kickstart_version)
    found = list(secrets)
    out = [ORIGINAL_HEADER.format(file=filename)]
    if parsed.handler is None:
        out.append("# its text is not saved: azl-install cannot parse it again to take the secrets out")
        return "\n".join(out) + "\n"
    # fail closed: lines the parser never reached are not known to be free of secrets
    last = parsed.stopped_at
    for lineno, line in enumerate(text.splitlines(), 1):
        if last is not None and lineno >= last:
            out.append(f"# lines {lineno} and after not saved: reading the kickstart stopped at line {last}")
            break
        if lineno in parsed.unsplit:
            out.append(f"# line {lineno} removed by azl-install: it cannot be split into words and may hold a secret")
            continue
        args = parsed.commands.get(lineno)
        if args is None:
            out.append(line)
            continue
        stripped = parse.strip_secrets(parsed.handler, args)
        found += stripped.secrets
        if not stripped.removed and stripped.args == args:
            out.append(line)
            continue
        if stripped.removed:
            out.append(f"# {args[0]}: {', '.join(stripped.removed)} removed by azl-install (secrets are never saved)")
        out.append(" ".join(_q(word) for word in stripped.args))
    result = "\n".join(out) + "\n"
    return redact_urls(Redactor(found).redact(result))
