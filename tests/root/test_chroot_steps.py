"""The configuration steps run for real, through chroot, on a small Debian root
(debootstrap, cached under build/): the target's own useradd, chpasswd, systemctl,
ssh-keygen and sshd decide whether the result is right."""

import os
import shutil
import subprocess

import pytest

from chroot_target import build_chroot, fresh_copy

from installer import engine
from installer.kickstart.files import parse_kickstart
from installer.model.machine import Disk, Machine, Nic
from installer.model.product import load_product

pytestmark = [pytest.mark.root, pytest.mark.slow]

CAROL_HASH = "$6$saltsalt$" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./" + "x" * 22
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example"
KS = f"""zerombr
clearpart --all --initlabel
autopart --type=plain
rootpw --plaintext RootPlain-4242
user --name=alice --groups=sudo,audio,newgroup --password=AlicePlain-7777 --plaintext --gecos="Alice Example"
user --name=bob --uid=2345 --gid=3456 --lock --shell=/bin/sh
user --name=carol --homedir=/srv/carol --password={CAROL_HASH} --iscrypted
sshkey --username=alice "{KEY}"
sshkey --username=root "{KEY}"
network --device=eth0 --bootproto=static --ip=192.0.2.10 --netmask=255.255.255.0 --gateway=192.0.2.1 --nameserver=192.0.2.53 --hostname=node1.example.com
timezone Europe/Berlin --utc
timesource --ntp-server=ntp.example.com
lang de_DE.UTF-8
keyboard de
selinux --permissive
services --enabled=chronyd --disabled=ssh.socket
"""
STEPS = ["network", "accounts", "ssh", "selinux", "timezone", "locale", "services", "firewall", "save", "relabel"]
PLAINTEXT = ("RootPlain-4242", "AlicePlain-7777")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The Debian root after the steps above ran on it for real."""
    if not shutil.which("debootstrap"):
        pytest.skip("debootstrap is not installed (apt-get install debootstrap)")
    base = tmp_path_factory.mktemp("chroot")
    target = fresh_copy(base / "root")
    old_keys = {p.name: p.read_bytes() for p in (target / "etc/ssh").glob("ssh_host_*")}
    result = parse_kickstart(KS, "config.ks")
    assert result.ok, [str(d) for d in result.diagnostics]
    plan = result.plan
    # Storage is not among the steps run here; the disk is only there for validation.
    machine = Machine(firmware="uefi", nics=[Nic(name="eth0", mac="52:54:00:12:34:56", carrier=True)],
                      disks=[Disk(name="vda", path="/dev/vda", size=20 * 1024**3, transport="virtio")])
    events = []
    outcome = engine.run(plan, machine, load_product(), target=target, events=events.append,
                         log_dir=base / "log", steps=STEPS, power_action=False)
    assert outcome.ok, outcome.message + "\n" + "\n".join(outcome.failure.log_tail if outcome.failure else [])
    yield {"target": target, "old_keys": old_keys, "events": events, "log": base / "log", "outcome": outcome}


def run_in(target, *cmd):
    return subprocess.run(["chroot", str(target), *cmd], capture_output=True, text=True,
                          env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"})


def table(target, name):
    return {l.split(":")[0]: l.split(":") for l in (target / "etc" / name).read_text().splitlines() if l}


def complaints(tool, root):
    proc = subprocess.run([tool, "-r", "-R", str(root)], capture_output=True, text=True)
    return proc.returncode, {l for l in (proc.stdout + proc.stderr).splitlines() if "no changes" not in l}


def test_passwd_shadow_group_gshadow_are_consistent(installed):
    """pwck/grpck find nothing new: the pristine Debian root's own complaints (system users whose
    home directories a minbase install never creates) are the only ones allowed."""
    t = installed["target"]
    for tool in ("pwck", "grpck"):
        rc, found = complaints(tool, t)
        base_rc, baseline = complaints(tool, build_chroot())
        assert found <= baseline, sorted(found - baseline)
        assert rc in (0, base_rc)
    passwd, shadow, group, gshadow = (table(t, n) for n in ("passwd", "shadow", "group", "gshadow"))
    assert set(passwd) == set(shadow) and set(group) == set(gshadow)


def test_users_groups_and_passwords(installed):
    t = installed["target"]
    passwd, shadow, group = table(t, "passwd"), table(t, "shadow"), table(t, "group")
    alice = passwd["alice"]
    assert alice[4] == "Alice Example" and alice[5] == "/home/alice" and alice[6] == "/bin/bash"
    for g in ("sudo", "audio", "newgroup"):
        assert "alice" in group[g][3].split(",")
    assert shadow["alice"][1].startswith(("$6$", "$y$")) and len(shadow["alice"][1]) > 20
    assert shadow["root"][1].startswith(("$6$", "$y$"))
    assert passwd["bob"][2:4] == ["2345", "3456"] and group["bob"][2] == "3456"
    assert shadow["bob"][1].startswith("!")
    assert shadow["carol"][1] == CAROL_HASH and passwd["carol"][5] == "/srv/carol"


def test_password_hashes_verify_with_the_targets_own_crypt(installed):
    """The plaintext from the kickstart must log in: check the hash through the target's perl crypt()."""
    t = installed["target"]
    shadow = table(t, "shadow")
    if not (t / "usr/bin/perl").exists():
        pytest.skip("no perl in the target")
    for user, plain in (("root", PLAINTEXT[0]), ("alice", PLAINTEXT[1])):
        h = shadow[user][1]
        proc = run_in(t, "perl", "-e", "print crypt($ARGV[0], $ARGV[1]) eq $ARGV[1] ? 'ok' : 'bad'", plain, h)
        assert proc.stdout == "ok", (user, proc.stdout, proc.stderr)


def test_homes_and_ssh_keys_are_owned_by_their_users(installed):
    t = installed["target"]
    passwd = table(t, "passwd")
    for user, home in (("alice", "home/alice"), ("carol", "srv/carol"), ("bob", "home/bob")):
        st = os.stat(t / home)
        assert (st.st_uid, st.st_gid) == (int(passwd[user][2]), int(passwd[user][3])), user
    ssh = t / "home/alice/.ssh"
    keys = ssh / "authorized_keys"
    assert keys.read_text() == KEY + "\n"
    assert os.stat(ssh).st_mode & 0o777 == 0o700 and os.stat(keys).st_mode & 0o777 == 0o600
    assert os.stat(keys).st_uid == int(passwd["alice"][2])
    assert (t / "root/.ssh/authorized_keys").read_text() == KEY + "\n"


def test_sshd_accepts_the_config_and_applies_the_policy(installed):
    t = installed["target"]
    (t / "run/sshd").mkdir(parents=True, exist_ok=True)
    proc = run_in(t, "/usr/sbin/sshd", "-T")
    assert proc.returncode == 0, proc.stderr
    conf = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if " " in line)
    assert conf["permitrootlogin"] == "without-password"  # sshd's name for prohibit-password
    assert conf["passwordauthentication"] == "yes"


def test_host_keys_are_new(installed):
    t = installed["target"]
    new = {p.name: p.read_bytes() for p in (t / "etc/ssh").glob("ssh_host_*")}
    assert new, "Debian's sshd needs host keys"
    assert all(new.get(name) != data for name, data in installed["old_keys"].items())


def test_services_enabled_and_disabled(installed):
    t = installed["target"]

    def state(unit):
        return subprocess.run(["systemctl", f"--root={t}", "is-enabled", unit], capture_output=True,
                              text=True).stdout.strip()

    assert state("ssh.service") == "enabled"
    assert state("chrony.service") == "enabled"
    assert state("ssh.socket") == "disabled"
    warnings = installed["outcome"].warnings
    assert any("NetworkManager" in w for w in warnings)  # not in this small root
    assert any("NO firewall" in w for w in warnings)


def test_time_language_keyboard_network(installed):
    t = installed["target"]
    assert os.readlink(t / "etc/localtime") == "../usr/share/zoneinfo/Europe/Berlin"
    assert (t / "etc/localtime").resolve().is_relative_to(t)
    assert (t / "etc/timezone").read_text() == "Europe/Berlin\n"
    assert "server ntp.example.com iburst" in (t / "etc/chrony/chrony.conf").read_text()
    assert (t / "etc/locale.conf").read_text() == "LANG=de_DE.UTF-8\n"
    assert "KEYMAP=de" in (t / "etc/vconsole.conf").read_text()
    assert (t / "etc/hostname").read_text() == "node1.example.com\n"
    conn = t / "etc/NetworkManager/system-connections/eth0.nmconnection"
    assert os.stat(conn).st_mode & 0o777 == 0o600 and "address1=192.0.2.10/24,192.0.2.1" in conn.read_text()
    date = run_in(t, "date", "+%Z")
    assert date.stdout.strip() in ("CET", "CEST")


def test_selinux_config_and_relabel_fallback(installed):
    t = installed["target"]
    assert "SELINUX=permissive" in (t / "etc/selinux/config").read_text().splitlines()
    assert (t / ".autorelabel").exists()  # setfiles is there, but no policy: the target relabels at boot


def test_saved_kickstart_and_logs_hold_no_plaintext(installed):
    t = installed["target"]
    saved = t / "root/installer-ks.cfg"
    assert os.stat(saved).st_mode & 0o777 == 0o600
    text = saved.read_text()
    assert "rootpw --iscrypted" in text and "user --name=alice" in text
    assert os.stat(t / "root/original-ks.cfg").st_mode & 0o777 == 0o600
    files = [saved, t / "root/original-ks.cfg", *(t / "var/log/installer").iterdir(),
             *installed["log"].iterdir()]
    for f in files:
        content = f.read_text(errors="replace")
        for secret in PLAINTEXT:
            assert secret not in content, f
    assert "useradd" in (t / "var/log/installer/install.log").read_text()
    for e in installed["events"]:
        for secret in PLAINTEXT:
            assert secret not in e.to_json()


def test_saved_kickstart_parses_back_to_the_same_configuration(installed):
    t = installed["target"]
    again = parse_kickstart((t / "root/installer-ks.cfg").read_text(), "installer-ks.cfg")
    assert again.ok, [str(d) for d in again.diagnostics]
    first = parse_kickstart(KS, "config.ks").plan
    assert [u.name for u in again.plan.accounts.users] == [u.name for u in first.accounts.users]
    assert again.plan.system.timezone == first.system.timezone
    assert again.plan.security.selinux == "permissive"
