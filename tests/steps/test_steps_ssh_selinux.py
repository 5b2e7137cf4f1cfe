"""SSH policy drop-in and host keys; SELinux config and relabel."""

import pytest

from installer.model.defaults import new_plan
from installer.kickstart.files import parse_kickstart
from installer.steps import relabel, selinux, services, ssh
from steps_support import add_tool, add_unit, make_env, mode


def ssh_target(env, include=True):
    etc = env.target / "etc/ssh"
    etc.mkdir(parents=True)
    main = ("Include /etc/ssh/sshd_config.d/*.conf\n" if include else "") + "Port 22\nUsePAM yes\n"
    (etc / "sshd_config").write_text(main)
    for name in ("ssh_host_ed25519_key", "ssh_host_ed25519_key.pub", "ssh_host_rsa_key"):
        (etc / name).write_text("live key\n")
    add_tool(env.target, "ssh-keygen", "usr/bin")


def test_default_policy_and_no_inherited_host_keys(tmp_path):
    env = make_env(tmp_path, family="fedora")
    ssh_target(env)
    add_unit(env.target, "sshd-keygen@.service")
    ssh.apply(env.ctx)
    dropin = env.target / "etc/ssh/sshd_config.d/50-azl-install.conf"
    lines = dropin.read_text().splitlines()
    assert "PermitRootLogin prohibit-password" in lines and "PasswordAuthentication yes" in lines
    assert mode(dropin) == 0o600
    assert not list((env.target / "etc/ssh").glob("ssh_host_*"))
    assert not env.runner.named("ssh-keygen")  # sshd-keygen@ makes them at first boot
    assert (env.target / "etc/ssh/sshd_config").read_text().count("Include") == 1


def test_allow_ssh_and_no_passwords(tmp_path):
    plan = new_plan()
    plan.accounts.root_allow_ssh = True
    plan.security.password_authentication = False
    env = make_env(tmp_path, plan=plan, family="debian")
    ssh_target(env, include=False)
    ssh.apply(env.ctx)
    lines = (env.target / "etc/ssh/sshd_config.d/50-azl-install.conf").read_text().splitlines()
    assert "PermitRootLogin yes" in lines and "PasswordAuthentication no" in lines
    main = (env.target / "etc/ssh/sshd_config").read_text().splitlines()
    assert main[0] == "Include /etc/ssh/sshd_config.d/*.conf" and "Port 22" in main
    # Debian's ssh.service has no key generator: fresh keys from the target's own ssh-keygen
    assert env.runner.commands(chroot=True) == [["ssh-keygen", "-A"]]


@pytest.mark.parametrize("line, root, password", [
    ("sshd --password-auth=no", "prohibit-password", "no"),
    ("sshd --password-auth=yes --root-login=no", "no", "yes"),
    ("sshd --root-login=forced-commands-only --password-auth=no", "forced-commands-only", "no"),
])
def test_sshd_kickstart_command_reaches_the_dropin(tmp_path, line, root, password):
    plan = parse_kickstart(f"lang C.UTF-8\n{line}\n", "ks.cfg").plan
    env = make_env(tmp_path, plan=plan, family="fedora")
    ssh_target(env)
    add_unit(env.target, "sshd-keygen@.service")
    ssh.apply(env.ctx)
    dropin = env.target / "etc/ssh/sshd_config.d/50-azl-install.conf"
    assert dropin.read_text() == ("# Written by azl-install from the install plan.\n"
                                  f"PermitRootLogin {root}\nPasswordAuthentication {password}\n")
    assert mode(dropin) == 0o600
    state = "on" if password == "yes" else "off"
    assert ssh.describe(env.ctx)[0] == f"write {ssh.DROPIN}: PermitRootLogin {root}, password authentication {state}"


def test_sshd_disabled_keeps_the_policy_and_the_service_is_disabled(tmp_path):
    plan = parse_kickstart("sshd --disabled --password-auth=no\n", "ks.cfg").plan
    env = make_env(tmp_path, plan=plan, family="fedora")
    ssh_target(env)
    ssh.apply(env.ctx)
    lines = (env.target / "etc/ssh/sshd_config.d/50-azl-install.conf").read_text().splitlines()
    assert "PasswordAuthentication no" in lines
    assert "sshd is not started at boot (the policy applies if it is enabled later)" in ssh.describe(env.ctx)
    enable, disable = services.wanted(env.ctx)
    assert "sshd" in disable and "sshd" not in enable


def test_no_ssh_server_is_a_warning(tmp_path):
    env = make_env(tmp_path)
    ssh.apply(env.ctx)
    assert any("no SSH server" in w for w in env.ctx.warnings)


def test_selinux_config_keeps_comments_and_sets_mode(tmp_path):
    plan = new_plan()
    plan.security.selinux = "permissive"
    env = make_env(tmp_path, plan=plan)
    conf = env.target / "etc/selinux/config"
    conf.parent.mkdir(parents=True)
    conf.write_text("# This file controls SELinux\nSELINUX=enforcing\n# type\nSELINUXTYPE=minimum\n")
    (env.target / "etc/selinux/targeted").mkdir()
    selinux.apply(env.ctx)
    assert conf.read_text() == "# This file controls SELinux\nSELINUX=permissive\n# type\nSELINUXTYPE=targeted\n"
    assert env.ctx.kernel_args == [] and env.ctx.warnings == []


def test_selinux_disabled_on_fedora_family_adds_selinux_0(tmp_path):
    plan = new_plan()
    plan.security.selinux = "disabled"
    env = make_env(tmp_path, plan=plan, family="fedora")
    selinux.apply(env.ctx)
    assert "SELINUX=disabled" in (env.target / "etc/selinux/config").read_text().splitlines()
    assert env.ctx.kernel_args == ["selinux=0"]
    assert not relabel.applies(env.ctx)


def test_selinux_disabled_on_debian_needs_no_kernel_argument(tmp_path):
    plan = new_plan()
    plan.security.selinux = "disabled"
    env = make_env(tmp_path, plan=plan, family="debian")
    selinux.apply(env.ctx)
    assert env.ctx.kernel_args == []


def test_missing_policy_is_a_warning(tmp_path):
    env = make_env(tmp_path)
    selinux.apply(env.ctx)
    assert any("no SELinux policy 'targeted'" in w for w in env.ctx.warnings)


def test_relabel_with_the_targets_setfiles(tmp_path):
    env = make_env(tmp_path, tools=("setfiles",))
    fc = env.target / "etc/selinux/targeted/contexts/files/file_contexts"
    fc.parent.mkdir(parents=True)
    fc.write_text("/.* system_u:object_r:default_t:s0\n")
    (env.target / "proc").mkdir()
    relabel.apply(env.ctx)
    cmd = env.runner.commands(chroot=True)[0]
    assert cmd[:2] == ["setfiles", "-F"] and cmd[-2:] == [str(fc).replace(str(env.target), ""), "/"]
    assert ["-e", "/proc"] == cmd[2:4]
    assert not (env.target / ".autorelabel").exists()
    assert (env.target / "var/log/installer").is_dir()


def test_relabel_falls_back_to_autorelabel(tmp_path):
    env = make_env(tmp_path)
    relabel.apply(env.ctx)
    assert (env.target / ".autorelabel").exists()
    assert any("/.autorelabel" in w for w in env.ctx.warnings)
    assert "/.autorelabel" in env.log_text()
