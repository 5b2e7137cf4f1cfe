"""Accounts: the root password (or a locked root), users, and SSH authorized keys.

With shadow-utils in the target, its own useradd/groupadd/usermod/chpasswd run
through chroot, so passwd, shadow, group and gshadow stay as the target's tools
keep them; without them the four files are edited directly (accounts_files).
Password hashes go to chpasswd -e on stdin and are never logged.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from installer import chroot
from installer.context import InstallContext, StepError
from installer.model.plan import User
from installer.model.syntax import home_problem, user_field_problems
from installer.steps.accounts_files import AccountFiles

TITLE = "Creating users and setting passwords"
TOOLS = ("useradd", "usermod", "groupadd", "chpasswd")


def describe(ctx: InstallContext) -> list[str]:
    acc = ctx.plan.accounts
    out = []
    if acc.root_password_hash:
        out.append("set the root password (from a hash)" + (", then lock root" if acc.root_lock else ""))
    else:
        out.append("lock the root account (no root password given)")
    for u in acc.users:
        extra = f", groups {','.join(u.groups)}" if u.groups else ""
        pw = "locked" if u.lock or not u.password_hash else "password set"
        out.append(f"create user {u.name} (home {u.homedir or '/home/' + u.name}{extra}; {pw})")
    for key in acc.ssh_keys:
        out.append(f"add an SSH key for {key.username} ({_key_label(key.key)})")
    return out


def apply(ctx: InstallContext) -> None:
    acc = ctx.plan.accounts
    refused = [f"user {u.name}: {p}" for u in acc.users for p in user_field_problems(u.homedir, u.shell, u.gecos)]
    if refused:
        raise StepError("; ".join(refused) + " (nothing was changed)")
    tools = {name: chroot.find_tool(ctx.target, name) for name in TOOLS}
    if all(tools.values()):
        _with_tools(ctx)
    else:
        missing = ", ".join(n for n, p in tools.items() if not p)
        ctx.info(f"the target has no {missing}: editing /etc/passwd, shadow, group and gshadow directly")
        _with_files(ctx)
    for key in acc.ssh_keys:
        _add_key(ctx, key.username, key.key)


# ------------------------------------------------------------------ with the target's tools
def _with_tools(ctx: InstallContext) -> None:
    acc = ctx.plan.accounts
    hashes: list[str] = []
    locks: list[str] = []
    if acc.root_password_hash:
        hashes.append(f"root:{acc.root_password_hash}")
        if acc.root_lock:
            locks.append("root")
    else:
        locks.append("root")
    for user in acc.users:
        _create_user(ctx, user)
        if user.password_hash:
            hashes.append(f"{user.name}:{user.password_hash}")
        if user.lock or not user.password_hash:
            locks.append(user.name)
    if hashes:
        ctx.run(["chpasswd", "-e"], chroot=True, input="\n".join(hashes) + "\n")
    for name in locks:
        ctx.run(["usermod", "-L", name], chroot=True)
    for user in acc.users:
        _own_home(ctx, user)


def _create_user(ctx: InstallContext, user: User) -> None:
    passwd = _table(ctx, "passwd")
    groups = _table(ctx, "group")
    for group in user.groups:
        if group not in groups:
            ctx.run(["groupadd", group], chroot=True)
            groups = _table(ctx, "group")
    gid_known = user.gid is not None and any(row[2] == str(user.gid) for row in groups.values())
    if user.gid is not None and not gid_known:
        ctx.run(["groupadd", "-g", str(user.gid), user.name], chroot=True)
    if user.name in passwd:
        cmd = ["usermod"]
        if user.shell:
            cmd += ["-s", user.shell]
        if user.gecos is not None:
            cmd += ["-c", user.gecos]
        if user.groups:
            cmd += ["-a", "-G", ",".join(user.groups)]
        if len(cmd) > 1:
            ctx.run([*cmd, user.name], chroot=True)
        ctx.info(f"user {user.name} already exists in the target; updated it")
        return
    home = user.homedir or f"/home/{user.name}"
    cmd = ["useradd", "-m", "-d", home, "-s", user.shell or _default_shell(ctx)]
    if user.uid is not None:
        cmd += ["-u", str(user.uid)]
    if user.gid is not None:
        cmd += ["-g", str(user.gid)]
    elif user.name in groups:
        cmd += ["-g", user.name]
    else:
        cmd += ["-U"]
    if user.gecos:
        cmd += ["-c", user.gecos]
    if user.groups:
        cmd += ["-G", ",".join(user.groups)]
    ctx.run([*cmd, user.name], chroot=True)


def _own_home(ctx: InstallContext, user: User) -> None:
    """useradd leaves an existing home (e.g. a kept /home) to its old owner: give it to the user."""
    entry = _table(ctx, "passwd").get(user.name)
    if not entry or ctx.dry_run:
        return
    uid, gid, home = int(entry[2]), int(entry[3]), entry[5]
    host_home = _home_on_host(ctx, user.name, home)
    if host_home is None or host_home.is_symlink() or not host_home.is_dir():
        return
    chown_tree(host_home, uid, gid)


def _home_on_host(ctx: InstallContext, name: str, home: str) -> Path | None:
    """The host path of a home that may be given to its user, or None (with a warning) when it is the
    target's root or a system directory, as given in passwd or once the target's symlinks are followed."""
    host = chroot.resolve(ctx.target, home)
    rel = os.path.relpath(host, ctx.target)
    inside = "/" if rel == "." else "/" + rel
    if rel == ".." or rel.startswith("../"):
        problem = "leads outside the target"
    else:
        problem = home_problem(home) or home_problem(inside)
    if problem:
        shown = home if inside == home else f"{home} (-> {inside})"
        ctx.warn(f"user {name}: the home {shown} {problem}: its ownership is left unchanged")
        return None
    return host


def chown_tree(top: Path, uid: int, gid: int) -> None:
    """Give `top` and everything below it to uid:gid without following symlinks (they are changed
    themselves) and without entering another filesystem or a mount point (a kept volume, the live
    system's /dev and /run bind-mounted into the target)."""
    mounts = _mount_points()
    dev = os.lstat(top).st_dev
    _lchown(str(top), uid, gid)
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        entered = []
        for d in dirnames:
            path = os.path.join(dirpath, d)
            st = os.lstat(path)
            if stat.S_ISDIR(st.st_mode) and (st.st_dev != dev or path in mounts):
                continue
            _lchown(path, uid, gid)
            if stat.S_ISDIR(st.st_mode):
                entered.append(d)
        dirnames[:] = entered
        for f in filenames:
            _lchown(os.path.join(dirpath, f), uid, gid)


def _lchown(path: str, uid: int, gid: int) -> None:
    st = os.lstat(path)
    if (st.st_uid, st.st_gid) != (uid, gid):
        os.lchown(path, uid, gid)


def _mount_points() -> set[str]:
    try:
        text = Path("/proc/self/mountinfo").read_text()
    except OSError:
        return set()
    points = set()
    for line in text.splitlines():
        fields = line.split(" ")
        if len(fields) > 4:
            points.add(re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), fields[4]))
    return points


def _default_shell(ctx: InstallContext) -> str:
    return "/bin/bash" if chroot.exists(ctx.target, "/bin/bash") else "/bin/sh"


# ------------------------------------------------------------------ editing the files
def _with_files(ctx: InstallContext) -> None:
    acc = ctx.plan.accounts
    if ctx.dry_run:
        return
    files = AccountFiles(chroot.resolve(ctx.target, "/etc"))
    if files.user("root") is None:
        raise StepError("the target has no root entry in /etc/passwd; the payload is incomplete")
    if acc.root_password_hash:
        files.set_hash("root", acc.root_password_hash)
    if acc.root_lock or not acc.root_password_hash:
        files.lock("root")
    created: list[tuple[User, int, int, str]] = []
    for user in acc.users:
        home = user.homedir or f"/home/{user.name}"
        if files.user(user.name):
            for group in user.groups:
                files.add_member(group, user.name)
            row = files.user(user.name)
            uid, gid, home = int(row[2]), int(row[3]), row[5]
        else:
            uid, gid = files.add_user(user.name, uid=user.uid, gid=user.gid, gecos=user.gecos or "",
                                      home=home, shell=user.shell or _default_shell(ctx), groups=user.groups)
        if user.password_hash:
            files.set_hash(user.name, user.password_hash)
        if user.lock or not user.password_hash:
            files.lock(user.name)
        created.append((user, uid, gid, home))
    files.save()
    for user, uid, gid, home in created:
        host_home = chroot.resolve(ctx.target, home)
        if not host_home.exists():
            skel = chroot.resolve(ctx.target, "/etc/skel")
            if skel.is_dir():
                shutil.copytree(skel, host_home, symlinks=True)
            else:
                host_home.mkdir(parents=True)
            os.chmod(host_home, 0o700)
        _own_home(ctx, user)


# ------------------------------------------------------------------ SSH keys
def _add_key(ctx: InstallContext, username: str, key: str) -> None:
    entry = _table(ctx, "passwd").get(username)
    if entry is None:
        raise StepError(f"sshkey --username={username}: the target has no such user")
    if ctx.dry_run:
        return
    uid, gid, home = int(entry[2]), int(entry[3]), entry[5]
    host_home = chroot.resolve(ctx.target, home) if uid == 0 else _home_on_host(ctx, username, home)
    if host_home is None:
        raise StepError(f"sshkey --username={username}: the user's home {home} is not a directory of its own; "
                        "the key was not added")
    ssh_dir = host_home / ".ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(ssh_dir, 0o700)
    os.chown(ssh_dir, uid, gid)
    keys = ssh_dir / "authorized_keys"
    existing = keys.read_text() if keys.exists() else ""
    if key.strip() not in existing.splitlines():
        if existing and not existing.endswith("\n"):
            existing += "\n"
        fd = os.open(keys, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(existing + key.strip() + "\n")
    os.chmod(keys, 0o600)
    os.chown(keys, uid, gid)
    ctx.log.info("added an SSH key for %s (%s)", username, _key_label(key))


def _key_label(key: str) -> str:
    parts = key.split()
    return " ".join(p for p in (parts[0] if parts else "", parts[2] if len(parts) > 2 else "") if p)


def _table(ctx: InstallContext, name: str) -> dict[str, list[str]]:
    path = chroot.resolve(ctx.target, f"/etc/{name}")
    if not path.exists():
        return {}
    rows = (line.split(":") for line in path.read_text(errors="replace").splitlines() if line.strip())
    return {row[0]: row for row in rows if len(row) >= 3}
