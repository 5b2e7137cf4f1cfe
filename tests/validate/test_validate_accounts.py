"""Account validation: names, hashes, SSH keys, someone can log in."""

import pytest
from validate_support import HASH, KEY, at, base_plan, errors, messages

from installer.model.plan import SshKey, User
from installer.validate.accounts import ssh_key_problem, username_problem


@pytest.mark.parametrize("name", ["alice", "bob_1", "svc-backup", "a.b", "_x", "Admin", "host$"])
def test_valid_user_names(name):
    assert username_problem(name) is None


@pytest.mark.parametrize("name,problem", [
    ("", "is empty"),
    ("1234", "is not allowed (all digits, '.' and '..' are refused by useradd)"),
    ("..", "is not allowed (all digits, '.' and '..' are refused by useradd)"),
    ("-alice", "must not start with '-'"),
    ("al ice", "contains ' ': use letters, digits, '_', '.' and '-'"),
    ("alice:x", "contains ':': use letters, digits, '_', '.' and '-'"),
    ("a" * 33, "is 33 characters long (at most 32)"),
])
def test_invalid_user_names(name, problem):
    assert username_problem(name) == problem


def test_reserved_and_duplicate_users():
    plan = base_plan()
    plan.accounts.users += [User(name="root", origin=at(10)), User(name="alice", origin=at(11)),
                            User(name="alice", origin=at(12)), User(name="bin", origin=at(13))]
    assert errors(plan) == [
        "ks.cfg:10: user name 'root' is reserved for a system account",
        "ks.cfg:12: user alice is already defined at line 11",
        "ks.cfg:13: user name 'bin' is reserved for a system account",
    ]


def test_user_fields():
    plan = base_plan()
    plan.accounts.users += [
        User(name="alice", uid=0, homedir="home/alice", shell="bash", groups=["wheel", "bad group"], origin=at(10)),
        User(name="bob", uid=1001, password_hash="plain-text", origin=at(11)),
        User(name="carol", uid=1001, origin=at(12)),
    ]
    assert errors(plan) == [
        "ks.cfg:10: user alice: --uid=0 belongs to root",
        "ks.cfg:10: user alice: group name 'bad group' contains ' ': use letters, digits, '_', '.' and '-'",
        "ks.cfg:10: user alice: --homedir=home/alice is not an absolute path",
        "ks.cfg:10: user alice: --shell=bash is not an absolute path",
        "ks.cfg:11: user bob: the password is not a crypt(3) hash (e.g. $6$... or $y$...)",
        "ks.cfg:12: user carol: --uid=1001 is already used by bob at line 11",
    ]


def test_ssh_keys():
    assert ssh_key_problem(KEY) is None
    assert ssh_key_problem('no-pty,from="10.0.0.0/8" ' + KEY) is None
    assert ssh_key_problem("ssh-ed25519") == "has no key data after its type"
    assert ssh_key_problem("ssh-ed25519 not*base64") == "has key data that is not base64"
    rsa_typed = "ssh-rsa " + KEY.split()[1]
    assert ssh_key_problem(rsa_typed) == "has key data that does not match its type ssh-rsa"
    assert ssh_key_problem("-----BEGIN OPENSSH PRIVATE KEY-----") == (
        "is a private key or a PEM file; give the public key (the .pub file's line)")
    assert ssh_key_problem("hello world").startswith("does not start with a key type")


def test_sshkey_user_must_exist():
    plan = base_plan()
    plan.accounts.ssh_keys.append(SshKey(username="alice", key=KEY, origin=at(20)))
    assert errors(plan) == [
        "ks.cfg:20: sshkey --username=alice: no such user (define it with 'user --name=alice' or use root)"]
    plan.accounts.users.append(User(name="alice", origin=at(19)))
    assert errors(plan) == []


def test_someone_must_be_able_to_log_in():
    plan = base_plan()
    plan.accounts.ssh_keys.clear()
    plan.accounts.set("root_password_hash", None, at(3))
    plan.accounts.set("root_lock", True, at(3))
    assert errors(plan) == [
        "ks.cfg:3: nobody can log in: set 'rootpw', add a 'user' with a password, or add an 'sshkey'"]
    plan.accounts.users.append(User(name="alice", password_hash="!" + HASH, origin=at(10)))
    assert len(errors(plan)) == 1, "a locked password is no way in"
    plan.accounts.users.append(User(name="bob", password_hash=HASH, origin=at(11)))
    assert errors(plan) == []


def test_key_only_login_and_interactive_plans():
    plan = base_plan()
    plan.accounts.set("root_password_hash", None, at(3))
    assert errors(plan) == [], "root's SSH key is a way in"
    plan.accounts.ssh_keys.clear()
    assert errors(plan) == [
        "ks.cfg:100: nobody can log in: set 'rootpw', add a 'user' with a password, or add an 'sshkey'"]
    plan.interactive = True
    assert messages(plan) == ["ks.cfg:100: warning: no way to log in is configured: the installer will ask for a "
                              "root password or a user"]


def test_weak_root_hash_warns():
    plan = base_plan()
    plan.accounts.set("root_password_hash", "$1$salt$" + "a" * 22, at(3))
    assert messages(plan) == [
        "ks.cfg:3: warning: rootpw: MD5 ($1$) password hashes are weak; use SHA-512 ($6$) or yescrypt ($y$)"]
