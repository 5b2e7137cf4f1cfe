"""Kickstart out: dump_kickstart(plan) parses back to an equal plan, and never carries a secret."""

import copy
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from installer.model import secrets
from installer.model.defaults import new_plan
from installer.kickstart.files import dump_kickstart, load_kickstart, parse_kickstart
from installer.kickstart.build import URL_SOURCE_NAME
from installer.kickstart.write import PASSPHRASE_REMOVED
from installer.model.plan import (
    AutoPart, BtrfsRequest, ClearPart, Encryption, LiveImage, LogVolRequest, NetworkDevice, PartitionRequest,
    RaidRequest, Repository, Script, Secret, SshKey, User, VolGroupRequest,
)
from installer.model.product import load_product
from installer.validate.system import ROOT_LOGIN

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((ROOT / "kickstarts").glob("*.ks"))
PRODUCT = load_product()
PASSPHRASE_OPTION = re.compile(r"^[^#\n][^\n]*--passphrase", re.M)  # on a command line, not in the comment


def without_passphrases(plan):
    """The plan as a dumped kickstart can hold it: LUKS passphrases are never written."""
    plan = copy.deepcopy(plan)
    st_ = plan.storage
    for item in [st_.autopart, *st_.partitions, *st_.logvols, *st_.raids]:
        if item is not None and item.encryption is not None:
            item.encryption.passphrase = None
    return plan


def roundtrip(plan):
    text = dump_kickstart(plan)
    result = parse_kickstart(text, "dumped.ks")
    assert result.diagnostics == [], "\n".join(map(str, result.diagnostics)) + "\n---\n" + text
    return text, result.plan


# ---------------------------------------------------------------- samples


def test_there_are_four_samples():
    assert {p.name for p in SAMPLES} >= {"minimal.ks", "server-luks-static.ks", "lab-reinstall.ks", "vm-cloud.ks"}


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_samples_parse_cleanly_and_round_trip(path):
    result = load_kickstart(path)
    assert result.diagnostics == [], [str(d) for d in result.diagnostics]
    text, again = roundtrip(result.plan)
    assert again == without_passphrases(result.plan)
    # The dump of the dump is stable: nothing drifts on a second pass.
    assert dump_kickstart(again) == text


def sample(name):
    result = load_kickstart(ROOT / "kickstarts" / name)
    assert result.ok
    return result.plan


def test_minimal_sample():
    plan = sample("minimal.ks")
    (dev,) = plan.network.devices
    assert dev.bootproto == "dhcp"
    assert plan.storage.autopart.scheme == "lvm" and not plan.storage.custom
    assert plan.accounts.root_lock and plan.accounts.root_password_hash is None
    assert [k.username for k in plan.accounts.ssh_keys] == ["azureuser"]
    assert plan.payload.packages.sets == ["minimal"]


def test_server_sample_has_luks2_lvm_static_addresses_and_an_admin():
    plan = sample("server-luks-static.ks")
    (pv,) = [p for p in plan.storage.partitions if p.mountpoint.startswith("pv.")]
    assert pv.encrypted and pv.encryption.luks_version == "luks2" and pv.encryption.passphrase
    assert {lv.mountpoint for lv in plan.storage.logvols} >= {"/", "/var", "/home", "swap"}
    assert plan.storage.selected_disks == ["nvme0n1"]
    (dev,) = plan.network.devices
    assert dev.bootproto == "static" and dev.ip and dev.gateway and "/" in dev.ipv6 and dev.ipv6gateway
    (ops,) = plan.accounts.users
    assert "wheel" in ops.groups and secrets.is_crypt_hash(ops.password_hash)
    assert plan.security.firewall.enabled and "9100:tcp" in plan.security.firewall.ports


def test_lab_sample_reinstalls_from_an_image():
    plan = sample("lab-reinstall.ks")
    assert plan.payload.liveimg.url.startswith("http") and len(plan.payload.liveimg.checksum) == 64
    assert plan.storage.clearpart.mode == "all" and plan.storage.zerombr
    assert plan.finish.action == "reboot"


def test_vm_sample_uses_the_serial_console_and_one_virtio_disk():
    plan = sample("vm-cloud.ks")
    assert "console=ttyS0,115200" in plan.bootloader.append
    assert plan.storage.selected_disks == ["vda"]
    assert {p.ondisk for p in plan.storage.partitions} == {"vda"}
    assert plan.finish.action == "poweroff"


# ---------------------------------------------------------------- secrets


def test_dump_holds_only_hashes_and_never_a_passphrase():
    text = """
rootpw --plaintext Root-Plain-1
user --name=ann --password=Ann-Plain-2 --plaintext
user --name=ben --password=Ben-Plain-3
bootloader --password=Grub-Plain-4
autopart --type=lvm --encrypted --passphrase=Luks-Plain-5
"""
    result = parse_kickstart(text)
    assert result.ok
    dumped = dump_kickstart(result.plan)
    for plain in ("Root-Plain-1", "Ann-Plain-2", "Ben-Plain-3", "Grub-Plain-4", "Luks-Plain-5"):
        assert plain not in dumped
    assert result.plan.accounts.root_password_hash in dumped
    assert not PASSPHRASE_OPTION.search(dumped)
    assert PASSPHRASE_REMOVED in dumped
    again = parse_kickstart(dumped).plan
    assert secrets.verify("Root-Plain-1", again.accounts.root_password_hash)
    assert secrets.verify("Ann-Plain-2", again.accounts.users[0].password_hash)
    assert secrets.verify_grub("Grub-Plain-4", again.bootloader.password_hash)
    # The passphrase is what a round trip loses, and only that.
    assert again.storage.autopart.encrypted and again.storage.autopart.encryption.passphrase is None
    assert again != result.plan
    assert again == without_passphrases(result.plan)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_dumps_contain_no_plaintext_from_the_sample(path):
    source = path.read_text()
    dumped = dump_kickstart(load_kickstart(path).plan)
    for value in re.findall(r"--passphrase=(\"[^\"]*\"|\S+)", source) + re.findall(
            r"--password=(\S+) --plaintext|--plaintext\s+(?:--\S+\s+)*(\S+)", source):
        for v in (value if isinstance(value, tuple) else (value,)):
            if v:
                assert v.strip('"') not in dumped


# ---------------------------------------------------------------- generated plans

NAME = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)
DISKS = ["sda", "sdb", "sdc", "vda", "vdb", "nvme0n1", "nvme1n1"]
FSTYPES = [None, "xfs", "ext4", "ext3", "vfat"]
SIZE = st.integers(min_value=1, max_value=2_000_000)
PRINTABLE = st.characters(min_codepoint=32, max_codepoint=0x2FF, blacklist_categories=("Cc", "Cs"))
SAFE_TEXT = st.text(alphabet=PRINTABLE, max_size=20)
HASHES = [secrets.hash_password("one"), secrets.hash_password("two", secrets.YESCRYPT)]
GRUB_HASH = secrets.grub_pbkdf2("grub", iterations=1000)
URLS = st.builds(lambda host, path: f"https://{host}.example.com/{path}", NAME, NAME)


def opt(strategy):
    return st.one_of(st.none(), strategy)


@st.composite
def encryptions(draw):
    return Encryption(
        passphrase=draw(opt(st.builds(Secret, st.text(min_size=1, max_size=12).filter(lambda s: "\0" not in s)))),
        luks_version=draw(st.sampled_from(["luks1", "luks2"])),
        cipher=draw(opt(st.just("aes-xts-plain64"))),
        pbkdf=draw(opt(st.sampled_from(["argon2id", "argon2i", "pbkdf2"]))),
        pbkdf_memory=draw(opt(st.integers(1, 4_000_000))),
        **draw(st.sampled_from([{}, {"pbkdf_time": draw(st.integers(1, 10_000))},
                                {"pbkdf_iterations": draw(st.integers(1000, 10_000_000))}])),
    )


@st.composite
def encrypted(draw):
    on = draw(st.booleans())
    return {"encrypted": on, "encryption": draw(encryptions()) if on else None}


@st.composite
def storage(draw, plan):
    s = plan.storage
    if draw(st.booleans()):
        s.selected_disks = draw(st.lists(st.sampled_from(DISKS), min_size=1, max_size=3, unique=True))
    elif draw(st.booleans()):
        s.ignored_disks = draw(st.lists(st.sampled_from(DISKS), min_size=1, max_size=2, unique=True))
    s.zerombr = draw(st.booleans())
    mode = draw(st.sampled_from(["none", "all", "linux", "list"]))
    s.clearpart = ClearPart(
        mode=mode, drives=draw(st.lists(st.sampled_from(DISKS), max_size=3, unique=True)),
        partitions=draw(st.lists(st.sampled_from(["sda1", "sda2", "vda3"]), min_size=1, max_size=2, unique=True))
        if mode == "list" else [],
        initlabel=draw(st.booleans()), disklabel=draw(opt(st.sampled_from(["gpt", "msdos"]))))
    if draw(st.booleans()):
        scheme = draw(st.sampled_from(["lvm", "plain", "btrfs"]))
        s.autopart = AutoPart(scheme=scheme,
                              fstype=None if scheme == "btrfs" else draw(opt(st.sampled_from(["xfs", "ext4"]))),
                              nohome=True,
                              noswap=draw(st.booleans()), noboot=draw(st.booleans()), **draw(encrypted()))
        return
    s.reqpart = draw(st.booleans())
    s.reqpart_add_boot = s.reqpart and draw(st.booleans())
    mounts = draw(st.lists(st.sampled_from(["/", "/boot", "/boot/efi", "/srv", "/var/lib/data", "swap", "biosboot",
                                            "pv.01", "pv.02", "raid.01", "raid.02", "btrfs.01"]),
                           max_size=6, unique=True))
    for mp in mounts:
        recommended = mp == "swap" and draw(st.booleans())
        s.partitions.append(PartitionRequest(
            mountpoint=mp, size_mib=None if recommended else draw(opt(SIZE)), grow=draw(st.booleans()),
            maxsize_mib=draw(opt(SIZE)), fstype=draw(st.sampled_from(FSTYPES)),
            ondisk=draw(opt(st.sampled_from(DISKS))), label=draw(opt(NAME)),
            fsoptions=draw(opt(st.sampled_from(["noatime", "nodev,nosuid", "defaults,discard"]))),
            mkfsoptions=draw(opt(st.sampled_from(["-m 0", "-K"]))), asprimary=draw(st.booleans()),
            recommended=recommended, **draw(encrypted())))
    pvs = [p.mountpoint for p in s.partitions if p.mountpoint.startswith("pv.")]
    if pvs:
        s.volgroups.append(VolGroupRequest(name="vg0", physvols=pvs,
                                           pesize_kib=draw(opt(st.sampled_from([4096, 8192, 32768])))))
        used = set(mounts)
        for i, mp in enumerate(draw(st.lists(st.sampled_from(["/", "/home", "/var", "/opt", "swap"]), max_size=4,
                                             unique=True))):
            if mp in used:
                continue
            use_percent = draw(st.booleans())
            s.logvols.append(LogVolRequest(
                mountpoint=mp, vgname="vg0", name=f"lv{i}", size_mib=None if use_percent else draw(SIZE),
                percent=draw(st.integers(1, 100)) if use_percent else None, grow=draw(st.booleans()),
                maxsize_mib=draw(opt(SIZE)), fstype=draw(st.sampled_from(FSTYPES)), label=draw(opt(NAME)),
                fsoptions=draw(opt(st.just("noatime"))), mkfsoptions=draw(opt(st.just("-m 1"))),
                **draw(encrypted())))
    members = [p.mountpoint for p in s.partitions if p.mountpoint.startswith("raid.")]
    if len(members) == 2 and "/data" not in mounts:
        s.raids.append(RaidRequest(mountpoint="/data", device="md0",
                                   level=draw(st.sampled_from(["raid0", "raid1", "raid10"])), members=members,
                                   fstype=draw(st.sampled_from(FSTYPES)), label=draw(opt(NAME)),
                                   fsoptions=draw(opt(st.just("noatime"))), **draw(encrypted())))
    if "btrfs.01" in mounts:
        s.btrfs.append(BtrfsRequest(mountpoint=None, members=["btrfs.01"], label="pool",
                                    data_level=draw(opt(st.sampled_from(["single", "raid1"]))),
                                    metadata_level=draw(opt(st.sampled_from(["raid0", "raid1"])))))
        s.btrfs.append(BtrfsRequest(mountpoint="/pool/home", name="home", subvol=True, parent="pool"))


@st.composite
def repositories(draw, name):
    where = draw(st.sampled_from(["baseurl", "mirrorlist", "metalink"]))
    return Repository(name=name, **{where: draw(URLS)}, proxy=draw(opt(st.just("http://proxy.example.com:3128"))),
                      sslverify=draw(st.booleans()), gpgcheck=draw(st.booleans()),
                      gpgkeys=draw(st.lists(st.sampled_from(["file:///etc/pki/rpm-gpg/KEY-a",
                                                             "https://keys.example.com/KEY-b"]),
                                            max_size=2, unique=True)))


@st.composite
def payload(draw, plan):
    p = plan.payload
    if draw(st.booleans()):
        p.liveimg = LiveImage(url=draw(URLS), checksum=draw(opt(st.from_regex(r"[0-9a-f]{64}", fullmatch=True))),
                              noverifyssl=draw(st.booleans()), proxy=draw(opt(st.just("http://p.example.com:8080"))))
    elif draw(st.booleans()):
        p.source = draw(repositories(URL_SOURCE_NAME))
    for name in draw(st.lists(NAME, max_size=3, unique=True)):
        repo = draw(repositories(name))
        repo.cost = draw(opt(st.integers(0, 1000)))
        repo.includepkgs = draw(st.lists(NAME, max_size=2, unique=True))
        repo.excludepkgs = draw(st.lists(NAME, max_size=2, unique=True))
        repo.install = draw(st.booleans())
        p.repositories.append(repo)
    pk = p.packages
    known = list(PRODUCT.package_sets)
    pk.sets = draw(st.lists(st.sampled_from(known), max_size=3, unique=True))
    others = NAME.filter(lambda n: n not in known)
    pk.environment = draw(opt(others))
    pk.groups = draw(st.lists(others, max_size=3, unique=True).filter(lambda g: pk.environment not in g))
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9+._-]{0,12}", fullmatch=True), max_size=8, unique=True))
    split = draw(st.integers(0, len(names)))
    pk.packages, pk.excluded_packages = sorted(names[:split]), sorted(names[split:])
    pk.excluded_groups = draw(st.lists(others, max_size=2, unique=True).filter(
        lambda g: not set(g) & set(pk.groups) and pk.environment not in g))
    pk.nocore, pk.excludedocs, pk.ignoremissing = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    pk.exclude_weakdeps, pk.multilib = draw(st.booleans()), draw(st.booleans())
    pk.inst_langs = draw(opt(st.sampled_from(["en", "en:de", "fr_FR"])))
    pk.timeout, pk.retries = draw(opt(st.integers(1, 600))), draw(opt(st.integers(1, 20)))


@st.composite
def network(draw, plan):
    names = draw(st.lists(st.sampled_from(["eth0", "eth1", "enp1s0", "bond0", "52:54:00:aa:bb:cc", "link", None]),
                          max_size=4, unique=True))
    for name in names:
        static = draw(st.booleans())
        noipv4 = not static and draw(st.booleans())
        bond = name == "bond0"
        named = name is not None
        plan.network.devices.append(NetworkDevice(
            device=name,
            bootproto="static" if static else "dhcp" if noipv4 else draw(st.sampled_from(["dhcp", "ibft"])),
            ip=f"192.0.2.{draw(st.integers(1, 254))}" if static else None,
            netmask=draw(st.sampled_from(["255.255.255.0", "24"])) if static else None,
            gateway="192.0.2.254" if static and draw(st.booleans()) else None,
            ipv6=draw(opt(st.sampled_from(["auto", "dhcp", "2001:db8::5/64"]))),
            ipv6gateway=draw(opt(st.just("2001:db8::1"))),
            nameservers=draw(st.lists(st.sampled_from(["192.0.2.53", "2001:db8::53", "9.9.9.9"]), max_size=2,
                                      unique=True)),
            search_domains=draw(st.lists(st.sampled_from(["example.com", "lab.example.org"]), max_size=2,
                                         unique=True)) if named else [],
            mtu=draw(opt(st.integers(576, 9000))), onboot=draw(st.booleans()), activate=draw(st.booleans()),
            noipv4=noipv4, noipv6=draw(st.booleans()), nodefroute=draw(st.booleans()),
            bond_slaves=["eth2", "eth3"] if bond else [],
            bond_opts=draw(opt(st.just("mode=active-backup,miimon=100"))) if bond else None,
            vlan_id=draw(opt(st.integers(1, 4094))) if name == "eth1" else None,
            interface_name="vlan7" if name == "eth1" and draw(st.booleans()) else None))
    if draw(st.booleans()):
        plan.system.hostname = draw(st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.example\.com)?", fullmatch=True))


@st.composite
def system(draw, plan):
    sy = plan.system
    sy.timezone = draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]))
    sy.utc = draw(st.booleans())
    sy.nontp = draw(st.booleans())
    sy.ntp_servers = draw(st.lists(st.sampled_from(["ntp1.example.com", "192.0.2.123", "time.example.org"]),
                                   max_size=2, unique=True))
    sy.ntp_pools = draw(st.lists(st.just("pool.ntp.org"), max_size=1))
    sy.lang = draw(st.sampled_from(["en_US.UTF-8", "de_DE.UTF-8", "C.UTF-8"]))
    sy.lang_support = draw(st.lists(st.sampled_from(["fr_FR.UTF-8", "ja_JP.UTF-8"]), max_size=2, unique=True))
    sy.keyboard = draw(st.sampled_from(["us", "de-nodeadkeys", "fr"]))
    sy.x_layouts = draw(st.lists(st.sampled_from(["us", "de", "fr"]), max_size=2, unique=True))
    bl = plan.bootloader
    bl.disabled = draw(st.booleans())
    bl.location = "none" if bl.disabled else draw(st.sampled_from(["mbr", "partition", "none"]))
    bl.boot_drive = draw(opt(st.sampled_from(DISKS)))
    bl.driveorder = draw(st.lists(st.sampled_from(DISKS), max_size=2, unique=True))
    bl.append = draw(st.sampled_from(["", "console=ttyS0,115200", "quiet rd.luks.options=discard"]))
    bl.timeout = draw(st.integers(0, 60))
    bl.password_hash = draw(opt(st.just(GRUB_HASH)))


@st.composite
def accounts(draw, plan):
    ac = plan.accounts
    ac.root_password_hash = draw(opt(st.sampled_from(HASHES)))
    ac.root_lock = draw(st.booleans())
    ac.root_allow_ssh = ac.root_password_hash is not None and draw(st.booleans())
    if ac.root_allow_ssh:
        plan.security.permit_root_login = "yes"
    for name in draw(st.lists(NAME.filter(lambda n: n != "root"), max_size=3, unique=True)):
        ac.users.append(User(
            name=name, groups=draw(st.lists(st.sampled_from(["wheel", "adm", "docker"]), max_size=2, unique=True)),
            password_hash=draw(opt(st.sampled_from(HASHES))), homedir=draw(opt(st.just(f"/srv/home/{name}"))),
            shell=draw(opt(st.sampled_from(["/bin/bash", "/bin/zsh"]))), uid=draw(opt(st.integers(1000, 60000))),
            gid=draw(opt(st.integers(1000, 60000))), gecos=draw(opt(SAFE_TEXT.filter(lambda t: t.strip()))),
            lock=draw(st.booleans())))
    for user in draw(st.lists(st.sampled_from(["root"] + [u.name for u in ac.users]), max_size=3)):
        ac.ssh_keys.append(SshKey(username=user, key=draw(st.sampled_from([
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3 user@example.com",
            "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== 'quoted' comment",
            "ecdsa-sha2-nistp256 AAAAE2VjZHNh"]))))


@st.composite
def security(draw, plan):
    se = plan.security
    se.selinux = draw(st.sampled_from(["enforcing", "permissive", "disabled"]))
    fw = se.firewall
    fw.enabled = draw(st.booleans())
    fw.services = draw(st.lists(st.sampled_from(["ssh", "http", "https", "cockpit"]), max_size=3, unique=True))
    fw.remove_services = draw(st.lists(st.sampled_from(["dhcpv6-client", "mdns"]), max_size=2, unique=True))
    fw.ports = draw(st.lists(st.sampled_from(["22:tcp", "8080:tcp", "53:udp", "9000-9010:tcp"]), max_size=3,
                             unique=True))
    fw.trusted = draw(st.lists(st.sampled_from(["eth1", "eth2"]), max_size=1))
    fw.use_system_defaults = draw(st.booleans())
    disabled = draw(st.lists(st.sampled_from(["sshd", "chronyd", "kdump", "cups"]), max_size=2, unique=True))
    extras = draw(st.lists(st.sampled_from(["podman", "nginx", "cockpit.socket"]), max_size=2, unique=True))
    plan.services.enabled = [s for s in PRODUCT.services_enabled if s not in disabled] + extras
    plan.services.disabled = disabled
    # `sshd` (azl-install's command) may turn sshd off on its own, and sets the sshd_config policy
    se.sshd_enabled = "sshd" not in disabled and draw(st.booleans())
    se.password_authentication = draw(st.booleans())
    if not plan.accounts.root_allow_ssh:
        se.permit_root_login = draw(st.sampled_from(ROOT_LOGIN))


BODY_LINE = st.text(alphabet=PRINTABLE, max_size=30).filter(
    lambda s: not s.lstrip().startswith("%"))


@st.composite
def scripts(draw, plan):
    for kind in draw(st.lists(st.sampled_from(["pre", "pre-install", "post", "onerror"]), max_size=4)):
        lines = draw(st.lists(BODY_LINE, min_size=1, max_size=4).filter(lambda ls: any(x.strip() for x in ls)))
        plan.scripts.append(Script(
            kind=kind, body="".join(line + "\n" for line in lines),
            interpreter=draw(st.sampled_from(["/bin/sh", "/bin/bash", "/usr/bin/python3"])),
            chroot=True if kind != "post" else draw(st.booleans()), log=draw(opt(st.just("/root/ks-script.log"))),
            erroronfail=draw(st.booleans())))


@st.composite
def plans(draw):
    plan = new_plan(PRODUCT)
    for part in (storage, payload, network, system, accounts, security, scripts):
        draw(part(plan))
    plan.finish.action = draw(st.sampled_from(["reboot", "poweroff", "halt", "shutdown"]))
    plan.finish.eject = draw(st.booleans())
    plan.finish.kexec = draw(st.booleans())
    plan.interactive = draw(st.booleans())
    return plan


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plans())
def test_generated_plans_round_trip(plan):
    text, again = roundtrip(plan)
    assert again == without_passphrases(plan), text
    assert not PASSPHRASE_OPTION.search(text)


def test_generated_plans_cover_encryption_with_passphrase():
    """The strategies really produce what the round trip must lose: a LUKS passphrase."""
    plan = find(plans(), lambda p: p != without_passphrases(p),
                settings=settings(max_examples=300, database=None, phases=[Phase.generate]))
    text = dump_kickstart(plan)
    assert PASSPHRASE_REMOVED in text
    for item in [plan.storage.autopart, *plan.storage.partitions, *plan.storage.logvols, *plan.storage.raids]:
        if item is not None and item.encryption is not None and item.encryption.passphrase:
            assert f"--passphrase={item.encryption.passphrase.reveal()}" not in text


@pytest.mark.parametrize("gecos", ["two\nlines", "carriage\rreturn", "next\x85line", "sep\u2028arator"])
def test_values_that_cannot_be_written_on_one_line_are_refused(gecos):
    plan = new_plan(PRODUCT)
    plan.accounts.users.append(User(name="eve", gecos=gecos))
    with pytest.raises(ValueError, match="line break"):
        dump_kickstart(plan)


def test_quoting_survives_shell_metacharacters():
    plan = new_plan(PRODUCT)
    plan.accounts.users.append(User(name="q", gecos="O'Brien \"Q\" $HOME `x` ; # not a comment \\"))
    plan.bootloader.append = "console=ttyS0,115200 rd.break='x y'"
    _, again = roundtrip(plan)
    assert again.accounts.users[0].gecos == plan.accounts.users[0].gecos
    assert again.bootloader.append == plan.bootloader.append


def test_free_space_only_is_never_written_as_clearing():
    """The TUI's "use free space only": no clearpart line, so a replay keeps every partition."""
    plan = new_plan(PRODUCT)
    plan.storage.selected_disks = ["sda", "sdb"]
    plan.storage.autopart = AutoPart()
    text, again = roundtrip(plan)
    assert "clearpart" not in text and "zerombr" not in text
    assert again.storage.clearpart.mode == "none"
    assert again.storage.selected_disks == ["sda", "sdb"]


def test_generated_plans_cover_the_sshd_line():
    """The strategies reach `sshd`, whose options only azl-install's command can carry."""
    plan = find(plans(), lambda p: not p.security.sshd_enabled and "sshd" not in p.services.disabled
                and not p.security.password_authentication,
                settings=settings(max_examples=300, database=None, phases=[Phase.generate]))
    assert any(line.startswith("sshd --disabled --password-auth=no") for line in dump_kickstart(plan).splitlines())
