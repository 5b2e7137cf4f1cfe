"""Image configuration fields -> InstallPlan: what is mapped, what is refused and where it is named."""

import base64
import json
import subprocess
import textwrap

import pytest

from installer.kickstart.files import (
    dump_kickstart,
    dump_original,
    load_kickstart,
    parse_kickstart,
)
from installer.model import secrets
from installer.model.machine import Disk, Machine

KEY = "ssh-ed25519 " + base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0\x20" + bytes(range(32))).decode() + " me@h"


def load(tmp_path, text, name="config.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_kickstart(path), str(path)


GOOD = f"""\
storage:
  bootType: efi
  disks:
  - partitionTableType: gpt
    maxSize: 16G
    partitions:
    - id: esp
      type: esp
      start: 1M
      end: 257M
    - id: swap
      type: linux-swap
      size: 1G
    - id: rootfs
      type: root
      size: grow
  filesystems:
  - deviceId: esp
    type: fat32
    mountPoint: {{path: /boot/efi, options: umask=0077}}
  - deviceId: rootfs
    type: ext4
    mountPoint: /
os:
  hostname: web-1
  kernelCommandLine:
    extraCommandLine: [console=ttyS0, quiet]
  packages:
    install: [vim, tmux]
    remove: [nano]
  users:
  - name: root
    password: {{type: locked}}
  - name: ops
    uid: 1234
    startupCommand: /bin/bash
    secondaryGroups: [wheel]
    password: {{type: plain-text, value: "c0rrect horse"}}
    sshPublicKeys: ["{KEY}"]
  selinux: {{mode: permissive}}
  services: {{enable: [nginx], disable: [chronyd]}}
scripts:
  postCustomization:
  - content: echo hello > /etc/motd
x-azl-install:
  disk: {{match: {{serial: S123}}}}
  timezone: Europe/Paris
  locale: fr_FR.UTF-8
  keyboard: fr
  finish: poweroff
  network:
  - device: eth0
    bootproto: static
    ip: 192.0.2.10
    netmask: 255.255.255.0
    gateway: 192.0.2.1
    nameservers: [192.0.2.53]
"""


def test_a_full_configuration_becomes_the_plan_a_kickstart_would(tmp_path):
    result, path = load(tmp_path, GOOD)
    assert result.errors == [], "\n".join(map(str, result.diagnostics))
    plan = result.plan
    st = plan.storage
    assert st.selected_disks == ["S123"] and st.zerombr
    assert (st.clearpart.mode, st.clearpart.initlabel, st.clearpart.disklabel) == ("all", True, "gpt")
    parts = [(p.mountpoint, p.size_mib, p.grow, p.fstype, p.fsoptions) for p in st.partitions]
    assert parts == [("/boot/efi", 256, False, "efi", "umask=0077"), ("swap", 1024, False, "swap", None),
                     ("/", 1, True, "ext4", None)]
    assert plan.system.hostname == "web-1"
    assert plan.bootloader.append.endswith("console=ttyS0 quiet")
    assert plan.payload.packages.packages == ["vim", "tmux"]
    assert plan.payload.packages.excluded_packages == ["nano"]
    assert plan.accounts.root_lock is True
    [ops] = plan.accounts.users
    assert (ops.name, ops.uid, ops.shell, ops.groups) == ("ops", 1234, "/bin/bash", ["wheel"])
    assert secrets.verify("c0rrect horse", ops.password_hash)
    assert [(k.username, k.key) for k in plan.accounts.ssh_keys] == [("ops", KEY)]
    assert plan.security.selinux == "permissive"
    assert "nginx" in plan.services.enabled and "chronyd" not in plan.services.enabled
    assert plan.services.disabled == ["chronyd"]
    assert [s.body for s in plan.scripts] == ["echo hello > /etc/motd\n"]
    assert (plan.system.timezone, plan.system.lang, plan.system.keyboard) == ("Europe/Paris", "fr_FR.UTF-8", "fr")
    assert plan.finish.action == "poweroff"
    [dev] = plan.network.devices
    assert (dev.device, dev.bootproto, dev.ip, dev.gateway, dev.nameservers) == \
        ("eth0", "static", "192.0.2.10", "192.0.2.1", ["192.0.2.53"])
    # each value remembers FILE:LINE:COLUMN
    assert str(plan.system.origin_of("hostname")) == f"{path}:25:13"
    assert str(ops.origin) == f"{path}:34:5"


def test_the_plaintext_password_reaches_no_output(tmp_path):
    result, _ = load(tmp_path, GOOD)
    plan = result.plan
    assert [s.reveal() for s in plan.input_secrets] == ["c0rrect horse"]
    assert "c0rrect horse" not in json.dumps(plan.to_dict())
    assert "c0rrect horse" not in dump_kickstart(plan)
    original = dump_original(plan)
    assert "c0rrect horse" not in original and "value: '***'" in original and "hostname: web-1" in original


def test_a_quoted_or_escaped_password_is_removed_from_the_saved_original(tmp_path):
    text = GOOD.replace('value: "c0rrect horse"', 'value: "c0r\\x72ect horse"')
    result, _ = load(tmp_path, text)
    assert [s.reveal() for s in result.plan.input_secrets] == ["c0rrect horse"]
    original = dump_original(result.plan)
    assert "c0r\\x72ect" not in original and "'***'" in original


BAD = """\
storage:
  bootType: efi
  verity: []
  disks:
  - partitionTableType: gpt
    partitions:
    - id: esp
      type: esp
      size: 8M
    - id: rootfs
      size: 3.5G
      label: root
  filesystems:
  - deviceId: rootfs
    type: ext4
    mountPoint: relative/path
  - deviceId: nope
    type: ext4
    mountPoint: /data
os:
  hostnam: x
  uki: {}
  users:
  - name: a
  - name: b
    sshPublicKeys: [not-a-key]
    password: {type: hashed, value: plain}
iso: {}
"""


def test_every_problem_in_one_pass_with_file_line_column_and_field_path(tmp_path):
    result, path = load(tmp_path, BAD)
    got = {str(d) for d in result.errors}
    expected = {
        f"{path}:3:3: storage.verity: not supported by azl-install",
        f"{path}:11:13: storage.disks[0].partitions[1].size: '3.5G' is not a size",
        f"{path}:12:7: storage.disks[0].partitions[1].label: not supported by azl-install",
        f"{path}:16:17: storage.filesystems[0].mountPoint: 'relative/path' is not an absolute path",
        f"{path}:17:15: storage.filesystems[1].deviceId: no partition has the id 'nope'",
        f"{path}:21:3: os.hostnam: unknown key (did you mean 'hostname'?)",
        f"{path}:22:3: os.uki: not supported by azl-install",
        f"{path}:26:21: os.users[1].sshPublicKeys[0]: is not an OpenSSH public key",
        f"{path}:27:37: os.users[1].password.value: a hashed password is a crypt(3) hash",
        f"{path}:28:1: iso: not supported by azl-install",
        f"{path}:5:5: x-azl-install.disk: say which disk to install on",
    }
    for want in expected:
        assert any(g.startswith(want) for g in got), f"missing {want!r} in:\n" + "\n".join(sorted(got))
    assert all(d.field for d in result.errors)


@pytest.mark.parametrize("snippet, message", [
    ("os:\n  selinux: {mode: strict}\n", "os.selinux.mode: 'strict' is not one of"),
    ("os:\n  packages: {snapshotTime: '2024-01-01'}\n", "os.packages.snapshotTime: not supported"),
    ("os:\n  overlays: []\n", "os.overlays: not supported"),
    ("os:\n  bootloader: {resetType: soft}\n", "os.bootloader.resetType: 'soft' is not one of hard-reset"),
    ("scripts:\n  postCustomization:\n  - content: x\n    args: [a]\n", "scripts.postCustomization[0].args"),
    ("pxe: {}\n", "pxe: not supported"),
    ("os:\n  users:\n  - name: x\n    password: {type: plain-text}\n", "os.users[0].password.value: is required"),
    ("x-azl-install:\n  disk: {match: {size: biggest}}\n", "x-azl-install.disk.match.size: 'biggest'"),
    ("x-azl-install:\n  wifi: {}\n", "x-azl-install.wifi: unknown key"),
    (("storage:\n  bootType: legacy\n  disks:\n  - partitionTableType: gpt\n    partitions:\n    - id: r\n"
     "  filesystems:\n  - {deviceId: r, type: ext4, mountPoint: /}\nx-azl-install: {disk: {match: {path: /dev/vda}}}\n"),
     "storage.bootType: legacy on a GPT disk needs a partition of type bios-grub"),
    (("storage:\n  bootType: efi\n  disks:\n  - partitionTableType: gpt\n    partitions:\n    - {id: esp, type: esp,"
     " size: 8M}\n    - {id: r, start: 100M}\n  filesystems:\n  - {deviceId: r, type: ext4, mountPoint: /}\n"
     "x-azl-install: {disk: {match: {path: /dev/vda}}}\n"),
     "storage.disks[0].partitions[1].start: the installer keeps partition sizes but places the partitions"),
])
def test_what_the_installer_cannot_honour_is_refused_by_its_path(tmp_path, snippet, message):
    result, _ = load(tmp_path, snippet)
    assert any(message in d.message for d in result.errors), "\n".join(map(str, result.diagnostics))


def test_image_build_keys_are_warnings_not_errors(tmp_path):
    result, _ = load(tmp_path, "input: {image: {path: base.vhdx}}\noutput: {image: {path: out.vhdx}}\n"
                               "os: {hostname: a}\n")
    assert result.errors == []
    assert [d.field for d in result.warnings] == ["input", "output"]


def test_additional_files_dirs_modules_groups_become_scripts_that_write_them(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.conf").write_bytes(b"binary\0ok\n")
    tree = tmp_path / "tree" / "sub"
    tree.mkdir(parents=True)
    (tree / "b.txt").write_text("in a tree\n")
    out = tmp_path / "target"
    result, _ = load(tmp_path, f"""\
        os:
          additionalFiles:
          - source: files/a.conf
            destination: {out}/etc/a.conf
            permissions: "600"
          - content: "inline 'quoted' $HOME\\n"
            destination: {out}/etc/b.conf
          additionalDirs:
          - source: tree
            destination: {out}/opt/tree
            childFilePermissions: "640"
          groups:
          - name: app
            gid: 4321
          modules:
          - name: br_netfilter
            loadMode: always
            options: {{debug: "1"}}
        """)
    assert result.errors == [], "\n".join(map(str, result.diagnostics))
    scripts = result.plan.scripts
    assert all(s.kind == "post" and s.erroronfail for s in scripts)
    for s in scripts[:3]:
        subprocess.run(["sh", "-e", "-c", s.body], check=True)
    assert (out / "etc" / "a.conf").read_bytes() == b"binary\0ok\n"
    assert oct((out / "etc" / "a.conf").stat().st_mode & 0o777) == "0o600"
    assert (out / "etc" / "b.conf").read_text() == "inline 'quoted' $HOME\n"
    assert (out / "opt" / "tree" / "sub" / "b.txt").read_text() == "in a tree\n"
    assert "groupadd -g 4321 app" in scripts[3].body
    assert "/etc/modules-load.d/br_netfilter.conf" in scripts[4].body
    assert base64.b64encode(b"options br_netfilter debug=1\n").decode() in scripts[4].body


def test_package_lists_are_read_relative_to_the_configuration(tmp_path):
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "base.yaml").write_text("packages:\n- htop\n- jq\n")
    (tmp_path / "lists" / "bad.yaml").write_text("packages:\n- htop\npackagez: []\n")
    result, _ = load(tmp_path, "os:\n  packages:\n    installLists: [lists/base.yaml, lists/bad.yaml]\n")
    assert result.plan.payload.packages.packages == ["htop", "jq"]
    [err] = result.errors
    assert "os.packages.installLists[1]" in err.message and "lists/bad.yaml:3:1: packagez: unknown key" in err.message


def test_a_kickstart_is_still_a_kickstart(tmp_path):
    result = parse_kickstart("rootpw --lock\nautopart\n", "ks.cfg")
    assert result.plan is not None and result.plan.source_file == "ks.cfg" and result.plan.accounts.root_lock


def _disk(name, size, **kw):
    return Disk(name=name, path=f"/dev/{name}", size=size * 1024**3, **kw)


def test_disk_match_picks_one_disk_or_none():
    m = Machine(disks=[_disk("sda", 100, model="A", serial="1"), _disk("sdb", 500, model="B", serial="2"),
                       _disk("sdc", 500, model="B", serial="3"), _disk("sdd", 900, is_live_medium=True)])
    assert m.disk("match:size=smallest").name == "sda"
    assert m.disk("match:size=largest") is None  # sdb and sdc tie; the live medium never counts
    assert [d.name for d in m.match_candidates("match:size=largest")] == ["sdb", "sdc"]
    assert m.disk("match:model=B;serial=3").name == "sdc"
    assert m.disk("match:model=B;size=largest") is None
    assert m.disk("match:path=/dev/sdb;size=largest").name == "sdb"
    assert m.disk("match:colour=red") is None and m.disk("match:") is None


def test_a_refused_storage_field_is_not_repeated_as_a_missing_root(tmp_path):
    from installer.commands.validate import check_file
    from installer.model.product import load_product

    path = tmp_path / "c.yaml"
    path.write_text("storage:\n  bootType: efi\n  verity: []\n  disks:\n  - partitionTableType: gpt\n    partitions:\n"
                    "    - {id: esp, type: esp, size: 8M}\n    - {id: r}\n  filesystems:\n"
                    "  - {deviceId: r, type: ext9, mountPoint: /}\nx-azl-install: {disk: {match: {path: vda}}}\n")
    _plan, diags = check_file(str(path), None, load_product())
    messages = [str(d) for d in diags if d.is_error]
    assert any("storage.verity" in m for m in messages) and any("'ext9' is not one of" in m for m in messages)
    assert not any("root" in m and "filesystem" in m and "storage." not in m for m in messages), messages
