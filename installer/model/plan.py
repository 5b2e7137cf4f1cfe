"""The install plan: everything the installer will do, as plain data.

Every section is a dataclass derived from Tracked, which remembers where each
field's value came from (a kickstart line, the product default, the TUI). List
items (partitions, users, scripts...) carry their own `origin`.
Secrets are held in Secret objects that never print their value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from installer.model.secrets import Redactor, redact_urls


@dataclass(frozen=True)
class Origin:
    source: str  # "kickstart", "product", "tui", "boot", "default"
    file: str | None = None
    line: int | None = None
    column: int | None = None  # YAML (image configuration) only: FILE:LINE:COLUMN

    def __str__(self) -> str:
        if self.file is not None and self.line is not None and self.column is not None:
            return f"{self.file}:{self.line}:{self.column}"
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}"
        if self.file is not None:
            return self.file
        return self.source

    @classmethod
    def kickstart(cls, file: str, line: int | None) -> "Origin":
        return cls("kickstart", file, line)


DEFAULT = Origin("default")
PRODUCT = Origin("product")
TUI = Origin("tui")


class Secret:
    """A plaintext secret (LUKS passphrase). Its value never reaches repr, str or JSON."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret(***)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(kw_only=True)
class Tracked:
    origins: dict[str, Origin] = field(default_factory=dict, compare=False, repr=False)

    def set(self, name: str, value: Any, origin: Origin) -> None:
        if name not in {f.name for f in dataclasses.fields(self)}:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        setattr(self, name, value)
        self.origins[name] = origin

    def origin_of(self, name: str) -> Origin | None:
        return self.origins.get(name)


@dataclass(kw_only=True)
class Item:
    """A list element (a partition, a user, a script) and the line that declared it."""

    origin: Origin = field(default=DEFAULT, compare=False, repr=False)


# ---------------------------------------------------------------- storage

@dataclass(kw_only=True)
class Encryption:
    passphrase: Secret | None = None
    luks_version: str = "luks2"
    cipher: str | None = None
    pbkdf: str | None = None  # argon2id, argon2i, pbkdf2
    pbkdf_memory: int | None = None  # KiB
    pbkdf_time: int | None = None  # ms
    pbkdf_iterations: int | None = None


@dataclass(kw_only=True)
class ClearPart(Tracked):
    mode: str = "none"  # none | all | linux | list
    drives: list[str] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)  # for mode == "list"
    initlabel: bool = False
    disklabel: str | None = None  # gpt | msdos


@dataclass(kw_only=True)
class AutoPart(Tracked):
    scheme: str = "lvm"  # lvm | thinp | plain | btrfs
    fstype: str | None = None
    nohome: bool = True
    noswap: bool = True
    noboot: bool = False
    encrypted: bool = False
    encryption: Encryption | None = None


@dataclass(kw_only=True)
class PartitionRequest(Item):
    """`part`: mountpoint is a path, or swap, biosboot, pv.ID, raid.ID, btrfs.ID."""

    mountpoint: str
    size_mib: int | None = None
    grow: bool = False
    maxsize_mib: int | None = None
    fstype: str | None = None
    ondisk: str | None = None
    label: str | None = None
    fsoptions: str | None = None
    mkfsoptions: str | None = None
    asprimary: bool = False
    recommended: bool = False  # swap --recommended
    encrypted: bool = False
    encryption: Encryption | None = None
    onpart: str | None = None  # --onpart/--usepart: an existing partition (name, /dev path, UUID=, LABEL=)
    noformat: bool = False  # with onpart: keep its filesystem and data as they are (else it is reformatted)


@dataclass(kw_only=True)
class VolGroupRequest(Item):
    name: str
    physvols: list[str] = field(default_factory=list)
    pesize_kib: int | None = None


@dataclass(kw_only=True)
class LogVolRequest(Item):
    mountpoint: str
    vgname: str
    name: str
    size_mib: int | None = None
    grow: bool = False
    percent: int | None = None
    maxsize_mib: int | None = None
    fstype: str | None = None
    label: str | None = None
    fsoptions: str | None = None
    mkfsoptions: str | None = None
    recommended: bool = False
    encrypted: bool = False
    encryption: Encryption | None = None
    thin_pool: bool = False  # logvol --thinpool (mountpoint "none")
    pool_chunk_kib: int | None = None  # --chunksize of a thin pool
    pool_metadata_mib: int | None = None  # --metadatasize of a thin pool
    pool_name: str | None = None  # logvol --thin --poolname: a thin volume in that pool of its VG


@dataclass(kw_only=True)
class RaidRequest(Item):
    mountpoint: str
    device: str
    level: str  # raid0, raid1, ...
    members: list[str] = field(default_factory=list)
    chunk_size_kib: int | None = None  # raid --chunksize
    fstype: str | None = None
    label: str | None = None
    fsoptions: str | None = None
    encrypted: bool = False
    encryption: Encryption | None = None


@dataclass(kw_only=True)
class BtrfsRequest(Item):
    """`btrfs`: a volume (members are btrfs.ID partitions) or a subvolume (subvol=True, parent)."""

    mountpoint: str | None
    name: str | None = None
    subvol: bool = False
    parent: str | None = None
    members: list[str] = field(default_factory=list)
    data_level: str | None = None
    metadata_level: str | None = None
    label: str | None = None


@dataclass(kw_only=True)
class StorageConfig(Tracked):
    selected_disks: list[str] = field(default_factory=list)  # chosen in the TUI / ignoredisk --only-use
    ignored_disks: list[str] = field(default_factory=list)
    zerombr: bool = False
    clearpart: ClearPart = field(default_factory=ClearPart)
    autopart: AutoPart | None = None
    reqpart: bool = False
    reqpart_add_boot: bool = False
    partitions: list[PartitionRequest] = field(default_factory=list)
    volgroups: list[VolGroupRequest] = field(default_factory=list)
    logvols: list[LogVolRequest] = field(default_factory=list)
    raids: list[RaidRequest] = field(default_factory=list)
    btrfs: list[BtrfsRequest] = field(default_factory=list)

    @property
    def custom(self) -> bool:
        return bool(self.partitions or self.volgroups or self.logvols or self.raids or self.btrfs)


# ---------------------------------------------------------------- payload

@dataclass(kw_only=True)
class Repository(Item):
    name: str
    baseurl: str | None = None
    mirrorlist: str | None = None
    metalink: str | None = None
    cost: int | None = None
    includepkgs: list[str] = field(default_factory=list)
    excludepkgs: list[str] = field(default_factory=list)
    install: bool = False  # also write it to the target's /etc/yum.repos.d
    gpgcheck: bool = True
    gpgkeys: list[str] = field(default_factory=list)
    sslverify: bool = True
    proxy: str | None = None


@dataclass(kw_only=True)
class LiveImage(Item):
    url: str
    checksum: str | None = None  # sha256 hex
    noverifyssl: bool = False
    proxy: str | None = None


@dataclass(kw_only=True)
class PackageSelection(Tracked):
    sets: list[str] = field(default_factory=list)  # product package sets (Azure Linux has no comps)
    environment: str | None = None  # @^env, when the repository has comps
    groups: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    excluded_packages: list[str] = field(default_factory=list)
    excluded_groups: list[str] = field(default_factory=list)
    nocore: bool = False
    excludedocs: bool = False
    ignoremissing: bool = False
    exclude_weakdeps: bool = False
    inst_langs: str | None = None
    multilib: bool = False
    timeout: int | None = None
    retries: int | None = None


@dataclass(kw_only=True)
class PayloadConfig(Tracked):
    source: Repository | None = None  # `url` or inst.repo=; None means the product's ISO repository
    repositories: list[Repository] = field(default_factory=list)  # `repo`
    liveimg: LiveImage | None = None
    packages: PackageSelection = field(default_factory=PackageSelection)
    gpgcheck: bool = True  # False only when the kickstart turns it off


# ---------------------------------------------------------------- system

@dataclass(kw_only=True)
class BootloaderConfig(Tracked):
    location: str = "mbr"  # mbr | partition | none
    boot_drive: str | None = None
    driveorder: list[str] = field(default_factory=list)
    append: str = ""
    timeout: int | None = None
    password_hash: str | None = None  # grub2 pbkdf2 hash only
    disabled: bool = False


@dataclass(kw_only=True)
class SystemConfig(Tracked):
    hostname: str | None = None
    timezone: str = "UTC"
    utc: bool = True
    ntp_servers: list[str] = field(default_factory=list)
    ntp_pools: list[str] = field(default_factory=list)
    ntp_nts: list[str] = field(default_factory=list)  # servers and pools used with NTS (timesource --nts)
    nontp: bool = False
    lang: str = "en_US.UTF-8"
    lang_support: list[str] = field(default_factory=list)
    keyboard: str = "us"  # vconsole keymap
    x_layouts: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class NetworkDevice(Item):
    device: str | None = None  # name, MAC, "link", "bootif"; None = first with link
    bootproto: str = "dhcp"  # dhcp | static | ibft | query
    ip: str | None = None
    netmask: str | None = None  # dotted or prefix length
    gateway: str | None = None
    ipv6: str | None = None  # auto | dhcp | ADDR/PREFIX
    ipv6gateway: str | None = None
    nameservers: list[str] = field(default_factory=list)
    search_domains: list[str] = field(default_factory=list)
    mtu: int | None = None
    onboot: bool = True
    activate: bool = False
    noipv4: bool = False
    noipv6: bool = False
    nodefroute: bool = False
    hostname: str | None = None
    bond_slaves: list[str] = field(default_factory=list)
    bond_opts: str | None = None
    bridge_slaves: list[str] = field(default_factory=list)  # network --bridgeslaves: this device is a bridge
    bridge_opts: str | None = None  # "stp=yes,priority=40000,forward-delay=4" (NetworkManager's names)
    vlan_id: int | None = None
    interface_name: str | None = None


@dataclass(kw_only=True)
class NetworkConfig(Tracked):
    devices: list[NetworkDevice] = field(default_factory=list)


@dataclass(kw_only=True)
class User(Item):
    name: str
    groups: list[str] = field(default_factory=list)
    password_hash: str | None = None  # crypt(3) hash; plaintext never stored
    homedir: str | None = None
    shell: str | None = None
    uid: int | None = None
    gid: int | None = None
    gecos: str | None = None
    lock: bool = False


@dataclass(kw_only=True)
class SshKey(Item):
    username: str
    key: str


@dataclass(kw_only=True)
class AccountsConfig(Tracked):
    root_password_hash: str | None = None
    root_lock: bool = False
    root_allow_ssh: bool = False
    users: list[User] = field(default_factory=list)
    ssh_keys: list[SshKey] = field(default_factory=list)


@dataclass(kw_only=True)
class FirewallConfig(Tracked):
    enabled: bool = True
    services: list[str] = field(default_factory=list)
    remove_services: list[str] = field(default_factory=list)
    ports: list[str] = field(default_factory=list)  # "22:tcp"
    trusted: list[str] = field(default_factory=list)
    use_system_defaults: bool = False


@dataclass(kw_only=True)
class SecurityConfig(Tracked):
    selinux: str = "enforcing"  # enforcing | permissive | disabled
    selinux_type: str = "targeted"
    sshd_enabled: bool = True
    permit_root_login: str = "prohibit-password"  # prohibit-password | yes | no
    password_authentication: bool = True
    firewall: FirewallConfig = field(default_factory=FirewallConfig)


@dataclass(kw_only=True)
class ServicesConfig(Tracked):
    enabled: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Script(Item):
    kind: str  # pre | pre-install | post | onerror | traceback
    body: str
    interpreter: str = "/bin/sh"
    chroot: bool = True  # %post only; False = --nochroot
    log: str | None = None
    erroronfail: bool = False


@dataclass(kw_only=True)
class FinishConfig(Tracked):
    action: str = "reboot"  # reboot | poweroff | halt | shutdown | none
    eject: bool = False
    kexec: bool = False


@dataclass(kw_only=True)
class InstallPlan(Tracked):
    product: str = "azurelinux-4.0"
    storage: StorageConfig = field(default_factory=StorageConfig)
    payload: PayloadConfig = field(default_factory=PayloadConfig)
    bootloader: BootloaderConfig = field(default_factory=BootloaderConfig)
    system: SystemConfig = field(default_factory=SystemConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    services: ServicesConfig = field(default_factory=ServicesConfig)
    scripts: list[Script] = field(default_factory=list)
    finish: FinishConfig = field(default_factory=FinishConfig)
    interactive: bool = False  # `text` without a complete plan / TUI; `cmdline` = False
    source_file: str | None = field(default=None, compare=False)
    source_text: str | None = field(default=None, compare=False, repr=False)
    # plaintext secrets of the input kickstart (includes too), found by its parsed options: the install
    # log, the events and every saved file hide them
    input_secrets: list[Secret] = field(default_factory=list, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)


def secret_values(value: Any) -> list[str]:
    """The plaintext of every Secret in plan data (the input kickstart's secrets included)."""
    found: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, Secret):
            found.append(item.reveal())
        elif isinstance(item, (list, tuple)):
            for v in item:
                walk(v)
        elif dataclasses.is_dataclass(item) and not isinstance(item, type):
            for f in dataclasses.fields(item):
                if f.name not in ("origins", "origin", "source_text"):
                    walk(getattr(item, f.name))

    walk(value)
    return [s for s in found if s]


def to_jsonable(value: Any, _redactor: Redactor | None = None) -> Any:
    """A JSON-ready copy of plan data: origins kept as strings, secrets and URL passwords redacted.

    A secret is also hidden where a free-form value repeats it (a script that echoes a password)."""
    if _redactor is None:
        _redactor = Redactor(secret_values(value))
    if isinstance(value, Secret):
        return "***"
    if isinstance(value, Origin):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if f.name in ("source_text", "input_secrets"):
                continue
            item = getattr(value, f.name)
            if f.name == "origins":
                if item:
                    out["origins"] = {k: str(v) for k, v in item.items()}
                continue
            if f.name == "origin":
                if item is not DEFAULT:
                    out["origin"] = str(item)
                continue
            out[f.name] = to_jsonable(item, _redactor)
        return out
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, _redactor) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v, _redactor) for k, v in value.items()}
    if isinstance(value, str):
        return redact_urls(_redactor.redact(value))  # http://user:password@mirror: a secret too
    return value
