"""Each kickstart command family lands in the InstallPlan, with the line it came from."""

import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from installer.model import secrets
from installer.kickstart.files import load_kickstart, parse_kickstart
from installer.model.plan import PRODUCT, Origin, Secret
from installer.model.product import load_product

PRODUCT_DEF = load_product()


def line_of(text: str, needle: str) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, f"{needle!r} found on lines {hits}"
    return hits[0]


def ks(text: str, name: str = "test.ks"):
    text = textwrap.dedent(text).lstrip("\n")
    result = parse_kickstart(text, name)
    return text, result


def at(text: str, needle: str, name: str = "test.ks") -> Origin:
    return Origin.kickstart(name, line_of(text, needle))


def clean(result):
    assert [str(d) for d in result.diagnostics] == []
    assert result.ok
    return result.plan


STORAGE_LVM = """
    ignoredisk --only-use=sda,sdb
    zerombr
    clearpart --all --initlabel --drives=sda,sdb --disklabel=gpt
    reqpart --add-boot
    part pv.01 --size=1 --grow --ondisk=sda --encrypted --luks-version=luks2 --passphrase="disk secret" --pbkdf=argon2id --pbkdf-memory=65536 --pbkdf-time=2000
    part raid.01 --size=2048 --ondisk=sda
    part raid.02 --size=2048 --ondisk=sdb
    part swap --recommended --ondisk=sdb
    part /data --fstype=ext4 --label=DATA --fsoptions="noatime,nodev" --mkfsoptions="-m 0" --size=500 --maxsize=900 --grow --asprimary --ondisk=sdb
    raid /srv --device=md0 --level=1 --fstype=xfs --label=SRV raid.01 raid.02
    volgroup azl --pesize=8192 pv.01
    logvol / --vgname=azl --name=root --fstype=xfs --size=10240
    logvol /var --vgname=azl --name=var --percent=40 --maxsize=20000 --grow
    logvol /home --vgname=azl --name=home --size=1024 --encrypted --luks-version=luks1
"""


def test_storage_custom_layout_with_origins():
    text, result = ks(STORAGE_LVM)
    plan = clean(result)
    st = plan.storage
    assert st.selected_disks == ["sda", "sdb"]
    assert st.origin_of("selected_disks") == at(text, "ignoredisk")
    assert st.zerombr and st.origin_of("zerombr") == at(text, "zerombr")
    cp = st.clearpart
    assert (cp.mode, cp.drives, cp.initlabel, cp.disklabel) == ("all", ["sda", "sdb"], True, "gpt")
    assert st.origin_of("clearpart") == at(text, "clearpart") == cp.origin_of("mode")
    assert st.reqpart and st.reqpart_add_boot and st.origin_of("reqpart") == at(text, "reqpart")
    assert st.autopart is None

    pv, r1, r2, swap, data = st.partitions
    assert pv.mountpoint == "pv.01" and pv.grow and pv.size_mib == 1 and pv.ondisk == "sda"
    assert pv.encrypted and pv.encryption.passphrase == Secret("disk secret")
    assert (pv.encryption.luks_version, pv.encryption.pbkdf, pv.encryption.pbkdf_memory,
            pv.encryption.pbkdf_time) == ("luks2", "argon2id", 65536, 2000)
    assert pv.origin == at(text, "part pv.01")
    assert r2.origin == at(text, "part raid.02") and r2.size_mib == 2048 and r2.ondisk == "sdb"
    assert swap.mountpoint == "swap" and swap.recommended and swap.size_mib is None
    assert (data.fstype, data.label, data.fsoptions, data.mkfsoptions) == ("ext4", "DATA", "noatime,nodev", "-m 0")
    assert (data.size_mib, data.maxsize_mib, data.grow, data.asprimary) == (500, 900, True, True)
    assert not data.encrypted and data.encryption is None

    (md,) = st.raids
    assert (md.mountpoint, md.device, md.level, md.members, md.fstype, md.label) == (
        "/srv", "md0", "raid1", ["raid.01", "raid.02"], "xfs", "SRV")
    assert md.origin == at(text, "raid /srv")
    (vg,) = st.volgroups
    assert (vg.name, vg.physvols, vg.pesize_kib) == ("azl", ["pv.01"], 8192)
    assert vg.origin == at(text, "volgroup")
    root, var, home = st.logvols
    assert (root.mountpoint, root.vgname, root.name, root.size_mib, root.fstype) == ("/", "azl", "root", 10240, "xfs")
    assert (var.percent, var.maxsize_mib, var.grow, var.size_mib) == (40, 20000, True, None)
    assert home.encrypted and home.encryption.luks_version == "luks1" and home.encryption.passphrase is None
    assert [lv.origin for lv in st.logvols] == [at(text, "logvol / "), at(text, "logvol /var"),
                                                at(text, "logvol /home")]
    assert st.custom


@pytest.mark.parametrize("args, scheme, noswap, noboot", [
    ("--type=lvm", "lvm", False, False),
    ("--type=plain --noswap", "plain", True, False),
    ("--type=btrfs --noboot --noswap --nohome", "btrfs", True, True),
    ("", PRODUCT_DEF.storage["scheme"], False, False),
])
def test_autopart(args, scheme, noswap, noboot):
    text, result = ks(f"autopart {args}\n")
    ap = clean(result).storage.autopart
    assert (ap.scheme, ap.noswap, ap.noboot) == (scheme, noswap, noboot)
    assert ap.nohome  # the product's default layout has no /home
    assert not ap.encrypted and ap.encryption is None
    assert ap.origin_of("scheme") == Origin.kickstart("test.ks", 1)


def test_autopart_encrypted_keeps_passphrase_as_secret():
    text, result = ks("autopart --type=lvm --fstype=ext4 --encrypted --passphrase=s3cr3t --luks-version=luks2 "
                      "--pbkdf=pbkdf2 --pbkdf-iterations=100000 --cipher=aes-xts-plain64\n")
    ap = clean(result).storage.autopart
    assert ap.fstype == "ext4" and ap.encrypted
    enc = ap.encryption
    assert isinstance(enc.passphrase, Secret) and enc.passphrase.reveal() == "s3cr3t"
    assert (enc.pbkdf, enc.pbkdf_iterations, enc.cipher) == ("pbkdf2", 100000, "aes-xts-plain64")
    assert "s3cr3t" not in repr(result.plan) and "s3cr3t" not in str(result.plan.to_dict())


def test_clearpart_variants_and_ignoredisk_drives():
    text, result = ks("""
        ignoredisk --drives=sdc
        clearpart --list=sda1,sda2
    """)
    st = clean(result).storage
    assert st.ignored_disks == ["sdc"] and st.selected_disks == []
    assert (st.clearpart.mode, st.clearpart.partitions) == ("list", ["sda1", "sda2"])
    _, result = ks("clearpart --linux --drives=nvme0n1\n")
    assert clean(result).storage.clearpart.mode == "linux"
    _, result = ks("clearpart --none\n")
    assert clean(result).storage.clearpart.mode == "none"


def test_btrfs_volume_and_subvolumes():
    text, result = ks("""
        part btrfs.01 --size=4096 --grow --ondisk=vda
        part btrfs.02 --size=4096 --grow --ondisk=vdb
        btrfs none --data=raid1 --metadata=raid1 --label=pool btrfs.01 btrfs.02
        btrfs / --subvol --name=root LABEL=pool
        btrfs /home --subvol --name=home LABEL=pool
    """)
    st = clean(result).storage
    vol, root, home = st.btrfs
    assert vol.mountpoint is None and not vol.subvol
    assert (vol.members, vol.data_level, vol.metadata_level, vol.label) == (["btrfs.01", "btrfs.02"], "raid1",
                                                                          "raid1", "pool")
    assert (root.mountpoint, root.subvol, root.name, root.parent, root.members) == ("/", True, "root",
                                                                                   "pool", [])  # LABEL=X names the volume by its --label
    assert home.origin == at(text, "btrfs /home")


def test_payload_url_repo_and_packages():
    text, result = ks("""
        url --url=https://mirror.example.com/azl/4.0/x86_64/ --proxy=http://proxy:3128 --noverifyssl
        repo --name=extras --baseurl=https://repo.example.com/extras --cost=50 --includepkgs=a,b --excludepkgs=c --install
        repo --name=mirrors --mirrorlist=https://mirrors.example.com/list
        %packages --nocore --excludedocs --ignoremissing --exclude-weakdeps --inst-langs=en:de --multilib --timeout=30 --retries=4
        @^custom-env
        @server
        @development-tools
        @container-host
        vim-enhanced
        htop
        -nano
        -@dial-up
        %end
    """)
    plan = clean(result)
    pl = plan.payload
    src = pl.source
    assert (src.baseurl, src.proxy, src.sslverify) == ("https://mirror.example.com/azl/4.0/x86_64/",
                                                       "http://proxy:3128", False)
    assert pl.origin_of("source") == at(text, "url --url")
    extras, mirrors = pl.repositories
    assert (extras.name, extras.baseurl, extras.cost, extras.includepkgs, extras.excludepkgs, extras.install) == (
        "extras", "https://repo.example.com/extras", 50, ["a", "b"], ["c"], True)
    assert extras.gpgcheck and extras.origin == at(text, "--name=extras")
    assert mirrors.mirrorlist == "https://mirrors.example.com/list" and mirrors.baseurl is None
    pk = pl.packages
    # Product package sets (from @^ or @) become sets; other names stay comps environment/groups.
    assert pk.environment == "custom-env"
    assert pk.sets == ["server", "container-host"]
    assert pk.groups == ["development-tools"]
    assert pk.packages == ["htop", "vim-enhanced"]
    assert pk.excluded_packages == ["nano"] and pk.excluded_groups == ["dial-up"]
    assert (pk.nocore, pk.excludedocs, pk.ignoremissing, pk.exclude_weakdeps, pk.inst_langs, pk.multilib,
            pk.timeout, pk.retries) == (True, True, True, True, "en:de", True, 30, 4)
    assert pk.origin_of("packages") == at(text, "%packages")
    assert pk.origin_of("sets[server]") == at(text, "@server")
    assert pk.origin_of("packages[htop]") == at(text, "htop")
    assert pk.origin_of("excluded_packages[nano]") == at(text, "-nano")


def test_gpg_settings_per_repository_are_azl_install_extensions():
    text, result = ks("""
        url --url=https://mirror.example.com/azl/ --gpgkey=https://mirror.example.com/KEY-1,file:///etc/pki/KEY-2
        repo --name=local --baseurl=file:///srv/repo --nogpgcheck
        repo --name=signed --baseurl=https://r.example.com/
    """)
    pl = clean(result).payload
    assert pl.source.gpgcheck and pl.source.gpgkeys == ["https://mirror.example.com/KEY-1", "file:///etc/pki/KEY-2"]
    local, signed = pl.repositories
    assert not local.gpgcheck and local.gpgkeys == []
    assert signed.gpgcheck and pl.gpgcheck


def test_without_packages_section_the_product_default_set_stays():
    _, result = ks("cdrom\n")
    plan = clean(result)
    assert plan.payload.packages.sets == [PRODUCT_DEF.default_set]
    assert plan.payload.packages.origin_of("sets") == PRODUCT
    assert plan.payload.source is None and plan.payload.origin_of("source") == Origin.kickstart("test.ks", 1)


def test_liveimg():
    text, result = ks("liveimg --url=file:///run/install/img/root.tar.xz --checksum=" + "ab" * 32 + " --noverifyssl\n")
    li = clean(result).payload.liveimg
    assert (li.url, li.checksum, li.noverifyssl) == ("file:///run/install/img/root.tar.xz", "ab" * 32, True)
    assert li.origin == Origin.kickstart("test.ks", 1)


def test_system_settings():
    text, result = ks("""
        lang de_DE.UTF-8 --addsupport=en_US.UTF-8,fr_FR.UTF-8
        keyboard --vckeymap=de-nodeadkeys --xlayouts=de,us
        timezone Europe/Berlin --utc
        timesource --ntp-server=ntp1.example.com
        timesource --ntp-server=ntp2.example.com
        timesource --ntp-pool=pool.ntp.org
        bootloader --location=mbr --boot-drive=sda --driveorder=sda,sdb --append="console=ttyS0,115200 quiet" --timeout=3
    """)
    plan = clean(result)
    sy = plan.system
    assert (sy.lang, sy.lang_support) == ("de_DE.UTF-8", ["en_US.UTF-8", "fr_FR.UTF-8"])
    assert (sy.keyboard, sy.x_layouts) == ("de-nodeadkeys", ["de", "us"])
    assert (sy.timezone, sy.utc, sy.nontp) == ("Europe/Berlin", True, False)
    assert sy.ntp_servers == ["ntp1.example.com", "ntp2.example.com"] and sy.ntp_pools == ["pool.ntp.org"]
    assert sy.origin_of("timezone") == at(text, "timezone")
    assert sy.origin_of("ntp_servers") == at(text, "ntp2")
    assert sy.origin_of("keyboard") == at(text, "keyboard")
    bl = plan.bootloader
    assert (bl.location, bl.boot_drive, bl.driveorder, bl.append, bl.timeout) == (
        "mbr", "sda", ["sda", "sdb"], "console=ttyS0,115200 quiet", 3)
    assert bl.origin_of("append") == at(text, "bootloader")


def test_only_the_last_environment_counts_and_earlier_ones_are_warned_about():
    text, result = ks("%packages\n@^server\n@^custom-env\n%end\n")
    assert result.ok and result.plan.payload.packages.environment == "custom-env"
    assert result.plan.payload.packages.sets == []
    (warning,) = result.diagnostics
    assert warning.severity == "warning" and warning.origin == Origin.kickstart("test.ks", 2)
    assert "test.ks:3" in warning.message


@pytest.mark.parametrize("options, nontp, servers", [
    ("--nontp", True, []),
    ("--ntpservers=a.example,b.example", False, ["a.example", "b.example"]),
])
def test_timezone_deprecated_ntp_options_are_honoured_with_a_warning(options, nontp, servers):
    text, result = ks(f"timezone America/New_York {options}\n")
    sy = result.plan.system
    assert (sy.timezone, sy.utc, sy.nontp, sy.ntp_servers) == ("America/New_York", False, nontp, servers)
    assert result.ok
    assert [d.severity for d in result.diagnostics] == ["warning"]
    assert "timesource" in result.diagnostics[0].message
    _, result = ks("timesource --ntp-disable\n")
    assert clean(result).system.nontp


def test_bootloader_password_is_hashed_for_grub_and_disabled_bootloader():
    _, result = ks("bootloader --password=grubpw\n")
    bl = clean(result).bootloader
    assert secrets.is_grub_hash(bl.password_hash) and secrets.verify_grub("grubpw", bl.password_hash)
    _, result = ks("bootloader --disabled\n")
    bl = clean(result).bootloader
    assert bl.disabled and bl.location == "none"
    _, result = ks("bootloader --iscrypted --password=notahash\n")
    assert not result.ok and "GRUB PBKDF2" in result.errors[0].message


def test_network_devices_and_hostname():
    text, result = ks("""
        network --device=eth0 --bootproto=static --ip=192.0.2.10 --netmask=255.255.255.0 --gateway=192.0.2.1 --ipv6=2001:db8::10/64 --ipv6gateway=2001:db8::1 --nameserver=192.0.2.53,2001:db8::53 --ipv4-dns-search=example.com,lab.example.com --mtu=9000 --activate --nodefroute
        network --device=52:54:00:12:34:56 --bootproto=dhcp --onboot=off --noipv6
        network --device=bond0 --bootproto=dhcp --bondslaves=eth1,eth2 --bondopts=mode=active-backup,miimon=100
        network --device=eth3 --vlanid=42 --interfacename=vlan42 --bootproto=dhcp --noipv4 --ipv6=auto --hostname=vlan-host
        network --hostname=host.example.com
    """)
    plan = clean(result)
    eth0, mac, bond, vlan = plan.network.devices
    assert (eth0.device, eth0.bootproto, eth0.ip, eth0.netmask, eth0.gateway) == (
        "eth0", "static", "192.0.2.10", "255.255.255.0", "192.0.2.1")
    assert (eth0.ipv6, eth0.ipv6gateway, eth0.nameservers) == ("2001:db8::10/64", "2001:db8::1",
                                                              ["192.0.2.53", "2001:db8::53"])
    assert (eth0.search_domains, eth0.mtu, eth0.activate, eth0.nodefroute, eth0.onboot) == (
        ["example.com", "lab.example.com"], 9000, True, True, True)
    assert eth0.origin == at(text, "--ip=192.0.2.10")
    assert (mac.device, mac.onboot, mac.noipv6, mac.activate) == ("52:54:00:12:34:56", False, True, False)
    assert (bond.bond_slaves, bond.bond_opts) == (["eth1", "eth2"], "mode=active-backup,miimon=100")
    assert (vlan.vlan_id, vlan.interface_name, vlan.noipv4, vlan.ipv6, vlan.hostname) == (42, "vlan42", True,
                                                                                         "auto", "vlan-host")
    # The last hostname wins; a `network --hostname` line alone configures no device.
    assert plan.system.hostname == "host.example.com"
    assert plan.system.origin_of("hostname") == at(text, "network --hostname=host.example.com")


def test_root_and_user_passwords_are_hashed_when_the_plan_is_built():
    text, result = ks("""
        rootpw --plaintext --allow-ssh R00t-pw
        user --name=alice --groups=wheel,adm --password=alice-pw --plaintext --homedir=/srv/alice --shell=/bin/zsh --uid=1500 --gid=1500 --gecos="Alice A"
        user --name=bob --iscrypted --password=$6$abcdefghijklmnop$""" + "x" * 86 + """ --lock
        user --name=carol
        sshkey --username=alice "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey alice@example"
        sshkey --username=root "ssh-rsa AAAAB3Nza root@example"
    """)
    plan = clean(result)
    ac = plan.accounts
    assert secrets.verify("R00t-pw", ac.root_password_hash)
    assert ac.root_allow_ssh and not ac.root_lock
    assert plan.security.permit_root_login == "yes"
    assert ac.origin_of("root_password_hash") == at(text, "rootpw")
    alice, bob, carol = ac.users
    assert secrets.verify("alice-pw", alice.password_hash)
    assert (alice.groups, alice.homedir, alice.shell, alice.uid, alice.gid, alice.gecos) == (
        ["wheel", "adm"], "/srv/alice", "/bin/zsh", 1500, 1500, "Alice A")
    assert bob.password_hash == "$6$abcdefghijklmnop$" + "x" * 86 and bob.lock
    assert carol.password_hash is None and carol.groups == []
    assert alice.origin == at(text, "--name=alice")
    k1, k2 = ac.ssh_keys
    assert (k1.username, k1.key) == ("alice", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey alice@example")
    assert k2.username == "root" and k2.origin == at(text, "--username=root")
    assert "R00t-pw" not in repr(plan) and "alice-pw" not in str(plan.to_dict())


def test_rootpw_lock_without_password_and_user_password_without_plaintext_flag():
    _, result = ks("rootpw --lock\nuser --name=dave --password=dave-pw\n")
    plan = clean(result)
    assert plan.accounts.root_lock and plan.accounts.root_password_hash is None
    assert secrets.verify("dave-pw", plan.accounts.users[0].password_hash)


def test_security_services_and_firewall():
    text, result = ks("""
        selinux --permissive
        firewall --enabled --ssh --service=http,https --port=8443:tcp,53:udp --trust=eth1 --remove-service=cockpit
        services --enabled=podman,nginx --disabled=chronyd
    """)
    plan = clean(result)
    se = plan.security
    assert se.selinux == "permissive" and se.origin_of("selinux") == at(text, "selinux")
    fw = se.firewall
    assert fw.enabled and set(fw.services) == {"ssh", "http", "https"}
    assert (fw.ports, fw.trusted, fw.remove_services) == (["8443:tcp", "53:udp"], ["eth1"], ["cockpit"])
    assert fw.origin_of("ports") == at(text, "firewall")
    sv = plan.services
    defaults = [s for s in PRODUCT_DEF.services_enabled if s != "chronyd"]
    assert sv.enabled == defaults + ["podman", "nginx"]
    assert sv.disabled == ["chronyd"] and sv.origin_of("enabled") == at(text, "services")
    _, result = ks("firewall --disabled\nselinux --disabled\nservices --disabled=sshd\n")
    plan = clean(result)
    assert not plan.security.firewall.enabled and plan.security.selinux == "disabled"
    assert not plan.security.sshd_enabled and "sshd" not in plan.services.enabled


def test_scripts_keep_kind_options_body_and_line():
    text, result = ks("""
        %pre --interpreter=/usr/bin/python3 --log=/tmp/pre.log
        print("pre")
        %end
        %pre-install
        echo pre-install
        %end
        %post --nochroot --erroronfail --log=/mnt/sysroot/root/post.log
        cp /etc/resolv.conf /mnt/sysroot/etc/

        echo "%not-a-section"
        %end
        %post
        echo in chroot
        %end
        %onerror
        echo failed
        %end
        %traceback
        echo tb
        %end
    """)
    assert result.ok
    # pykickstart deprecates %traceback; azl-install keeps it and passes the warning on.
    assert [(d.severity, d.origin) for d in result.diagnostics] == [("warning", at(text, "%traceback"))]
    plan = result.plan
    kinds = [s.kind for s in plan.scripts]
    assert kinds == ["pre", "pre-install", "post", "post", "onerror", "traceback"]
    pre, preinst, nochroot, post, onerror, _tb = plan.scripts
    assert (pre.interpreter, pre.log, pre.body) == ("/usr/bin/python3", "/tmp/pre.log", 'print("pre")\n')
    assert (nochroot.chroot, nochroot.erroronfail) == (False, True)
    assert nochroot.body == 'cp /etc/resolv.conf /mnt/sysroot/etc/\n\necho "%not-a-section"\n'
    assert post.chroot and not post.erroronfail and post.interpreter == "/bin/sh"
    assert pre.origin == at(text, "%pre --interpreter")
    assert onerror.origin == at(text, "%onerror")


@pytest.mark.parametrize("command, action", [("reboot", "reboot"), ("poweroff", "poweroff"), ("halt", "halt"),
                                             ("shutdown", "shutdown")])
def test_finish_actions(command, action):
    _, result = ks(f"{command} --eject\n")
    fin = clean(result).finish
    assert (fin.action, fin.eject, fin.kexec) == (action, True, False)
    assert fin.origin_of("action") == Origin.kickstart("test.ks", 1)


def test_display_mode():
    assert clean(ks("cmdline\n")[1]).interactive is False
    assert clean(ks("text\n")[1]).interactive is True
    assert clean(ks("text --non-interactive\n")[1]).interactive is False
    _, result = ks("graphical\n")
    assert result.ok and result.plan.interactive is True
    assert [d.severity for d in result.diagnostics] == ["warning"]


def test_unset_values_keep_product_defaults_and_their_origin():
    _, result = ks("rootpw --lock\n")
    plan = clean(result)
    assert plan.security.selinux == PRODUCT_DEF.security["selinux"]
    assert plan.security.origin_of("selinux") == PRODUCT
    assert plan.services.enabled == list(PRODUCT_DEF.services_enabled)
    assert plan.system.timezone == PRODUCT_DEF.system["timezone"]


def test_load_kickstart_names_the_file_in_origins(tmp_path):
    path = tmp_path / "server.ks"
    path.write_text("lang en_GB.UTF-8\nzerombr\n")
    result = load_kickstart(path)
    assert result.ok
    assert result.plan.system.origin_of("lang") == Origin.kickstart(str(path), 1)
    assert result.plan.storage.origin_of("zerombr") == Origin.kickstart(str(path), 2)
    assert result.plan.source_file == str(path)
    assert result.plan.source_text == "lang en_GB.UTF-8\nzerombr\n"


def test_importing_the_kickstart_api_does_not_load_pykickstart():
    code = ("import sys, installer.kickstart.files, installer.model.secrets\n"
            "print(any(m.split('.')[0] == 'pykickstart' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["", "-"]), st.sampled_from(["vim", "nano", "tmux", "git", "@grp", "@other"])),
                max_size=14))
def test_package_lines_give_what_pykickstart_gives_line_by_line(entries):
    """%packages lines go to pykickstart in batches; the result must equal feeding them one at a time."""
    from pykickstart.parser import Packages

    lines = [sign + name for sign, name in entries]
    reference = Packages()
    for line in lines:
        reference.add([line])
    result = parse_kickstart("%packages\n" + "".join(line + "\n" for line in lines) + "%end\n", "p.ks")
    assert result.ok
    pk = result.plan.payload.packages
    assert pk.packages == reference.packageList
    assert pk.excluded_packages == reference.excludedList
    assert pk.groups == [g.name for g in reference.groupList]
    assert pk.excluded_groups == list(dict.fromkeys(g.name for g in reference.excludedGroupList))
