"""Accounts step: the target's tools through chroot when present, direct file edits otherwise."""

import os

import pytest

from installer.context import StepError
from installer.model.defaults import new_plan
from installer.model.plan import SshKey, User
from installer.steps import accounts
from steps_support import HASH, make_env, mode

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example"
USER_HASH = "$y$j9T$abcdefghijklmnop$" + "q" * 43
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")


def plan_with_users():
    plan = new_plan()
    plan.accounts.root_password_hash = HASH
    plan.accounts.users.append(User(name="alice", groups=["wheel", "docker"], password_hash=USER_HASH,
                                    gecos="Alice A"))
    plan.accounts.users.append(User(name="bob", uid=2001, gid=3001, lock=True))
    return plan


def rows(path):
    return {line.split(":")[0]: line.split(":") for line in path.read_text().splitlines() if line}


def test_tools_path_runs_the_targets_own_tools(tmp_path):
    env = make_env(tmp_path, plan=plan_with_users(), tools=accounts.TOOLS)
    accounts.apply(env.ctx)
    cmds = env.runner.commands(chroot=True)
    assert ["groupadd", "docker"] in cmds  # wheel exists in the target, docker does not
    assert ["groupadd", "wheel"] not in cmds
    useradd_alice = next(c for c in cmds if c[0] == "useradd" and c[-1] == "alice")
    assert useradd_alice[useradd_alice.index("-G") + 1] == "wheel,docker"
    assert useradd_alice[useradd_alice.index("-c") + 1] == "Alice A"
    assert "-U" in useradd_alice and "-m" in useradd_alice
    useradd_bob = next(c for c in cmds if c[0] == "useradd" and c[-1] == "bob")
    assert useradd_bob[useradd_bob.index("-u") + 1] == "2001"
    assert useradd_bob[useradd_bob.index("-g") + 1] == "3001"
    assert ["groupadd", "-g", "3001", "bob"] in cmds
    chpasswd = [(argv, inp) for argv, inp in env.runner.calls if argv[2:] == ["chpasswd", "-e"]]
    assert len(chpasswd) == 1
    assert chpasswd[0][1].splitlines() == [f"root:{HASH}", f"alice:{USER_HASH}"]
    assert ["usermod", "-L", "bob"] in cmds and ["usermod", "-L", "root"] not in cmds
    assert HASH not in env.log_text() and USER_HASH not in env.log_text()


def test_no_root_password_locks_root(tmp_path):
    env = make_env(tmp_path, tools=accounts.TOOLS)
    accounts.apply(env.ctx)
    assert ["usermod", "-L", "root"] in env.runner.commands(chroot=True)
    assert not env.runner.named("chpasswd")


def test_existing_user_is_modified_not_added(tmp_path):
    plan = new_plan()
    plan.accounts.users.append(User(name="bin", groups=["wheel"], shell="/bin/bash"))
    env = make_env(tmp_path, plan=plan, tools=accounts.TOOLS)
    accounts.apply(env.ctx)
    assert not env.runner.named("useradd")
    assert ["usermod", "-s", "/bin/bash", "-a", "-G", "wheel", "bin"] in env.runner.commands()


@needs_root
def test_file_fallback_keeps_the_four_files_consistent(tmp_path):
    plan = plan_with_users()
    env = make_env(tmp_path, plan=plan)  # no shadow-utils in the target
    (env.target / "etc/skel").mkdir()
    (env.target / "etc/skel/.profile").write_text("# skel\n")
    accounts.apply(env.ctx)
    etc = env.target / "etc"
    passwd, shadow, group, gshadow = (rows(etc / n) for n in ("passwd", "shadow", "group", "gshadow"))
    assert set(passwd) == set(shadow)
    assert set(group) == set(gshadow)
    assert shadow["root"][1] == HASH
    assert shadow["alice"][1] == USER_HASH
    assert shadow["bob"][1].startswith("!")
    alice = passwd["alice"]
    assert int(alice[2]) >= 1000 and alice[4] == "Alice A" and alice[5] == "/home/alice"
    assert group["alice"][2] == alice[3]  # a user private group
    assert "alice" in group["wheel"][3].split(",") and "alice" in gshadow["wheel"][3].split(",")
    assert "alice" in group["docker"][3].split(",")
    assert passwd["bob"][2:4] == ["2001", "3001"] and group["bob"][2] == "3001"
    home = env.target / "home/alice"
    assert (home / ".profile").read_text() == "# skel\n"
    st = os.stat(home / ".profile")
    assert (st.st_uid, st.st_gid) == (int(alice[2]), int(alice[3]))
    assert mode(etc / "shadow") == 0 and mode(etc / "gshadow") == 0 and mode(etc / "passwd") == 0o644


@needs_root
def test_ssh_keys_get_private_modes_and_the_users_ownership(tmp_path):
    plan = new_plan()
    plan.accounts.users.append(User(name="alice"))
    plan.accounts.ssh_keys += [SshKey(username="alice", key=KEY), SshKey(username="root", key=KEY)]
    env = make_env(tmp_path, plan=plan)
    accounts.apply(env.ctx)
    alice = rows(env.target / "etc/passwd")["alice"]
    ssh_dir = env.target / "home/alice/.ssh"
    keys = ssh_dir / "authorized_keys"
    assert keys.read_text() == KEY + "\n"
    assert mode(ssh_dir) == 0o700 and mode(keys) == 0o600
    assert (os.stat(keys).st_uid, os.stat(keys).st_gid) == (int(alice[2]), int(alice[3]))
    assert (os.stat(ssh_dir).st_uid) == int(alice[2])
    assert (env.target / "root/.ssh/authorized_keys").read_text() == KEY + "\n"


def test_ssh_key_for_an_unknown_user_is_a_clear_error(tmp_path):
    plan = new_plan()
    plan.accounts.ssh_keys.append(SshKey(username="nobody-here", key=KEY))
    env = make_env(tmp_path, plan=plan)
    with pytest.raises(StepError, match="nobody-here"):
        accounts.apply(env.ctx)


def test_describe_names_users_without_secrets(tmp_path):
    env = make_env(tmp_path, plan=plan_with_users())
    text = "\n".join(accounts.describe(env.ctx))
    assert "alice" in text and "bob" in text and "root password" in text
    assert HASH not in text and USER_HASH not in text
