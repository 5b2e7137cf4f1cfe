"""Defence in depth in the steps: a value that slipped past validation can neither run a command in a
file another tool sources, nor corrupt passwd, nor make the accounts step chown outside the new home,
nor make a %post log land outside the target."""

import os
import shutil
import subprocess

import pytest

from installer.context import StepError
from installer.kickstart.files import parse_kickstart
from installer.model import secrets
from installer.model.defaults import new_plan
from installer.model.plan import Script, User
from installer.steps import accounts, bootloader, locale, scripts
from steps_support import make_env, mode

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown and mount need root")
HOSTILE = "quiet x=$(touch {m}) y=`touch {m}` z='a' w=\"b c\" v=\\ u=\"$(touch {m})\" t=;touch${{IFS}}{m}"


def sourced(path, *names):
    """The values of `names` after /bin/sh sources `path` (what grub2-mkconfig and dracut do)."""
    script = '. "$1"; shift; for n; do eval "printf \'%s\\0\' \\"\\${$n}\\""; done'
    out = subprocess.run(["/bin/sh", "-c", script, "sh", str(path), *names], capture_output=True, check=True)
    return out.stdout.decode().split("\0")[:-1]


# ------------------------------------------------------------------ /etc/default/grub
def test_default_grub_is_written_so_that_sourcing_it_runs_nothing_and_round_trips(tmp_path):
    marker = tmp_path / "ran"
    plan = new_plan()
    plan.bootloader.append = HOSTILE.format(m=marker)
    env = make_env(tmp_path, plan=plan, cmdline="console=ttyS0,115200n8 console=tty0")
    args = bootloader.kernel_args(env.ctx, bootloader.BootLayout(), "fedora")
    (env.target / "etc/default").mkdir(parents=True)
    (env.target / "etc/default/grub").write_text('GRUB_TIMEOUT=5\nGRUB_CMDLINE_LINUX="rhgb quiet"\n')
    text = bootloader.default_grub_text((env.target / "etc/default/grub").read_text(),
                                        bootloader.grub_values(env.ctx, args, "fedora"))
    path = tmp_path / "grub"
    path.write_text(text)
    cmdline, terminal, serial = sourced(path, "GRUB_CMDLINE_LINUX", "GRUB_TERMINAL", "GRUB_SERIAL_COMMAND")
    assert not marker.exists()
    assert cmdline == " ".join(a for a in args if a != "ro")  # Fedora: root= and ro come from the BLS entry
    assert "x=$(touch" in args and 'w="b c"' in args  # split as the kernel splits, quotes kept
    assert (terminal, serial) == ("serial console", "serial --unit=0 --speed=115200")


def test_the_step_refuses_kernel_arguments_grub_would_expand_before_writing(tmp_path):
    plan = new_plan()
    plan.bootloader.location = "none"
    plan.bootloader.append = "quiet x=$(id)"
    env = make_env(tmp_path, plan=plan, tools=("grub2-mkconfig", "kernel-install"),
                   cmdline="console=ttyS0,115200 console=tty0;reboot")
    with pytest.raises(StepError, match="kernel argument 'x=\\$\\(id\\)' contains '\\$'"):
        bootloader.apply(env.ctx)
    assert not (env.target / "etc/kernel/cmdline").exists() and not (env.target / "etc/default/grub").exists()
    env.ctx.plan.bootloader.append = "quiet"
    args = bootloader.kernel_args(env.ctx, bootloader.BootLayout(), "fedora")
    assert "console=ttyS0,115200" in args and not any("reboot" in a for a in args)
    assert any("console=tty0;reboot" in w for w in env.ctx.warnings)


# ------------------------------------------------------------------ GRUB superuser
def grub_env(tmp_path, kickstart):
    result = parse_kickstart(kickstart)
    assert [str(d) for d in result.diagnostics if d.is_error] == []
    result.plan.bootloader.location = "none"
    env = make_env(tmp_path, plan=result.plan, tools=("grub2-mkconfig", "kernel-install"))
    (env.target / "usr/lib/modules/6.6.1").mkdir(parents=True)
    (env.target / "usr/lib/modules/6.6.1/vmlinuz").write_text("kernel")
    return env


def all_bytes_under(root):
    for top, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(top, name)
            if not os.path.islink(path):
                with open(path, "rb") as fh:
                    yield path, fh.read()


def test_bootloader_password_configures_a_grub_superuser_and_never_stores_the_plaintext(tmp_path):
    plaintext = "Pl4intext-GRUB-secret"
    env = grub_env(tmp_path, f"bootloader --location=none --password={plaintext}\n")
    bootloader.apply(env.ctx)
    user_cfg = env.target / "boot/grub2/user.cfg"
    assert mode(user_cfg) == 0o600
    key, _, value = user_cfg.read_text().strip().partition("=")
    assert key == "GRUB2_PASSWORD" and secrets.verify_grub(plaintext, value)
    script = env.target / "etc/grub.d/01_users"
    assert mode(script) & 0o111
    emitted = subprocess.run(["/bin/sh", str(script)], capture_output=True, text=True, check=True).stdout
    assert 'set superusers="root"' in emitted and "password_pbkdf2 root ${GRUB2_PASSWORD}" in emitted
    assert "source ${prefix}/user.cfg" in emitted
    assert value not in emitted  # the hash stays in the 0600 file, not in the world-readable grub.cfg
    env.log_text()
    leaks = [p for p, data in all_bytes_under(tmp_path) if plaintext.encode() in data]
    assert leaks == []
    assert plaintext not in repr(env.events)


def test_iscrypted_grub_hash_is_written_as_given_and_an_existing_01_users_is_kept(tmp_path):
    hashed = secrets.grub_pbkdf2("whatever", iterations=1000)
    env = grub_env(tmp_path, f"bootloader --location=none --iscrypted --password={hashed}\n")
    (env.target / "etc/grub.d").mkdir(parents=True)
    (env.target / "etc/grub.d/01_users").write_text("#!/bin/sh\n# the distribution's own\n")
    os.chmod(env.target / "etc/grub.d/01_users", 0o755)
    bootloader.apply(env.ctx)
    assert (env.target / "boot/grub2/user.cfg").read_text() == f"GRUB2_PASSWORD={hashed}\n"
    assert (env.target / "etc/grub.d/01_users").read_text() == "#!/bin/sh\n# the distribution's own\n"


def test_no_password_writes_no_user_cfg(tmp_path):
    env = grub_env(tmp_path, "bootloader --location=none\n")
    bootloader.apply(env.ctx)
    assert not (env.target / "boot/grub2/user.cfg").exists()


def test_a_hash_that_is_not_grubs_format_is_refused_before_anything_is_written(tmp_path):
    env = grub_env(tmp_path, "bootloader --location=none\n")
    env.ctx.plan.bootloader.password_hash = "grub.pbkdf2.sha512.1.AA.BB\nset superusers=evil"
    with pytest.raises(StepError, match="bootloader --password"):
        bootloader.apply(env.ctx)
    assert not (env.target / "boot/grub2/user.cfg").exists()


# ------------------------------------------------------------------ vconsole.conf / locale.conf
def test_keyboard_and_lang_cannot_run_commands_when_sourced(tmp_path):
    marker = tmp_path / "ran"
    plan = new_plan()
    plan.system.keyboard = f"us;touch {marker} $(touch {marker})"
    plan.system.lang = f"en_US.UTF-8`touch {marker}`"
    env = make_env(tmp_path, plan=plan)
    locale.apply(env.ctx)
    assert sourced(env.target / "etc/vconsole.conf", "KEYMAP") == [plan.system.keyboard]
    assert sourced(env.target / "etc/locale.conf", "LANG") == [plan.system.lang]
    assert not marker.exists()


# ------------------------------------------------------------------ passwd fields
@pytest.mark.parametrize("field,value", [("shell", "/bin/sh:0:0"), ("homedir", "/home/x\nevil::0:0::/:/bin/sh"),
                                         ("gecos", "Eve\nevil::0:0::/:/bin/sh")])
def test_passwd_fields_with_separators_are_refused_without_tools(tmp_path, field, value):
    plan = new_plan()
    plan.accounts.users.append(User(name="eve", **{field: value}))
    env = make_env(tmp_path, plan=plan)  # no shadow-utils: the files are edited directly
    before = (env.target / "etc/passwd").read_text()
    with pytest.raises(StepError, match=f"user eve: --{field}"):
        accounts.apply(env.ctx)
    assert (env.target / "etc/passwd").read_text() == before


@pytest.mark.parametrize("home", ["/", "/home/../etc", "/etc", "/usr", "relative/home"])
def test_a_new_users_home_outside_home_directories_is_refused_by_the_step(tmp_path, home):
    plan = new_plan()
    plan.accounts.users.append(User(name="eve", homedir=home))
    env = make_env(tmp_path, plan=plan, tools=accounts.TOOLS)
    with pytest.raises(StepError, match="user eve: --homedir"):
        accounts.apply(env.ctx)
    assert not env.runner.named("useradd")


@needs_root
def test_an_existing_account_whose_home_is_the_root_directory_is_not_chowned(tmp_path):
    plan = new_plan()
    plan.accounts.users.append(User(name="eve", homedir="/home/eve"))
    env = make_env(tmp_path, plan=plan, tools=accounts.TOOLS)
    with open(env.target / "etc/passwd", "a") as fh:
        fh.write("eve:x:1500:1500::/:/bin/bash\n")  # what the payload (or %pre) left there
    accounts.apply(env.ctx)
    assert os.stat(env.target).st_uid == 0 and os.stat(env.target / "etc/passwd").st_uid == 0
    assert any("eve" in w and "/" in w for w in env.ctx.warnings)


@needs_root
def test_the_home_is_chowned_without_following_symlinks_or_entering_mounts(tmp_path):
    plan = new_plan()
    plan.accounts.users.append(User(name="eve"))
    env = make_env(tmp_path, plan=plan, tools=accounts.TOOLS)
    with open(env.target / "etc/passwd", "a") as fh:
        fh.write("eve:x:1500:1500::/home/eve:/bin/bash\n")
    home = env.target / "home/eve"
    (home / "docs").mkdir(parents=True)
    (home / "docs/a.txt").write_text("a")
    (home / "etc-link").symlink_to("/etc")  # absolute: the live system's /etc if followed
    (home / "up").symlink_to("../..")
    (home / "mnt").mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "azl-test", str(home / "mnt")], check=True)
    try:
        (home / "mnt/inside").write_text("x")
        accounts.apply(env.ctx)
        assert os.stat(home / "mnt").st_uid == 0 and os.stat(home / "mnt/inside").st_uid == 0
    finally:
        subprocess.run(["umount", str(home / "mnt")], check=True)
    assert os.stat(home).st_uid == 1500 and os.stat(home / "docs/a.txt").st_uid == 1500
    assert os.lstat(home / "etc-link").st_uid == 1500  # the link itself, not what it points to
    assert os.stat("/etc").st_uid == 0 and os.stat(env.target / "etc").st_uid == 0
    assert os.stat(env.target).st_uid == 0


# ------------------------------------------------------------------ %post --log
def test_post_log_stays_inside_the_target(tmp_path):
    name = f"azl-escape-{tmp_path.name}"
    plan = new_plan()
    plan.scripts.append(Script(kind="post", body="echo hi\n", log=f"/../../{name}"))
    plan.scripts.append(Script(kind="post", body="echo hi\n", log="/srv/post.log"))
    env = make_env(tmp_path, plan=plan)
    (env.target / "srv").symlink_to(f"../../../{name}-dir")  # relative link climbing out
    scripts.run_all(env.ctx, "post")
    assert not (tmp_path.parent / name).exists() and not (tmp_path / name).exists()
    assert not (tmp_path.parent / f"{name}-dir").exists()
    assert (env.target / name).exists()
    assert (env.target / f"{name}-dir/post.log").exists()


# ------------------------------------------------------------------ GRUB's own tools
needs_grub = pytest.mark.skipif(not shutil.which("grub-script-check") or not shutil.which("grub-mkpasswd-pbkdf2"),
                                reason="needs grub-common (grub-script-check, grub-mkpasswd-pbkdf2)")


@needs_grub
def test_grub_reads_what_is_written_with_a_hash_from_grub_mkpasswd_pbkdf2(tmp_path):
    made = subprocess.run(["grub-mkpasswd-pbkdf2", "--iteration-count=1000"], input="s3cret\ns3cret\n",
                          capture_output=True, text=True, check=True).stdout
    hashed = made.split()[-1]
    assert hashed.startswith("grub.pbkdf2.sha512.1000.")
    env = grub_env(tmp_path, f"bootloader --location=none --iscrypted --password={hashed}\n")
    bootloader.apply(env.ctx)
    assert (env.target / "boot/grub2/user.cfg").read_text() == f"GRUB2_PASSWORD={hashed}\n"
    assert secrets.verify_grub("s3cret", hashed)
    emitted = subprocess.run(["/bin/sh", str(env.target / "etc/grub.d/01_users")], capture_output=True,
                             text=True, check=True).stdout
    for script in (emitted, (env.target / "boot/grub2/user.cfg").read_text()):
        checked = subprocess.run(["grub-script-check"], input=script, capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr


@needs_root
def test_a_home_that_is_a_symlink_to_a_system_directory_is_not_chowned(tmp_path):
    plan = new_plan()
    plan.accounts.users.append(User(name="eve"))
    env = make_env(tmp_path, plan=plan, tools=accounts.TOOLS)
    with open(env.target / "etc/passwd", "a") as fh:
        fh.write("eve:x:1500:1500::/home/eve:/bin/bash\n")
    (env.target / "home").mkdir()
    (env.target / "home/eve").symlink_to("/etc")  # inside the target: its /etc
    accounts.apply(env.ctx)
    assert os.stat(env.target / "etc").st_uid == 0 and os.stat(env.target / "etc/passwd").st_uid == 0
    assert any("/home/eve (-> /etc) is the system directory /etc" in w for w in env.ctx.warnings)
