"""Looking inside the target: paths through its own symlinks, tools, family, kernels, units."""

import os

from installer import chroot
from steps_support import add_tool, add_unit, make_target


def test_absolute_symlinks_resolve_inside_the_target(tmp_path):
    t = make_target(tmp_path / "t")
    (t / "etc/alternatives").mkdir()
    os.symlink("/usr/bin/real-editor", t / "etc/alternatives/editor")
    assert chroot.resolve(t, "/etc/alternatives/editor") == t / "usr/bin/real-editor"
    os.symlink("/", t / "loop")
    assert chroot.resolve(t, "/loop/loop/etc") == t / "etc"
    assert chroot.resolve(t, "/../../etc") == t / "etc"


def test_find_tool_sees_usr_merged_and_split_layouts(tmp_path):
    t = make_target(tmp_path / "t")
    add_tool(t, "useradd")
    assert chroot.find_tool(t, "useradd") == "/usr/sbin/useradd"
    assert chroot.find_tool(t, "grub2-install", "grub-install") is None
    add_tool(t, "grub-install")
    assert chroot.find_tool(t, "grub2-install", "grub-install") == "/usr/sbin/grub-install"
    (t / "usr/sbin/not-exec").write_text("")
    assert chroot.find_tool(t, "not-exec") is None


def test_host_tools_are_never_mistaken_for_the_targets(tmp_path):
    t = tmp_path / "bare"
    (t / "etc").mkdir(parents=True)
    os.symlink("/usr/sbin", t / "sbin")  # absolute: must mean the target's /usr/sbin
    assert chroot.find_tool(t, "chroot") is None


def test_family(tmp_path):
    assert chroot.family(make_target(tmp_path / "f", "fedora")) == "fedora"
    assert chroot.family(make_target(tmp_path / "d", "debian")) == "debian"
    unknown = tmp_path / "u"
    unknown.mkdir()
    assert chroot.family(unknown) == "unknown"


def test_kernels_and_unit_aliases(tmp_path):
    t = make_target(tmp_path / "t", "debian")
    (t / "lib/modules/6.1.0-9-amd64").mkdir(parents=True)
    (t / "lib/modules/6.1.0-extra").mkdir(parents=True)  # modules without a kernel image
    (t / "boot").mkdir()
    (t / "boot/vmlinuz-6.1.0-9-amd64").write_text("k")
    assert chroot.kernels(t) == ["6.1.0-9-amd64"]
    add_unit(t, "ssh.service", "[Install]\nAlias=sshd.service\n")
    assert chroot.unit_aliases(t) == {"sshd.service": "ssh.service"}
    add_unit(t, "getty@.service")
    assert chroot.unit_file(t, "getty@ttyS0.service") is not None
    assert chroot.unit_file(t, "nope.service") is None


def test_writes_follow_absolute_links_inside_the_target(tmp_path):
    from steps_support import make_env

    env = make_env(tmp_path)
    (env.target / "usr/lib/conf").mkdir(parents=True)
    os.symlink("/usr/lib/conf", env.target / "etc/conf")  # absolute: on the host it would escape
    env.ctx.write("/etc/conf/x.conf", "a=1\n", 0o640)
    assert (env.target / "usr/lib/conf/x.conf").read_text() == "a=1\n"
    assert oct(os.stat(env.target / "usr/lib/conf/x.conf").st_mode & 0o777) == "0o640"
