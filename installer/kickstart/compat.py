"""What azl-install does with each kickstart command, option and special value: the table the parser obeys.

installer.kickstart.parse refuses, warns about or accepts a line by looking it up here, and
tools/gen_kickstart_doc.py prints the same table into docs/kickstart.md, so the documentation
cannot drift from the behaviour. Options of a supported command that are not listed are refused
with NOT_IMPLEMENTED.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SUPPORTED = "supported"
DIFFERS = "supported with a difference"
WARNING = "warning"
REFUSED = "refused"


@dataclass(frozen=True)
class Rule:
    status: str
    reason: str = ""


def ok(reason: str = "") -> Rule:
    return Rule(SUPPORTED, reason)


def differs(reason: str) -> Rule:
    return Rule(DIFFERS, reason)


def warn(reason: str) -> Rule:
    return Rule(WARNING, reason)


def refuse(reason: str) -> Rule:
    return Rule(REFUSED, reason)


NOT_IMPLEMENTED = "not implemented yet"
X86_ONLY = "Azure Linux is installed on x86_64 and arm64 servers"
NO_GRAPHICS = "azl-install installs no graphical system"
REUSE = ("reusing existing LVM, RAID and btrfs devices is not implemented yet: the plan creates new ones "
         "(existing partitions can be reused with part --onpart)")
S390 = f"IBM Z (s390x) only; {X86_ONLY}"
REMOTE_DISKS = "network and SAN disks are not set up by azl-install: attach them before the install"
LUKS_ESCROW = "key escrow is not implemented yet"
HW_OPAL = "hardware (OPAL) encryption is not implemented yet"
SSL_CLIENT = "TLS client certificates for repositories are not implemented yet"
NOT_GIVEN = ""  # a rule without a reason: the command or option does what Anaconda's does


@dataclass(frozen=True)
class Command:
    rule: Rule
    area: str  # the plan area whose checks depend on this command (see installer.validate)
    options: dict[str, Rule] = field(default_factory=dict)  # pykickstart option dest -> rule


def _luks() -> dict[str, Rule]:
    return {name: ok() for name in ("encrypted", "passphrase", "cipher", "luks_version", "pbkdf", "pbkdf_memory",
                                      "pbkdf_time", "pbkdf_iterations")} | {
        "escrowcert": refuse(LUKS_ESCROW), "backuppassphrase": refuse(LUKS_ESCROW),
        "hw_passphrase": refuse(HW_OPAL)}


_FS = {"fstype": ok(), "fsopts": ok(), "label": ok(), "mkfsopts": ok(),
       "fsprofile": refuse("use --mkfsoptions instead"),
       "format": refuse(REUSE), "preexist": refuse(REUSE), "resize": refuse(REUSE),
       "hibernation": refuse("hibernation swap sizing is not implemented yet; give --size")}

_PART_OPTIONS = {"primOnly": ok(), "grow": ok(), "maxSizeMB": ok(), "disk": ok(), "recommended": ok(), "size": ok(),
                 "onbiosdisk": refuse("BIOS disk numbers are not used; name the disk with --ondisk"),
                 **_FS, **_luks(),
                 "onPart": ok("an existing partition (name, /dev path, UUID=, LABEL=, PARTLABEL=) on a selected disk, "
                              "not cleared by clearpart; --size/--grow/--ondisk are ignored; reformatted unless "
                              "--noformat; not with --encrypted"),
                 "format": ok("--noformat needs --onpart: the partition is mounted as it is, its data kept")}

_FINISH = {"eject": ok(), "kexec": differs("the installed system is started with a normal reboot")}

COMMANDS: dict[str, Command] = {
    # storage
    "autopart": Command(ok(), "storage", {
        "type": ok("lvm, thinp (a thin pool filling the VG, swap beside it), plain, btrfs"),
        "fstype": ok(), "nohome": differs("Azure Linux makes no separate /home by default"), "noboot": ok(),
        "noswap": ok()} | _luks()),
    "clearpart": Command(ok(), "storage", {"type": ok(), "initAll": ok(), "disklabel": ok(), "drives": ok(),
                                           "devices": ok(), "cdl": refuse("s390x DASD only")}),
    "ignoredisk": Command(ok(), "storage", {"ignoredisk": ok(), "onlyuse": ok()}),
    "zerombr": Command(ok(), "storage"),
    "reqpart": Command(ok(), "storage", {"addBoot": ok()}),
    "part": Command(ok(), "storage", _PART_OPTIONS),
    "partition": Command(ok(), "storage", _PART_OPTIONS),
    "volgroup": Command(ok(), "storage", {"pesize": ok(), "format": refuse(REUSE), "preexist": refuse(REUSE),
                                          "reserved_space": refuse(NOT_IMPLEMENTED),
                                          "reserved_percent": refuse(NOT_IMPLEMENTED)}),
    "logvol": Command(ok(), "storage", {
        "grow": ok(), "maxSizeMB": ok(), "name": ok(), "percent": ok(), "recommended": ok(), "size": ok(),
        "vgname": ok(), **_FS, **_luks(),
        "thin_pool": ok("the pool's mountpoint is 'none'"), "thin_volume": differs("needs --poolname"),
        "pool_name": ok(), "chunk_size": ok(), "metadata_size": ok(),
        "profile": refuse("LVM allocation profiles are not implemented yet"),
        **{name: refuse("LVM cache is not implemented yet") for name in
           ("cache_size", "cache_mode", "cache_pvs")}}),
    "raid": Command(ok(), "storage", {
        "device": ok(), "level": ok(), "fstype": ok(), "fsopts": ok(), "label": ok(), "mkfsopts": refuse(NOT_IMPLEMENTED),
        "spares": refuse(NOT_IMPLEMENTED), "chunk_size": ok(),
        "format": refuse(REUSE), "preexist": refuse(REUSE), "fsprofile": refuse("use --mkfsoptions instead")}
        | _luks()),
    "btrfs": Command(ok(), "storage", {"label": ok(), "dataLevel": ok(), "metaDataLevel": ok(), "subvol": ok(),
                                       "parent": differs("a LABEL= parent must name a btrfs line of this kickstart"),
                                       "name": ok(), "format": refuse(REUSE), "preexist": refuse(REUSE),
                                       "mkfsopts": refuse(NOT_IMPLEMENTED)}),
    "mount": Command(refuse(REUSE), "storage"),
    "snapshot": Command(refuse("LVM thin snapshots are not implemented yet"), "storage"),
    "iscsi": Command(refuse(REMOTE_DISKS), "storage"),
    "iscsiname": Command(refuse(REMOTE_DISKS), "storage"),
    "fcoe": Command(refuse(REMOTE_DISKS), "storage"),
    "zfcp": Command(refuse(S390), "storage"),
    "nvdimm": Command(refuse("NVDIMM namespaces are not set up by azl-install"), "storage"),
    # payload
    "url": Command(ok(), "payload", {"url": ok(), "mirrorlist": ok(), "metalink": ok(), "proxy": ok(),
                                     "noverifyssl": ok(), "nogpgcheck": ok("azl-install extension"),
                                     "gpgkey": ok("azl-install extension"),
                                     "sslcacert": refuse(SSL_CLIENT), "sslclientcert": refuse(SSL_CLIENT),
                                     "sslclientkey": refuse(SSL_CLIENT)}),
    "cdrom": Command(differs("installs from the Azure Linux medium the system booted from"), "payload"),
    "repo": Command(ok(), "payload", {name: ok() for name in (
        "name", "baseurl", "mirrorlist", "metalink", "cost", "includepkgs", "excludepkgs", "proxy", "noverifyssl",
        "install")} | {"nogpgcheck": ok("azl-install extension"), "gpgkey": ok("azl-install extension"),
                       "sslcacert": refuse(SSL_CLIENT), "sslclientcert": refuse(SSL_CLIENT),
                       "sslclientkey": refuse(SSL_CLIENT)}),
    "liveimg": Command(ok(), "payload", {"url": ok(), "proxy": ok(), "noverifyssl": ok(), "checksum": ok()}),
    "harddrive": Command(refuse("installing from a disk partition is not implemented: use url or the medium"),
                         "payload"),
    "nfs": Command(refuse("use 'url --url=nfs:SERVER:/PATH'"), "payload"),
    "ostreesetup": Command(refuse("Azure Linux is installed from RPM packages, not from an OSTree repository"),
                           "payload"),
    "ostreecontainer": Command(refuse("Azure Linux is installed from RPM packages, not from an OSTree container"),
                               "payload"),
    "bootc": Command(refuse("Azure Linux is installed from RPM packages, not from a bootc image"), "payload"),
    "module": Command(refuse("Azure Linux has no module streams"), "payload"),
    "updates": Command(refuse("installer updates images are not used by azl-install"), "payload"),
    "driverdisk": Command(refuse("driver disks are not supported: the kernel on the medium carries the drivers"),
                          "payload"),
    # system
    "bootloader": Command(ok(), "bootloader", {
        "appendLine": ok(), "location": ok(), "password": ok(), "isCrypted": ok(), "driveorder": ok(),
        "timeout": ok(), "bootDrive": ok(), "disabled": ok(),
        "default": refuse(NOT_IMPLEMENTED), "leavebootorder": refuse(NOT_IMPLEMENTED),
        "_md5pass": refuse("MD5 boot loader passwords are obsolete: use --iscrypted --password=grub.pbkdf2..."),
        "extlinux": refuse("azl-install installs GRUB"), "sdboot": refuse("azl-install installs GRUB"),
        "nombr": refuse(NOT_IMPLEMENTED)}),
    "zipl": Command(refuse(S390), "bootloader"),
    "network": Command(ok(), "network", {
        **{name: ok() for name in ("bootProto", "device", "gateway", "hostname", "ip", "mtu", "nameserver",
                                   "netmask", "onboot", "noipv4", "noipv6", "ipv6", "activate", "nodefroute",
                                   "bondslaves", "bondopts", "vlanid", "ipv6gateway", "interfacename",
                                   "ipv4_dns_search", "ipv6_dns_search")},
        "teamslaves": refuse("network teaming was removed from NetworkManager: use --bondslaves"),
        "teamconfig": refuse("network teaming was removed from NetworkManager: use --bondopts"),
        "essid": refuse("wireless networks are not configured by azl-install"),
        "wepkey": refuse("wireless networks are not configured by azl-install"),
        "wpakey": refuse("wireless networks are not configured by azl-install"),
        "dhcpclass": refuse(NOT_IMPLEMENTED), "ethtool": refuse(NOT_IMPLEMENTED), "nodns": refuse(NOT_IMPLEMENTED),
        "notksdevice": refuse(NOT_IMPLEMENTED), "bridgeslaves": ok(),
        "bridgeopts": ok("comma-separated NetworkManager bridge settings (stp, priority, forward-delay, ...)"), "bindto": refuse(NOT_IMPLEMENTED),
        "ipv4_ignore_auto_dns": refuse(NOT_IMPLEMENTED), "ipv6_ignore_auto_dns": refuse(NOT_IMPLEMENTED)}),
    "timezone": Command(ok(), "system", {"isUtc": ok(), "nontp": ok("deprecated: prefer timesource --ntp-disable"),
                                         "ntpservers": ok("deprecated: prefer timesource --ntp-server")}),
    "timesource": Command(ok(), "system", {"ntp_server": ok(), "ntp_pool": ok(), "ntp_disable": ok(),
                                           "nts": ok("written as chrony's 'nts' option")}),
    "lang": Command(differs("a short id (en, cs, en_US) means its default locale (en_US.UTF-8); the locale must "
                            "exist in Azure Linux"), "system", {"addsupport": ok()}),
    "keyboard": Command(ok(), "system", {"vc_keymap": ok(), "x_layouts": differs(
        "only the console keymap is written; 'cz (qwerty)' sets it to cz-qwerty"),
        "switch_options": warn(f"has no effect: layout switching is for graphical sessions; {NO_GRAPHICS}")}),
    "selinux": Command(ok(), "security", {"selinux": ok()}),
    "firewall": Command(ok(), "security", {"enabled": ok(), "ports": ok(), "trusts": ok(),
                                           "services": differs("names must be firewalld services Azure Linux "
                                                               "ships (ssh, not sshd)"),
                                           "remove_services": ok(), "use_system_defaults": ok()}),
    "services": Command(ok(), "services", {"enabled": ok(), "disabled": ok()}),
    "authselect": Command(refuse("not implemented yet: run authselect in %post"), "accounts"),
    "realm": Command(refuse("joining a domain is not implemented yet: run realm join in %post"),
                     "accounts"),
    "logging": Command(refuse("remote installer logging is not implemented yet"), "system"),
    # accounts
    "rootpw": Command(ok(), "accounts", {"isCrypted": ok(), "lock": differs(
        "'rootpw --lock' with no usable password (e.g. '--iscrypted locked') locks root with no password"),
        "allow_ssh": ok()}),
    "user": Command(ok(), "accounts", {name: ok() for name in (
        "name", "groups", "password", "isCrypted", "homedir", "shell", "uid", "gid", "gecos", "lock")}),
    "group": Command(refuse("not implemented yet: use 'user --groups' or groupadd in %post"),
                     "accounts"),
    "sshkey": Command(ok(), "accounts", {"username": ok()}),
    "sshpw": Command(differs("an account for SSH into the installer (inst.sshd) only, as in Anaconda: the "
                             "installed system does not get it"), "accounts",
                     {name: ok() for name in ("username", "isCrypted", "lock", "password", "sshkey")}),
    "sshd": Command(ok("azl-install extension: the SSH server's policy"), "security",
                    {"enabled": ok(), "password_auth": ok(), "root_login": ok()}),
    # installer behaviour
    "reboot": Command(ok(), "finish", _FINISH),
    "poweroff": Command(ok(), "finish", _FINISH),
    "halt": Command(ok(), "finish", _FINISH),
    "shutdown": Command(ok(), "finish", _FINISH),
    "text": Command(ok(), "finish", {"nonInteractive": ok()}),
    "cmdline": Command(ok(), "finish", {"nonInteractive": ok()}),
    "graphical": Command(warn("is treated as 'text': azl-install has no graphical interface"), "finish",
                         {"nonInteractive": ok()}),
    "skipx": Command(warn(f"has no effect: {NO_GRAPHICS}"), "system"),
    "xconfig": Command(refuse(NO_GRAPHICS), "system"),
    "vnc": Command(refuse("azl-install has no graphical interface to share"), "system"),
    "rdp": Command(refuse("azl-install has no graphical interface to share"), "system"),
    "eula": Command(warn("has no effect: Azure Linux has no license agreement to accept"), "system",
                    {"agreed": ok()}),
    "mediacheck": Command(warn("has no effect: verify the medium from the boot menu instead"), "system"),
    "firstboot": Command(ok(), "system", {"firstboot": differs(
        "--disable is accepted with a warning; --enable and --reconfig are refused: Azure Linux has no "
        "first-boot setup tool (initial-setup)")}),
    "rescue": Command(refuse("rescue mode is not part of azl-install: boot the medium's shell instead"), "system"),
    "hmc": Command(refuse(S390), "system"),
}

# Commands pykickstart keeps only to say they were removed: what replaces them.
REMOVED: dict[str, str] = {
    "install": "was removed from kickstart (Fedora 34): installing is the default, delete the line",
    "auth": "was removed from kickstart (Fedora 35): shadow passwords with SHA-512 are the default; "
            "for other settings run authselect in %post",
    "authconfig": "was removed from kickstart (Fedora 35): shadow passwords with SHA-512 are the default; "
                  "for other settings run authselect in %post",
    "autostep": "was removed from kickstart (Fedora 40): delete the line",
    "device": "was removed from kickstart (Fedora 34): the kernel loads drivers itself; delete the line",
    "deviceprobe": "was removed from kickstart (Fedora 34): delete the line",
    "dmraid": "was removed from kickstart (Fedora 34): use mdraid ('raid') instead",
    "method": "was removed from kickstart (Fedora 40): use url, cdrom or liveimg",
    "multipath": "was removed from kickstart (Fedora 34): multipath devices are found without it",
}

# Sections: what azl-install does with their content.
SECTIONS: dict[str, Rule] = {
    "%pre": ok(), "%pre-install": ok(), "%post": ok(), "%onerror": ok(),
    "%traceback": ok("runs when the install fails, like %onerror"),
    "%packages": differs("groups are Azure Linux package sets; well-known Fedora/RHEL groups are mapped to them"),
    "%anaconda": warn("has no effect: it configures Anaconda's interface"),
    "%certificate": refuse("not implemented yet: copy certificates in %post"),
    "%addon": refuse("add-ons are Anaconda plug-ins; azl-install has none (see the add-ons below)"),
}

# %addon NAME: the known add-ons.
ADDONS: dict[str, Rule] = {
    "com_redhat_kdump --disable": warn("has no effect: kdump stays off, azl-install does not set it up"),
    "com_redhat_kdump": refuse("kdump is not set up by azl-install: install kdump-utils and enable kdump in %post"),
    "org_fedora_oscap": refuse("security profiles (OpenSCAP) are not applied by azl-install: run oscap in %post"),
    "com_redhat_subscription_manager": refuse("Red Hat subscriptions do not apply to Azure Linux"),
}
UNKNOWN_ADDON = refuse("unknown add-on: azl-install has no Anaconda add-ons")

# Special values of an option: (command, what) -> rule.
VALUES: dict[tuple[str, str], Rule] = {
    ("part", "prepboot"): refuse(f"PReP boot partitions are for POWER (ppc64le), not x86_64; {X86_ONLY}"),
    ("part", "--fstype=tmpfs"): refuse("tmpfs is not a disk partition: add it to /etc/fstab in %post "
                                       "(or enable tmp.mount)"),
    ("firstboot", "--enable"): refuse("Azure Linux has no first-boot setup tool (initial-setup)"),
    ("firstboot", "--reconfig"): refuse("Azure Linux has no first-boot setup tool (initial-setup)"),
    ("firstboot", "--disable"): warn("has no effect: Azure Linux has no first-boot setup tool"),
    ("%packages", "@group --optional/--nodefaults"): refuse(
        "Azure Linux package sets have no optional members"),
    ("%packages", "@module:stream"): refuse("Azure Linux has no module streams"),
    ("%packages", "--ignorebroken"): refuse("installing with broken dependencies is not allowed"),
    ("%packages", "@fedora-group"): warn("a well-known Fedora/RHEL group or environment is replaced by the "
                                         "Azure Linux package set the product maps it to"),
}


def command(name: str) -> Command | None:
    return COMMANDS.get(name)


def option_rule(name: str, dest: str) -> Rule:
    """How azl-install treats option `dest` of command `name` (an unlisted option is refused)."""
    cmd = COMMANDS.get(name)
    if cmd is None:
        return refuse(NOT_IMPLEMENTED)
    if cmd.rule.status == REFUSED:
        return cmd.rule
    if cmd.rule.status == WARNING and dest not in cmd.options:
        return cmd.rule
    return cmd.options.get(dest, refuse(NOT_IMPLEMENTED))


def addon_rule(args: list[str]) -> tuple[str, Rule]:
    """(label, rule) for a `%addon NAME [options]` header."""
    name = args[1] if len(args) > 1 else ""
    if name == "com_redhat_kdump" and "--disable" in args[2:] and "--enable" not in args[2:]:
        return f"%addon {name} --disable", ADDONS["com_redhat_kdump --disable"]
    return f"%addon {name}".strip(), ADDONS.get(name, UNKNOWN_ADDON)


def refusal(label: str, rule: Rule) -> str:
    """The message for a refused command, option or value: names it and says why."""
    return f"'{label}' is not supported by azl-install: {rule.reason}" if rule.reason else \
        f"'{label}' is not supported by azl-install"


def warning(label: str, rule: Rule) -> str:
    return f"'{label}' {rule.reason}"


def reasons() -> set[str]:
    """Every reason the table can give (the compatibility test checks refusals against these)."""
    rules: list[Rule] = []
    for cmd in COMMANDS.values():
        rules.append(cmd.rule)
        rules.extend(cmd.options.values())
    rules += list(SECTIONS.values()) + list(ADDONS.values()) + [UNKNOWN_ADDON] + list(VALUES.values())
    found = {r.reason for r in rules if r.reason} | set(REMOVED.values()) | {NOT_IMPLEMENTED}
    return found
