"""azl-install convert: plans survive kickstart -> image configuration -> kickstart; losses are listed."""

import base64
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.imageconfig.write import write
from installer.kickstart.files import dump_kickstart, parse_kickstart
from installer.model.defaults import new_plan
from installer.model.plan import (
    ClearPart,
    NetworkDevice,
    PartitionRequest,
    Script,
    SshKey,
    User,
)
from installer.model.product import load_product
from installer.model.secrets import hash_password

PRODUCT = load_product()
HASHES = [hash_password("first pass"), hash_password("second pass")]
KEYS = ["ssh-ed25519 " + base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + bytes([i]) * 32).decode() + f" k{i}"
        for i in range(3)]
NAMES = st.from_regex(r"[a-z][a-z0-9]{1,7}", fullmatch=True).filter(lambda n: n not in ("root", "bin", "daemon"))


@st.composite
def plans(draw):
    plan = new_plan(PRODUCT)
    st_ = plan.storage
    if draw(st.booleans()):
        st_.selected_disks = [draw(st.sampled_from(["vda", "/dev/disk/by-id/ata-X_1", "match:size=largest",
                                                    "match:size=smallest;model=QEMU"]))]
        st_.zerombr = True
        st_.clearpart = ClearPart(mode="all", initlabel=True, disklabel=draw(st.sampled_from(["gpt", "msdos"])))
        efi = draw(st.booleans())
        parts = [PartitionRequest(mountpoint="/boot/efi", size_mib=draw(st.integers(100, 600)), fstype="efi")
                 if efi else PartitionRequest(mountpoint="biosboot", size_mib=1, fstype="biosboot")]
        if draw(st.booleans()):
            parts.append(PartitionRequest(mountpoint="/boot", size_mib=draw(st.integers(256, 2048)),
                                          fstype=draw(st.sampled_from(["ext4", "xfs"]))))
        if draw(st.booleans()):
            parts.append(PartitionRequest(mountpoint="swap", size_mib=draw(st.integers(64, 4096)), fstype="swap"))
        if draw(st.booleans()):
            parts.append(PartitionRequest(mountpoint="/var", size_mib=draw(st.integers(512, 8192)), fstype="xfs",
                                          fsoptions=draw(st.sampled_from([None, "noatime", "noatime,nodev"]))))
        grow = draw(st.booleans())
        parts.append(PartitionRequest(mountpoint="/", size_mib=1 if grow else draw(st.integers(2048, 20000)),
                                      grow=grow, fstype=draw(st.sampled_from(["ext4", "xfs"]))))
        st_.partitions = parts
    plan.system.hostname = draw(st.none() | NAMES)
    plan.system.timezone = draw(st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]))
    plan.system.lang = draw(st.sampled_from(["en_US.UTF-8", "fr_FR.UTF-8", "de_DE.UTF-8"]))
    plan.system.keyboard = draw(st.sampled_from(["us", "fr", "de"]))
    extra = draw(st.lists(st.sampled_from(["quiet", "console=ttyS0", "nosmt", "audit=1"]), unique=True, max_size=3))
    if extra:
        plan.bootloader.append = " ".join([PRODUCT.bootloader.get("append", ""), *extra]).strip()
    pk = plan.payload.packages
    pk.sets = [draw(st.sampled_from(sorted(PRODUCT.package_sets)))]
    pk.packages = draw(st.lists(st.sampled_from(["vim", "tmux", "htop", "jq"]), unique=True, max_size=3))
    pk.excluded_packages = draw(st.lists(st.sampled_from(["nano", "cloud-init"]), unique=True, max_size=2))
    ac = plan.accounts
    root = draw(st.sampled_from(["lock", "hash", "none"]))
    ac.root_lock = root == "lock"
    ac.root_password_hash = HASHES[0] if root == "hash" else None
    names = draw(st.lists(NAMES, unique=True, max_size=3))
    for i, name in enumerate(names):
        locked = draw(st.booleans())
        ac.users.append(User(name=name, uid=draw(st.none() | st.integers(1000, 60000)), lock=locked,
                             password_hash=None if locked else draw(st.none() | st.sampled_from(HASHES)),
                             groups=draw(st.lists(st.sampled_from(["wheel", "adm", "video"]), unique=True, max_size=2)),
                             shell=draw(st.none() | st.just("/bin/bash")), homedir=draw(st.none() | st.just(f"/srv/{name}"))))
        ac.ssh_keys += [SshKey(username=name, key=k) for k in draw(st.lists(st.sampled_from(KEYS), unique=True,
                                                                            max_size=2))]
    plan.security.selinux = draw(st.sampled_from(["enforcing", "permissive", "disabled"]))
    disabled = draw(st.lists(st.sampled_from(["chronyd", "cups"]), unique=True, max_size=1))
    enabled = draw(st.lists(st.sampled_from(["nginx", "podman"]), unique=True, max_size=2))
    plan.services.enabled = [s for s in PRODUCT.services_enabled if s not in disabled] + enabled
    plan.services.disabled = disabled
    for body in draw(st.lists(st.sampled_from(["echo one > /etc/one\n", "touch /etc/two\nexit 0\n"]), max_size=2)):
        plan.scripts.append(Script(kind="post", body=body, erroronfail=True))
    plan.finish.action = draw(st.sampled_from(["reboot", "poweroff", "halt"]))
    plan.system.nontp = draw(st.booleans())
    plan.bootloader.timeout = draw(st.sampled_from([PRODUCT.bootloader.get("timeout"), 1, 30]))
    pk.nocore, pk.excludedocs = draw(st.booleans()), draw(st.booleans())
    fw = plan.security.firewall
    fw.enabled = draw(st.booleans())
    if fw.enabled:
        fw.services = draw(st.lists(st.sampled_from(["http", "https"]), unique=True, max_size=2))
        fw.ports = draw(st.lists(st.sampled_from(["8080:tcp", "53:udp"]), unique=True, max_size=2))
    plan.security.password_authentication = draw(st.booleans())
    plan.security.permit_root_login = draw(st.sampled_from(["prohibit-password", "no"]))
    for _ in range(draw(st.integers(0, 2))):
        static = draw(st.booleans())
        plan.network.devices.append(NetworkDevice(
            device=draw(st.sampled_from(["eth0", "ens3", "52:54:00:12:34:56"])), bootproto="static" if static
            else "dhcp", ip="192.0.2.7" if static else None, netmask="255.255.255.0" if static else None,
            gateway="192.0.2.1" if static else None, nameservers=["192.0.2.53"] if static else []))
    return plan


def view(plan):
    """What both formats say: the plan without origins and the kickstart-only defaults."""
    st_ = plan.storage
    return {
        "disks": st_.selected_disks, "zerombr": st_.zerombr,
        "clear": (st_.clearpart.mode, st_.clearpart.initlabel, st_.clearpart.disklabel) if st_.partitions else None,
        "parts": [(p.mountpoint, p.size_mib, p.grow, p.fstype, p.fsoptions) for p in st_.partitions],
        "system": (plan.system.hostname, plan.system.timezone, plan.system.lang, plan.system.keyboard),
        "append": plan.bootloader.append,
        "packages": (plan.payload.packages.sets, sorted(plan.payload.packages.packages),  # %packages has no order
                     sorted(plan.payload.packages.excluded_packages)),
        "root": (plan.accounts.root_lock, plan.accounts.root_password_hash),
        "users": [(u.name, u.uid, u.lock, u.password_hash, u.groups, u.shell, u.homedir) for u in plan.accounts.users],
        "keys": sorted((k.username, k.key) for k in plan.accounts.ssh_keys),
        "selinux": plan.security.selinux,
        "services": (plan.services.enabled, plan.services.disabled),
        "scripts": [(s.kind, s.body, s.interpreter, s.chroot, s.erroronfail) for s in plan.scripts],
        "finish": plan.finish.action,
        "nontp": plan.system.nontp, "timeout": plan.bootloader.timeout,
        "package options": (plan.payload.packages.nocore, plan.payload.packages.excludedocs),
        "firewall": (plan.security.firewall.enabled, plan.security.firewall.services, plan.security.firewall.ports),
        "sshd": (plan.security.sshd_enabled, plan.security.password_authentication,
                 plan.security.permit_root_login),
        "network": [(d.device, d.bootproto, d.ip, d.netmask, d.gateway, d.nameservers) for d in plan.network.devices],
    }


def from_config(text):
    result = parse_kickstart(text, "generated.yaml")
    assert result.errors == [], "\n".join(map(str, result.diagnostics)) + "\n---\n" + text
    return result.plan


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_generated_plans_survive_both_formats(plan):
    text, notes = write(plan, PRODUCT)
    assert notes == [], notes
    again = from_config(text)
    assert view(again) == view(plan), text
    kickstart = dump_kickstart(again)
    back = parse_kickstart(kickstart, "generated.ks")
    assert back.errors == [], "\n".join(map(str, back.diagnostics)) + "\n---\n" + kickstart
    assert view(back.plan) == view(plan), kickstart
    text2, notes2 = write(back.plan, PRODUCT)
    assert notes2 == [] and view(from_config(text2)) == view(plan)


def test_what_a_configuration_cannot_hold_is_listed_not_dropped():
    result = parse_kickstart(
        "autopart --type=lvm\nfirewall --enabled --trust=eth1\nuser --name=a --gecos='A B' --gid=2000\n"
        "%pre\necho\n%end\n%post --nochroot\necho\n%end\n", "in.ks")
    assert result.errors == []
    text, notes = write(result.plan, PRODUCT)
    for want in ("autopart", "firewall --remove-service/--trust", "user a --gid", "user a --gecos", "%pre at in.ks:4", "%post at in.ks:7"):
        assert any(n.startswith(want) for n in notes), (want, notes)
        assert any(line.startswith(f"#   - {want}") for line in text.splitlines())


def test_cli_convert_both_ways(tmp_path):
    ks = tmp_path / "in.ks"
    ks.write_text("rootpw --plaintext 'pa ss'\nfirewall --enabled --trust=eth1\nzerombr\nclearpart --all\n"
                  "ignoredisk --only-use=vda\npart /boot/efi --size=200 --fstype=efi\npart / --size=1 --grow\n")
    cfg = tmp_path / "out.yaml"
    run = [sys.executable, "-m", "installer", "convert"]
    out = subprocess.run([*run, str(ks), "--to", "image-config", "-o", str(cfg)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "not converted: firewall --remove-service/--trust" in out.stderr and "pa ss" not in cfg.read_text()
    assert oct(cfg.stat().st_mode & 0o777) == "0o600"
    out = subprocess.run([*run, str(cfg), "--to", "kickstart"], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stderr
    assert "part / --size=1 --grow" in out.stdout and "ignoredisk --only-use=vda" in out.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("os:\n  hostnme: x\n")
    out = subprocess.run([*run, str(bad), "--to", "kickstart"], capture_output=True, text=True, check=False)
    assert out.returncode == 1 and f"{bad}:2:3: os.hostnme: unknown key" in out.stderr and out.stdout == ""
