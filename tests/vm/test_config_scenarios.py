"""Configuration proofs in the VM: the installer installs the test OS from a kickstart, the
installed disk boots alone, and its configuration is checked over SSH.

The installs boot the installation medium (build/azl-install.iso, `make iso`) as a CD-ROM, the
way users do: GRUB's "Install unattended" entry (inst.ks inst.cmdline), the kickstart on a
disk labelled OEMDRV, the packages from the medium's own signed repository (the product's
default source), the installer started by the medium's azl-install@ttyS0.service.

  cfg-uefi      UEFI virtio, the product's default layout (LVM + xfs; storage scenario 1): user + key +
                password, static IPv4, time zone + NTP, SELinux permissive, services, firewalld with
                http added, %post (chroot and --nochroot); an NVMe disk left alone.
  cfg-replay    a reinstall in one key: the booted cfg-uefi system gets a marker file, then the medium
                boots over the same disk with inst.reinstall inst.cmdline (`azl-install reinstall
                --yes`): the installer-ks.cfg cfg-uefi saved, found read-only on that disk, is
                installed again: same layout and configuration, the marker gone, new host keys.
  cfg-bios      BIOS SATA, from an Azure Linux image configuration (cfg-bios.yaml, the same system
                as cfg-bios.ks: bios-grub, /boot and / on ext4, swap; storage scenario 2's layout
                written out): DHCP, SELinux disabled, no NTP, locked user with a key, firewall off.
                Also the inst.cmdline proof: on this
                serial-only VM the installer's console output has no escape sequences and ends
                with the success line.
  cfg-postfail  %post --erroronfail fails: the install stops, showing its output (the harness's
                live env, liveimg over 9p)
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from harness import checks, scenario, ssh, verify
from harness.paths import VM_DIR
from harness.scenario import Scenario, TargetDisk
from harness.ssh import sections

pytestmark = pytest.mark.vm

HERE = VM_DIR / "scenarios" / "config"
PLAINTEXT = ["azl-root-plaintext-1", "azl-user-plaintext-2", "azl-root-plaintext-3", "azl-user-plaintext-4"]
EXTRA = r"""
echo "== enabled"
for u in ssh.service chrony.service e2scrub_reap.service NetworkManager.service firewalld.service; do
  echo "$u $(systemctl is-enabled $u 2>&1)"; done
echo "== active-ipv4"
for c in $(nmcli -t -f NAME connection show --active); do
  nmcli -g ipv4.method,ipv4.addresses,ipv4.gateway,ipv4.dns connection show "$c"; done
echo "== keyfiles"
stat -c '%a %U %n' /etc/NetworkManager/system-connections/* 2>&1
echo "== post"
cat /root/post-chroot.txt /root/post-nochroot.txt 2>&1
echo "== chrony"
grep -hE '^(server|pool)' /etc/chrony/chrony.conf /etc/chrony.conf 2>/dev/null
echo "== vconsole"
cat /etc/vconsole.conf 2>&1
echo "== locale"
cat /etc/locale.conf 2>&1
echo "== home"
stat -c '%a %U %G %n' /home/* /home/*/.ssh /home/*/.ssh/authorized_keys /root/.ssh /root/.ssh/authorized_keys 2>&1
echo "== hostkeys"
cat /etc/ssh/ssh_host_ed25519_key.pub 2>&1
echo "== logs"
ls -l /var/log/installer/ 2>&1
grep -c . /var/log/installer/install.log 2>&1
grep -lE 'azl-(root|user)-plaintext' /var/log/installer/* /root/*.cfg 2>/dev/null || echo "no plaintext"
echo "== marker"
ls /root/marker 2>&1
echo "== firewall"
firewall-cmd --state 2>&1
firewall-cmd --list-services 2>&1
echo "== end"
"""


def config_scenario(name: str, firmware: str, disks: list[TargetDisk], expected: dict,
                    kickstart: str | None = None, delivery: str = "file") -> Scenario:
    text = kickstart if kickstart is not None else (HERE / f"{name}.ks").read_text()
    return Scenario(name=name, firmware=firmware, disks=disks, expected=expected, install="installer",
                    kickstart=text, ks_delivery=delivery, timeout=2400)


def login(port: int, key: Path, user: str) -> subprocess.CompletedProcess:
    argv = ssh.ssh_argv(port, key)[:-1] + [f"{user}@127.0.0.1", "id -un"]
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def password_login(port: int, user: str, password: str) -> subprocess.CompletedProcess:
    """A real password login attempt (no key offered), answering through SSH_ASKPASS."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as fh:
        fh.write(f"#!/bin/sh\necho '{password}'\n")
    os.chmod(fh.name, 0o700)
    env = {**os.environ, "SSH_ASKPASS": fh.name, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}
    argv = ["ssh", "-p", str(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
            "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            f"{user}@127.0.0.1", "id -un"]
    try:
        return subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=60)
    finally:
        os.unlink(fh.name)


def boot_and_inspect(sc: Scenario, key: Path, timer, logins=(), passwords=(), then: str = "") -> dict:
    """Boot the installed disk alone; the harness checks plus this file's extra facts and logins;
    `then`: a shell command run as root after them, before the poweroff."""
    r = sc.results
    assert r.get("rc") == 0, (f"{sc.name}: install exited with {r.get('rc')}\n"
                              + "\n".join(r.get("output", "").splitlines()[-60:])
                              + f"\n--- serial ({r.get('serial_log')}) ---\n{r.get('serial_tail', '')}")
    changed = [p for p, h in r["before"].items() if r["after"].get(p) != h]
    assert not changed, f"{sc.name}: disks not selected were modified: {changed}"
    boot = [d for d in r["disks"] if d.selected]
    vm = verify.installed_vm(f"{sc.name}-installed", sc.workdir / "boot", boot, sc.firmware)
    with vm:
        with timer.phase("reboot", sc.name):
            ssh.wait_ssh(vm, vm.ssh_port, key, 600)
        with timer.phase("checks", sc.name):
            facts = checks.gather(vm.ssh_port, key)
            extra = ssh.run(vm.ssh_port, key, EXTRA, timeout=120).stdout
            facts["logins"] = {user: login(vm.ssh_port, key, user) for user in logins}
            facts["passwords"] = {user: password_login(vm.ssh_port, user, pw) for user, pw in passwords}
        problems = checks.run_checks(facts, sc.expected)
        if then:
            facts["then"] = ssh.run(vm.ssh_port, key, then, timeout=60)
        ssh.run(vm.ssh_port, key, "systemctl poweroff --no-block", timeout=30)
        try:
            vm.wait_exit(60)
        except Exception:
            pass
    facts["extra"] = sections(extra)
    (sc.workdir / "facts.txt").write_text("".join(f"=== {k}\n{v}" for k, v in facts.items()))
    assert not problems, f"{sc.name}: " + "\n  ".join(problems) + f"\n--- serial ---\n{vm.tail(40)}"
    return facts


@pytest.fixture(scope="module")
def uefi_runs(install_medium, ssh_key, vm_timer):
    """cfg-uefi installed, booted and inspected."""
    uefi = config_scenario("cfg-uefi", "uefi",
                           [TargetDisk("os", "12G", "virtio", True, "cfg-uefi-os"),
                            TargetDisk("keep", "2G", "nvme", False, "cfg-uefi-keep")],
                           expected={
                               "hostname": "cfg-uefi.example.test", "firmware": "uefi",
                               "selinux": "permissive", "fstab_by_uuid": True,
                               "network": {"state": "activated"},
                               "sshd": {"permitrootlogin": "without-password", "passwordauthentication": "yes"},
                               "users": [{"name": "azl", "groups": ["wheel", "sudo"], "shell": "/bin/bash",
                                          "password": "set"},
                                         {"name": "root", "uid": 0, "password": "set"}],
                               "timezone": "Europe/Berlin",
                               "saved_kickstart": {"mode": "600", "absent": PLAINTEXT,
                                                   "present": ["rootpw --iscrypted", "user "]},
                               "installer_logs": ["install.log", "plan.json"],
                               "cmdline": {"present": ["console=ttyS0"]},
                               "layout": [{"mountpoint": "/", "fstype": "xfs", "stack": ["disk", "part", "lvm"]},
                                          {"mountpoint": "/boot", "fstype": "xfs", "stack": ["disk", "part"]},
                                          {"mountpoint": "/boot/efi", "fstype": "vfat"}],
                           }, delivery="oemdrv")
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install_from_iso(install_medium, uefi, pub, vm_timer, boot_name="cfg-uefi-iso")
    facts = boot_and_inspect(uefi, ssh_key, vm_timer, logins=("azl",),
                             passwords=(("azl", "azl-user-plaintext-2"), ("root", "azl-root-plaintext-1")),
                             then="echo changed after the install > /root/marker && sync")
    assert facts["then"].returncode == 0, facts["then"].stderr
    return {"uefi": uefi, "facts": facts}


def test_uefi_install_configures_the_system(uefi_runs):
    facts = uefi_runs["facts"]
    extra = facts["extra"]
    enabled = dict(line.split(" ", 1) for line in extra["enabled"].splitlines() if " " in line)
    assert enabled["ssh.service"] == "enabled" and enabled["chrony.service"] == "enabled"
    assert enabled["NetworkManager.service"] == "enabled"
    assert enabled["e2scrub_reap.service"] == "disabled"
    assert "manual" in extra["active-ipv4"] and "10.0.2.15/24" in extra["active-ipv4"]
    assert "10.0.2.2" in extra["active-ipv4"] and "10.0.2.3" in extra["active-ipv4"]
    assert re.search(r"^600 root ", extra["keyfiles"], re.MULTILINE)
    assert "post ran in cfg-uefi.example.test" in extra["post"]
    assert "nochroot target=/mnt/sysroot" in extra["post"]
    assert "server ntp.example.test iburst" in extra["chrony"]
    assert "KEYMAP=de" in extra["vconsole"] and "LANG=en_US.UTF-8" in extra["locale"]
    assert re.search(r"^700 azl azl /home/azl/.ssh$", extra["home"], re.MULTILINE)
    assert re.search(r"^600 azl azl /home/azl/.ssh/authorized_keys$", extra["home"], re.MULTILINE)
    assert re.search(r"^600 root root /root/.ssh/authorized_keys$", extra["home"], re.MULTILINE)
    assert "no plaintext" in extra["logs"]
    assert enabled["firewalld.service"] == "enabled"
    state, services = (extra["firewall"].splitlines() + ["", ""])[:2]
    assert state == "running" and {"ssh", "http"} <= set(services.split()), extra["firewall"]


def test_the_kickstart_user_logs_in_with_its_key(uefi_runs):
    proc = uefi_runs["facts"]["logins"]["azl"]
    assert proc.returncode == 0 and proc.stdout.strip() == "azl", proc.stderr


def test_password_logins_follow_the_policy(uefi_runs):
    pw = uefi_runs["facts"]["passwords"]
    assert pw["azl"].returncode == 0 and pw["azl"].stdout.strip() == "azl", pw["azl"].stderr
    # root: PermitRootLogin prohibit-password (no rootpw --allow-ssh): the right password is refused
    assert pw["root"].returncode != 0 and "Permission denied" in pw["root"].stderr


def test_reinstall_in_one_key_gives_the_same_system(uefi_runs, install_medium, ssh_key, vm_timer):
    """`azl-install reinstall --yes` (boot options inst.reinstall inst.cmdline) over the cfg-uefi
    disk itself, after that system was changed: no kickstart given, the one it saved is used."""
    first = uefi_runs["facts"]
    saved = first["ks"]
    assert "cfg-uefi-os" in saved
    os_disk = TargetDisk("os", "12G", "virtio", True, "cfg-uefi-os")
    replay = config_scenario("cfg-replay", "uefi", [os_disk], expected=uefi_runs["uefi"].expected, kickstart="")
    replay.workdir.mkdir(parents=True, exist_ok=True)
    image = replay.workdir / "os.img"
    image.unlink(missing_ok=True)
    os.link(uefi_runs["uefi"].workdir / "os.img", image)  # the same disk, not a copy
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install_from_iso(install_medium, replay, pub, vm_timer, boot_name="cfg-replay-iso", entry="install",
                              extra=("inst.reinstall", "inst.cmdline"), ks_disk="none", keep_disks=True)
    output = replay.results.get("output", "")
    assert "Reinstalling cfg-uefi.example.test on " in output, output[-3000:]
    again = boot_and_inspect(replay, ssh_key, vm_timer, logins=("azl",))
    for name in ("hostname", "passwd", "group", "timezone", "selinux", "sshd"):
        assert normalise(again[name]) == normalise(first[name]), name
    assert layout(again) == layout(first)
    for part in ("enabled", "active-ipv4", "chrony", "vconsole", "locale", "home"):
        assert again["extra"][part] == first["extra"][part], part
    assert "No such file" in again["extra"]["marker"]  # the change made after the first install is gone
    assert again["extra"]["hostkeys"] != first["extra"]["hostkeys"]  # each install makes its own keys
    assert again["logins"]["azl"].returncode == 0


def normalise(text: str) -> str:
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)


def layout(facts: dict) -> list[tuple]:
    import json

    rows = []

    def walk(node, depth):
        rows.append((depth, node.get("type"), node.get("fstype"), node.get("mountpoint"), node.get("size")))
        for child in node.get("children") or []:
            walk(child, depth + 1)

    for dev in json.loads(facts["lsblk"])["blockdevices"]:
        if dev.get("type") == "disk" and dev.get("children"):
            walk(dev, 0)
    return rows


@pytest.fixture(scope="module")
def bios_runs(install_medium, live_env, test_payload, ssh_key, vm_timer):
    """cfg-bios installed from the medium and booted; cfg-postfail in the harness's live env."""
    bios = config_scenario("cfg-bios", "bios",
                           [TargetDisk("os", "10G", "sata", True, "cfg-bios-os")],
                           kickstart=(HERE / "cfg-bios.yaml").read_text(),
                           expected={
                               "hostname": "cfg-bios", "firmware": "bios", "selinux": "disabled",
                               "network": {"state": "activated"}, "fstab_by_uuid": True,
                               "sshd": {"permitrootlogin": "without-password", "passwordauthentication": "no"},
                               "users": [{"name": "keyonly", "password": "locked"},
                                         {"name": "pwuser", "password": "set"},
                                         {"name": "root", "password": "locked"}],
                               "timezone": "America/New_York",
                               "saved_kickstart": {"mode": "600", "present": ["selinux --disabled",
                                                                              "sshd --password-auth=no"],
                                                   "absent": PLAINTEXT},
                               "layout": [{"mountpoint": "/", "fstype": "ext4", "stack": ["disk", "part"]},
                                          {"mountpoint": "/boot", "fstype": "ext4", "stack": ["disk", "part"]}],
                           }, delivery="oemdrv")
    postfail = config_scenario("cfg-postfail", "bios", [TargetDisk("os", "8G", "sata", True, "cfg-postfail-os")],
                               expected={})
    pub = ssh_key.with_suffix(".pub").read_text()
    scenario.install_from_iso(install_medium, bios, pub, vm_timer, boot_name="cfg-bios-iso")
    scenario.install(live_env, test_payload, [postfail], pub, vm_timer, boot_name="cfg-postfail-live")
    facts = boot_and_inspect(bios, ssh_key, vm_timer, logins=("keyonly",),
                             passwords=(("pwuser", "azl-user-plaintext-4"),))
    return {"bios": bios, "facts": facts, "postfail": postfail}


def test_bios_install(bios_runs):
    facts = bios_runs["facts"]
    enabled = dict(line.split(" ", 1) for line in facts["extra"]["enabled"].splitlines() if " " in line)
    assert enabled["chrony.service"] == "disabled"  # timesource --ntp-disable
    assert enabled["firewalld.service"] in ("disabled", "masked"), facts["extra"]["enabled"]
    assert "not running" in facts["extra"]["firewall"], facts["extra"]["firewall"]
    assert "auto" in facts["extra"]["active-ipv4"]
    assert facts["logins"]["keyonly"].returncode == 0
    # sshd --password-auth=no: the right password is refused
    pw = facts["passwords"]["pwuser"]
    assert pw.returncode != 0 and "Permission denied" in pw.stderr, (pw.stdout, pw.stderr)


def test_failing_erroronfail_post_stops_the_install(bios_runs):
    r = bios_runs["postfail"].results
    out = r["output"]
    assert r["rc"] == 1, out[-3000:]
    assert "Installation failed (post_scripts)" in out
    assert "--erroronfail" in out and "exit status 3" in out
    assert "azl-post-fail-marker: the site check did not pass" in out
    assert "azl-onerror-ran" in out
    assert "azl-root-plaintext-3" not in out




def test_cmdline_install_on_a_serial_line_is_plain_text_ending_with_success(bios_runs):
    """inst.cmdline on a serial-only VM (no display device): from the installer's start to its
    success line the installer writes plain lines, no escape sequences (the kernel's and
    systemd's own status lines on the same console are not its output); the success line is
    its last but the install log's path, then the guest powers off."""
    r = bios_runs["bios"].results
    raw = r["raw"]
    unit = raw.find(scenario.INSTALLER_STARTED.encode())  # systemd's "Started" line for the unit (the
    # last occurrence is its "Stopped" line at power-off)
    assert unit >= 0, r["serial_tail"]
    start = raw.index(b"\n", unit) + 1
    done = raw.find(scenario.SUCCESS_LINE.encode(), start)
    assert done > start, r["serial_tail"]
    ours = [line for line in raw[start:done].split(b"\n") if not NOT_INSTALLER.match(line)]
    assert len(ours) > 5, raw[start:done][-2000:]
    assert not [line for line in ours if b"\x1b" in line], [l for l in ours if b"\x1b" in l][:5]
    assert b"Installation failed" not in raw
    after = [line.rstrip("\r") for line in raw[done:].decode(errors="replace").split("\n")]
    assert re.fullmatch(r"Installation finished in \d+ s\.", after[0]), after[:3]
    following = [line for line in after[1:] if line.strip() and not NOT_INSTALLER.match(line.encode())]
    assert not following or following[0].startswith("The install log is") or "warning" in following[0], \
        following[:5]


# Console lines that are not the installer's: the kernel's ("[   12.345678] ...") and
# systemd's status lines ("[  OK  ] Started ...", "         Starting ...").
NOT_INSTALLER = re.compile(rb"^\r?(\[\s*\d+\.\d+\]|(\x1b\[[0-9;]*m)?\[(\x1b\[[0-9;]*m)?\s*(OK|FAILED|DEPEND|TIME)\b|\s+(Starting|Stopping|Mounting|Unmounting)\b)")
