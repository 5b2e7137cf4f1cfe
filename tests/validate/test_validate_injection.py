"""The rules of the tools that read what the installer writes: homes and passwd fields, kernel arguments,
keymaps, mount options, script log paths; and the quoting that makes shells and systemd read values back."""

import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from validate_support import at, base_plan, errors

from installer.model.defaults import new_plan
from installer.model.plan import TUI, LogVolRequest, RaidRequest, Script, User
from installer.model.syntax import (env_value, home_problem, kernel_arg_problems, mount_options_problem,
                                    sh_quote, split_kernel_args)
from installer.validate.validator import validate


@pytest.mark.parametrize("home", ["/home/alice", "/var/lib/app", "/srv/bob", "/opt/app/home", "/data/users/x",
                                  "/home/alice.smith"])
def test_good_homes(home):
    assert home_problem(home) is None


@pytest.mark.parametrize("home,problem", [
    ("/", "is the root directory; a home is a directory of its own, such as /home/NAME"),
    ("/home/../etc", "contains '..'"),
    ("/home/alice/..", "contains '..'"),
    ("/home/./alice", "is not a normalized path (write it as /home/alice)"),
    ("//home/alice", "is not a normalized path (write it as /home/alice)"),
    ("/home//alice", "is not a normalized path (write it as /home/alice)"),
    ("/home/alice/", "is not a normalized path (write it as /home/alice)"),
    ("home/alice", "is not an absolute path"),
    ("/etc", "is the system directory /etc"),
    ("/home", "is the system directory /home; a home is a directory of its own, such as /home/NAME"),
    ("/root", "is the system directory /root"),
    ("/var", "is the system directory /var"),
    ("/usr/share/alice", "is inside the system directory /usr"),
    ("/run/user/1000", "is inside the system directory /run"),
    ("/dev/shm/x", "is inside the system directory /dev"),
    ("/home/a:b", "contains ':', which separates the fields of /etc/passwd"),
    ("/home/a\nroot::0:0::/:/bin/sh", "contains a line break or control character"),
])
def test_bad_homes(home, problem):
    assert home_problem(home) == problem


def test_user_fields_are_reported_together_at_the_users_line():
    plan = base_plan()
    plan.accounts.users.append(User(name="eve", homedir="/etc", shell="/bin/sh\n", gecos="a\nb", origin=at(20)))
    assert errors(plan) == [
        "ks.cfg:20: user eve: --homedir=/etc is the system directory /etc",
        "ks.cfg:20: user eve: --shell=/bin/sh\\n contains a line break or control character",
        "ks.cfg:20: user eve: --gecos=a\\nb contains a line break or control character, which would start a "
        "new /etc/passwd entry",
    ]


def test_an_ssh_key_is_one_authorized_keys_line():
    from validate_support import KEY

    from installer.validate.accounts import ssh_key_problem

    assert ssh_key_problem(KEY + "\n") is None
    assert ssh_key_problem(KEY + "\nssh-ed25519 " + KEY.split()[1] + " intruder") == (
        "contains a line break or control character: authorized_keys holds one key per line")


def test_a_tui_user_names_the_accounts_field():
    plan = new_plan()
    plan.interactive = True
    plan.accounts.users.append(User(name="eve", homedir="/", origin=TUI))
    diags = [(d.field, str(d)) for d in validate(plan) if d.is_error]
    assert diags == [("accounts", "tui: user eve: --homedir=/ is the root directory; a home is a directory of "
                                  "its own, such as /home/NAME")]


# ------------------------------------------------------------------ kernel arguments
@pytest.mark.parametrize("append", [
    "quiet", "console=ttyS0,115200n8 console=tty0", 'acpi_osi="!Windows 2012"', "rd.luks.uuid=luks-ab-12",
    "video=HDMI-A-1:1920x1080@60", "isolcpus=1-3,5 nohz_full=1-3", 'dyndbg="file foo.c +p"', "  a   b  ",
    "modprobe.blacklist=nouveau,radeon rd.driver.pre=vfio-pci", "",
])
def test_good_kernel_arguments(append):
    assert kernel_arg_problems(append) == []


@pytest.mark.parametrize("append,problem", [
    ("x=$(id)", "kernel argument 'x=$(id)' contains '$'"),
    ("x=`id`", "kernel argument 'x=`id`' contains '`'"),
    ("x=a\\b", "kernel argument 'x=a\\\\b' contains '\\\\'"),
    ("x='a'", "kernel argument \"x='a'\" contains \"'\""),
    ("x=1;reboot", "kernel argument 'x=1;reboot' contains ';'"),
    ("a&b", "kernel argument 'a&b' contains '&'"),
    ("a|b", "kernel argument 'a|b' contains '|'"),
    ("a>b", "kernel argument 'a>b' contains '>'"),
    ("{a}", "kernel argument '{a}' contains '{'"),
    ("#a", "kernel argument '#a' contains '#'"),
    ('x="$a b"', "kernel argument 'x=\"$a b\"' contains '$'"),
    ("x=é", "kernel argument 'x=é' contains a character that is not printable ASCII"),
    ('x="a b', "the value has an unclosed '\"': the kernel would read the rest of the line as one argument"),
    ("a\nb", "the value contains a line break"),
    ("a=" + "x" * 2046, "the arguments are 2048 bytes long; the kernel keeps only 2047"),
])
def test_bad_kernel_arguments(append, problem):
    assert any(p.startswith(problem) for p in kernel_arg_problems(append)), kernel_arg_problems(append)


def test_kernel_words_split_like_the_kernel():
    assert split_kernel_args(' a  b="c d"\te="" f ') == ["a", 'b="c d"', 'e=""', "f"]


def test_hostile_append_is_linear():
    assert len(kernel_arg_problems("$" * 200_000 + " a" * 100_000)) == 2  # one word with '$', then the length


# ------------------------------------------------------------------ keyboard, fsoptions, logs
def test_keyboard_names():
    plan = base_plan()
    plan.system.set("keyboard", "de-latin1", at(5))
    plan.system.x_layouts = ["cz (qwerty)", "us(dvorak)"]
    assert errors(plan) == []
    plan.system.set("keyboard", "us\nFONT=x", at(5))
    assert errors(plan) == ["ks.cfg:5: keyboard 'us\\nFONT=x' contains '\\n': keymap names are letters, digits, "
                            "'-', '_', '.' and '+'"]


@pytest.mark.parametrize("options,problem", [
    ("defaults", None), ("noatime,x-systemd.automount,context=\"system_u:object_r:tmp_t:s0\"", None),
    ("", "is empty"), ("a,,b", "has an empty option (',,' or a ',' at either end)"),
    ("noatime,", "has an empty option (',,' or a ',' at either end)"),
    ("a\nb", "contains a line break or control character"),
    ("défaut", "contains a character that is not ASCII"),
])
def test_mount_options(options, problem):
    assert mount_options_problem(options) == problem


def test_fsoptions_of_logvols_and_raids_name_their_lines():
    plan = base_plan()
    plan.storage.autopart = None
    plan.storage.logvols.append(LogVolRequest(mountpoint="/", vgname="vg", name="root", fsoptions="a b",
                                              origin=at(30)))
    plan.storage.raids.append(RaidRequest(mountpoint="/srv", device="md0", level="raid1", fsoptions="x\ty",
                                          origin=at(31)))
    blank = "contains a blank: /etc/fstab separates its fields with blanks (separate mount options with ',')"
    found = errors(plan)
    assert f"ks.cfg:30: logvol /: --fsoptions='a b' {blank}" in found
    assert f"ks.cfg:31: raid /srv: --fsoptions='x\\ty' {blank}" in found


def test_script_logs():
    plan = base_plan()
    plan.scripts += [Script(kind="post", body="", log="/root/post.log", origin=at(40)),
                     Script(kind="pre", body="", log="/tmp/../x", origin=at(41)),
                     Script(kind="post", body="", log="root/x", origin=at(42))]
    assert errors(plan) == [
        "ks.cfg:41: %pre --log=/tmp/../x contains '..'; give a plain absolute path such as /root/ks-pre.log",
        "ks.cfg:42: %post --log=root/x is not an absolute path; give a plain absolute path such as "
        "/root/ks-post.log",
    ]


# ------------------------------------------------------------------ quoting read back by the real readers
def sh_reads(assignment: str) -> str:
    out = subprocess.run(["/bin/sh", "-c", assignment + '\nprintf %s "$V"'], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "surrogateescape")


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\0"), max_size=40))
def test_sh_quote_round_trips_through_a_real_shell(value):
    assert sh_reads("V=" + sh_quote(value)) == value


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=40))
def test_env_values_round_trip_through_a_real_shell(value):
    assert sh_reads("V=" + env_value(value)) == value


def test_env_value_is_bare_when_both_readers_agree_and_refuses_control_characters():
    assert env_value("de-latin1") == "de-latin1"
    assert env_value("a b") == "'a b'"
    with pytest.raises(ValueError):
        env_value("us\nFONT=x")
