"""Bad kickstarts give FILE:LINE messages, never tracebacks: includes, refused commands, garbage input."""

import os
import re
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.kickstart import compat
from installer.kickstart import source as kickstart_source
from installer.kickstart.files import MAX_DIAGNOSTICS, load_kickstart, parse_kickstart
from installer.kickstart.parse import MAX_COMMAND_LINE, MAX_COMMANDS, MAX_ERRORS
from installer.model.plan import Origin


def messages(result) -> list[str]:
    return [str(d) for d in result.diagnostics]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


# ---------------------------------------------------------------- %include


def test_errors_in_included_files_name_that_file_and_line(tmp_path):
    main = write(tmp_path / "main.ks", """
        lang en_US.UTF-8
        %include parts/storage.ks
        rootpw --lock
        bogus-command
    """)
    storage = write(tmp_path / "parts" / "storage.ks", """
        # storage for the lab
        zerombr
        part / --size=lots
        %include ../net.ks
    """)
    net = write(tmp_path / "net.ks", "network --device=eth0 --bootproto=dhcp --frobnicate\n")
    result = load_kickstart(main)
    assert messages(result) == [
        f"{storage}:3: part: argument --size: invalid int value: 'lots'",
        f"{net}:1: network: unrecognized arguments: --frobnicate",
        f"{main}:4: unknown command 'bogus-command'",
    ]
    plan = result.plan
    assert plan.storage.zerombr and plan.storage.origin_of("zerombr") == Origin.kickstart(str(storage), 2)
    assert plan.accounts.origin_of("root_lock") == Origin.kickstart(str(main), 3)
    assert plan.system.origin_of("lang") == Origin.kickstart(str(main), 1)


def test_include_inside_a_section_and_values_from_included_files(tmp_path):
    main = write(tmp_path / "main.ks", """
        %packages
        @^minimal
        %include pkgs.txt
        %end
    """)
    write(tmp_path / "pkgs.txt", "vim-minimal\n-nano\n")
    result = load_kickstart(main)
    assert result.ok, messages(result)
    pk = result.plan.payload.packages
    assert pk.packages == ["vim-minimal"] and pk.excluded_packages == ["nano"]
    assert pk.origin_of("packages[vim-minimal]") == Origin.kickstart(str(tmp_path / "pkgs.txt"), 1)


def test_missing_loop_directory_and_remote_includes_are_reported_at_the_include_line(tmp_path):
    (tmp_path / "adir").mkdir()
    main = write(tmp_path / "main.ks", """
        %include missing.ks
        %include adir
        %include https://example.com/ks.cfg
        %include main.ks
        %include
    """)
    assert messages(load_kickstart(main)) == [
        f"{main}:1: cannot include 'missing.ks': No such file or directory",
        f"{main}:2: cannot include 'adir': is a directory",
        f"{main}:3: cannot include 'https://example.com/ks.cfg': only local files can be included",
        f"{main}:4: cannot include 'main.ks': it includes itself",
        f"{main}:5: %include needs exactly one file name",
    ]


def test_including_a_file_that_pre_would_write_explains_why_it_cannot_work(tmp_path):
    main = write(tmp_path / "main.ks", "%include /tmp/azl-test-part-include-that-does-not-exist\n")
    (error,) = load_kickstart(main).errors
    assert error.origin == Origin.kickstart(str(main), 1)
    assert "a file written by %pre can be included when this kickstart has a %pre section" in error.message


def test_include_nesting_is_limited(tmp_path):
    for i in range(kickstart_source.MAX_INCLUDE_DEPTH + 2):
        write(tmp_path / f"k{i}.ks", f"%include k{i + 1}.ks\n")
    result = load_kickstart(tmp_path / "k0.ks")
    (error,) = result.errors
    assert "nested more than" in error.message
    assert error.origin.file == str(tmp_path / f"k{kickstart_source.MAX_INCLUDE_DEPTH}.ks")


def test_a_fan_of_includes_is_limited(tmp_path):
    for i in range(12):
        write(tmp_path / f"f{i}.ks", f"%include f{i + 1}.ks\n%include f{i + 1}.ks\n%include f{i + 1}.ks\n")
    write(tmp_path / "f12.ks", "zerombr\n")
    result = load_kickstart(tmp_path / "f0.ks")  # 3**12 includes unless something stops them
    assert result.errors
    limit = f"more than {kickstart_source.MAX_INCLUDES} files included"
    assert all(re.fullmatch(rf"cannot include 'f\d+\.ks': {limit}", d.message) for d in result.errors
               if d.origin.line is not None)


def test_binary_included_file(tmp_path):
    main = write(tmp_path / "main.ks", "lang en_US.UTF-8\n%include blob.bin\n")
    (tmp_path / "blob.bin").write_bytes(b"zerombr\n\x00\x01\x02")
    assert messages(load_kickstart(main)) == [f"{tmp_path / 'blob.bin'}:2: not a text file"]


def test_ksappend_is_refused():
    assert messages(parse_kickstart("lang C\n%ksappend http://example.com/x\n")) == [
        "ks.cfg:2: '%ksappend' is not supported by azl-install"]


# ---------------------------------------------------------------- refused and harmless commands

UNSUPPORTED = sorted(name for name in __import__("pykickstart.version", fromlist=["makeVersion"]).makeVersion("F43")
                     .commands if name in compat.REMOVED or compat.COMMANDS[name].rule.status == compat.REFUSED)


def test_the_unsupported_list_covers_what_the_installer_cannot_do():
    for name in ("vnc", "iscsi", "fcoe", "zfcp", "nvdimm", "module", "ostreesetup", "realm", "harddrive",
                 "nfs", "mount", "driverdisk", "authselect", "group", "logging", "rdp", "bootc", "rescue"):
        assert name in UNSUPPORTED


@pytest.mark.parametrize("command", UNSUPPORTED)
def test_unsupported_commands_are_refused_with_the_exact_message(command):
    text = f"lang en_US.UTF-8\n\n{command} --whatever=1 arg\n"
    result = parse_kickstart(text, "lab.ks")
    (message,) = messages(result)
    reason = compat.REMOVED.get(command) or compat.COMMANDS[command].rule.reason
    assert message in (f"lab.ks:3: '{command}' is not supported by azl-install: {reason}", f"lab.ks:3: '{command}' {reason}")
    assert reason
    assert not result.ok


@pytest.mark.parametrize("line, option", [
    ("part / --size=100 --onbiosdisk=80", "part --onbiosdisk"),
    ("partition /x --size=1 --fsprofile=big", "partition --fsprofile"),
    ("part pv.1 --size=1 --encrypted --escrowcert=http://x/cert", "part --escrowcert"),
    ("logvol / --vgname=vg --name=root --size=1 --resize", "logvol --resize"),
    ("logvol / --vgname=vg --name=root --size=1 --cachesize=100 --cachepvs=pv.1 --cachemode=writeback",
     "logvol --cachesize"),
    ("volgroup vg pv.1 --reserved-percent=10", "volgroup --reserved-percent"),
    ("raid / --level=1 --device=md0 --spares=1 raid.1 raid.2 raid.3", "raid --spares"),
    ("raid / --level=1 --device=md0 --mkfsoptions=-K raid.1 raid.2", "raid --mkfsoptions"),
    ("btrfs / --mkfsoptions=-K btrfs.1", "btrfs --mkfsoptions"),
    ("autopart --type=lvm --hibernation", "autopart --hibernation"),
    ("bootloader --location=mbr --sdboot", "bootloader --sdboot"),
    ("bootloader --location=mbr --leavebootorder", "bootloader --leavebootorder"),
    ("network --device=wlan0 --bootproto=dhcp --essid=home --wpakey=x", "network --essid"),
    ("network --device=team0 --bootproto=dhcp --teamslaves=eth0,eth1", "network --teamslaves"),
    ("network --device=eth0 --bootproto=dhcp --nodns", "network --nodns"),
    ("url --url=http://x/ --sslcacert=/etc/ca.pem", "url --sslcacert"),
    ("repo --name=x --baseurl=http://x/ --sslclientkey=/k", "repo --sslclientkey"),
    ("clearpart --all --cdl", "clearpart --cdl"),
])
def test_unsupported_options_are_refused(line, option):
    result = parse_kickstart(f"\n{line}\n", "ks.cfg")
    assert any(m.startswith(f"ks.cfg:2: '{option}' is not supported by azl-install: ") for m in messages(result))
    assert not result.ok


def _options_we_ignore():
    from installer.kickstart.parse import make_handler

    handler = make_handler("F43")  # with azl-install's extensions (sshd, repo --nogpgcheck)
    for name, cmd in sorted(compat.COMMANDS.items()):
        if cmd.rule.status == compat.REFUSED:
            continue
        op = getattr(handler.commands[name], "op", None)
        for action in getattr(op, "_actions", []):
            if (action.option_strings and compat.option_rule(name, action.dest).status == compat.REFUSED
                    and "-h" not in action.option_strings):
                yield name, action.option_strings[0], action.nargs != 0


@pytest.mark.parametrize("command, option, takes_value", list(_options_we_ignore()))
def test_no_option_of_a_supported_command_is_silently_ignored(command, option, takes_value):
    word = f"{option}=1" if takes_value else option
    result = parse_kickstart(f"{command} {word}\n", "ks.cfg")
    assert result.errors, f"{command} {word} was accepted silently: {messages(result)}"
    assert all(d.origin == Origin.kickstart("ks.cfg", 1) for d in result.errors)


@pytest.mark.parametrize("line", ["skipx", "eula --agreed", "mediacheck", "graphical", "firstboot --disable",
                                  "firstboot"])
def test_harmless_commands_are_warnings(line):
    result = parse_kickstart(f"lang C.UTF-8\n{line}\n", "ks.cfg")
    assert result.ok
    (warning,) = result.diagnostics
    assert warning.severity == "warning" and warning.origin == Origin.kickstart("ks.cfg", 2)
    assert str(warning).startswith("ks.cfg:2: warning: '" + line.split()[0] + "'")
    assert compat.COMMANDS[line.split()[0]].rule.status == compat.WARNING or line.startswith("firstboot")


@pytest.mark.parametrize("line", ["firstboot --enable", "firstboot --reconfig"])
def test_firstboot_enable_is_refused(line):
    assert messages(parse_kickstart(line + "\n")) == [
        f"ks.cfg:1: '{line}' is not supported by azl-install: Azure Linux has no first-boot setup tool (initial-setup)"]


def test_sections_we_do_not_act_on():
    text = "%addon com_redhat_kdump --enable\n%end\n%anaconda\npwpolicy root --minlen=6\n%end\n" \
           "%certificate --filename=ca.pem --dir=/etc/pki\n-----BEGIN CERTIFICATE-----\n%end\n"
    result = parse_kickstart(text)
    assert messages(result) == [
        ("ks.cfg:1: '%addon com_redhat_kdump' is not supported by azl-install: kdump is not set up by azl-install: "
         "install kdump-utils and enable kdump in %post"),
        "ks.cfg:3: warning: '%anaconda' has no effect: it configures Anaconda's interface",
        ("ks.cfg:6: '%certificate' is not supported by azl-install: not implemented yet: copy "
         "certificates in %post"),
    ]


@pytest.mark.parametrize("packages, message", [
    ("@core --optional", "ks.cfg:3: '@core --optional' is not supported by azl-install"),
    ("@core --nodefaults", "ks.cfg:3: '@core --nodefaults' is not supported by azl-install"),
    ("@nodejs:20", "ks.cfg:3: module streams ('@nodejs:20') are not supported by azl-install"),
])
def test_package_entries_we_cannot_honour(packages, message):
    result = parse_kickstart(f"lang C\n%packages\n{packages}\n%end\n")
    assert message in messages(result)


def test_a_bad_package_line_is_reported_and_the_rest_still_parses():
    result = parse_kickstart("%packages\n@core --nodefaults --optional\nvim\n%end\nzerombr\n")
    assert messages(result) == ["ks.cfg:2: %packages: Group cannot specify both --nodefaults and --optional"]
    assert result.plan.payload.packages.packages == ["vim"] and result.plan.storage.zerombr


def test_ignorebroken_is_refused():
    assert messages(parse_kickstart("%packages --ignorebroken\n%end\n")) == [
        "ks.cfg:1: '%packages --ignorebroken' is not supported by azl-install"]


# ---------------------------------------------------------------- syntax errors


def test_every_bad_line_is_reported_and_parsing_goes_on():
    text = "lang C\nfrobnicate\npart / --size=x\nrootpw --iscrypted plaintext\nselinux --sideways\nzerombr\n"
    result = parse_kickstart(text)
    assert messages(result) == [
        "ks.cfg:2: unknown command 'frobnicate'",
        "ks.cfg:3: part: argument --size: invalid int value: 'x'",
        "ks.cfg:5: selinux: unrecognized arguments: --sideways",
        ("ks.cfg:4: 'rootpw --iscrypted' needs a crypt(3) hash (SHA-512 '$6$...' or yescrypt '$y$...', as "
         "'openssl passwd -6' makes); 'rootpw --lock --iscrypted locked' locks root without a password"),
    ]
    assert result.plan is not None and result.plan.storage.zerombr


def test_unbalanced_quote_names_the_line():
    result = parse_kickstart('lang C\nuser --name=x --gecos="no end\nzerombr\n')
    assert messages(result) == ["ks.cfg:2: cannot split the line into words: No closing quotation"]


@pytest.mark.parametrize("text, message", [
    ("lang C\n%post\necho hi\n", "ks.cfg:2: '%post' section has no %end"),
    ("%packages\nvim\n%post\necho\n%end\n", "ks.cfg:1: '%packages' section has no %end"),
    ("lang C\n%frobnicate\n%end\n", "ks.cfg:2: unknown section '%frobnicate'"),
    ("%post --frob\n%end\n", "ks.cfg:1: %post: unrecognized arguments: --frob"),
    ("network --device=eth0 --mtu=big\n", "ks.cfg:1: network --mtu must be a number, not 'big'"),
    ("repo --name=extras\n", "ks.cfg:1: repo --name=extras needs --baseurl, --mirrorlist or --metalink"),
    ("url\n", "ks.cfg:1: One of --mirrorlist, --url, --metalink options must be specified for url command."),
    ("part / --size=1\nautopart\n", "ks.cfg:2: The autopart and partition commands can't be used at the same time."),
])
def test_section_and_value_errors(text, message):
    assert message in messages(parse_kickstart(text))


def test_repeated_command_warns_and_the_last_wins():
    result = parse_kickstart("selinux --permissive\nselinux --disabled\n")
    assert messages(result) == ["ks.cfg:2: warning: 'selinux' was already given at ks.cfg:1; this line replaces it"]
    assert result.plan.security.selinux == "disabled"


def test_passphrase_without_encrypted_is_a_warning():
    result = parse_kickstart("part pv.01 --size=1 --passphrase=x\n")
    assert messages(result) == ["ks.cfg:1: warning: 'part --passphrase' has no effect without --encrypted"]


def test_too_many_messages_are_capped():
    result = parse_kickstart("nonsense\n" * (MAX_DIAGNOSTICS + 50))
    assert len(result.diagnostics) == MAX_DIAGNOSTICS + 1
    assert result.diagnostics[-1].message == "50 more messages not shown (50 errors)"


# ---------------------------------------------------------------- unusable input


def test_missing_directory_and_special_files(tmp_path):
    assert messages(load_kickstart(tmp_path / "nope.ks")) == [f"{tmp_path}/nope.ks: cannot read: No such file or directory"]
    assert messages(load_kickstart(tmp_path)) == [f"{tmp_path}: cannot read: is a directory"]
    assert messages(load_kickstart("/dev/null")) == ["/dev/null: cannot read: not a regular file"]
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert messages(load_kickstart(fifo)) == [f"{fifo}: cannot read: not a regular file"]
    assert load_kickstart("bad\0name").errors[0].message.startswith("cannot read")


def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.ks"
    path.write_text("lang C\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: make it unreadable another way
        path.unlink()
        path.symlink_to(path)  # a symlink loop cannot be opened by anyone
    result = load_kickstart(path)
    assert result.plan is None
    (error,) = result.errors
    assert str(error).startswith(f"{path}: cannot read: ")


@pytest.mark.parametrize("data, message", [
    (b"\x7fELF\x02\x01\x01\x00\x00\x00", "ks.cfg:1: not a text file"),
    (b"lang C\nzerombr\n\x00", "ks.cfg:3: not a text file"),
    (b"lang C\nuser --name=j\xe9r\xf4me\n", "ks.cfg:2: not valid UTF-8 (byte 0xe9)"),
    (b"lang C\n\x1b[31m\x07\n", "ks.cfg:2: not a text file (control character U+0007)"),
    ("lang C\nuser --name=a --gecos='x\x85y'\n".encode(), "ks.cfg:2: not a text file (control character U+0085)"),
    ("lang C\n\n\nuser --gecos='\u2028'\n".encode(), "ks.cfg:4: not a text file (control character U+2028)"),
])
def test_binary_and_non_utf8_files(tmp_path, data, message):
    path = tmp_path / "ks.cfg"
    path.write_bytes(data)
    result = load_kickstart(path)
    assert messages(result) == [message.replace("ks.cfg", str(path))]
    assert result.plan is None
    assert messages(parse_kickstart(data)) == [message]


@pytest.mark.parametrize("text, message", [
    ("lang C\nzerombr\0\n", "ks.cfg:2: not a text file"),
    ("lang C\n\nuser --name=a --gecos='a\x85b'\n", "ks.cfg:3: not a text file (control character U+0085)"),
])
def test_text_given_as_str_is_checked_too(text, message):
    assert messages(parse_kickstart(text)) == [message]


def test_utf8_bom_and_crlf_line_endings_are_accepted(tmp_path):
    path = tmp_path / "win.ks"
    path.write_bytes("\ufefflang de_DE.UTF-8\r\nuser --name=jérôme --gecos=\"Jérôme\"\r\n".encode())
    result = load_kickstart(path)
    assert result.ok, messages(result)
    assert result.plan.system.lang == "de_DE.UTF-8"
    assert result.plan.accounts.users[0].gecos == "Jérôme"


@pytest.mark.parametrize("text", ["", "\n\n   \n", "# only a comment\n"])
def test_empty_kickstarts_give_the_product_default_plan(text):
    from installer.model.defaults import new_plan

    result = parse_kickstart(text)
    assert result.ok and result.plan == new_plan()


def test_huge_files_are_refused_before_reading(tmp_path):
    path = tmp_path / "huge.ks"
    with open(path, "wb") as fh:
        fh.truncate(kickstart_source.MAX_BYTES + 1)
    assert messages(load_kickstart(path)) == [
        f"{path}: cannot read: file is too large ({kickstart_source.MAX_BYTES + 1} bytes; "
        f"the limit is {kickstart_source.MAX_BYTES} bytes)"]


def test_large_but_acceptable_file_parses(tmp_path):
    path = tmp_path / "big.ks"
    body = "# padding comment line\n" * 200_000 + "lang C.UTF-8\n" + "%packages\n" + "".join(
        f"pkg{i}\n" for i in range(2000)) + "%end\n"
    path.write_text(body)
    result = load_kickstart(path)
    assert result.ok
    assert result.plan.system.origin_of("lang") == Origin.kickstart(str(path), 200_001)
    assert len(result.plan.payload.packages.packages) == 2000


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_random_bytes_never_raise(data):
    result = parse_kickstart(data, "fuzz.ks")
    for d in result.diagnostics:
        assert d.origin is not None and d.origin.file == "fuzz.ks"
        assert str(d).startswith("fuzz.ks")
    assert result.plan is not None or result.errors


KS_WORDS = ["part", "logvol", "network", "%packages", "%end", "%post", "%pre", "%include", "rootpw", "user",
            "--size=", "--grow", "--name=", "--device=", "/", "swap", "pv.01", '"', "'", "\\", "#", "=", "@^",
            "-", "autopart", "clearpart", "--all", "--encrypted", "--passphrase=x", "bootloader", "--append=",
            "raid", "btrfs", "--subvol", "volgroup", "%end", "repo", "--baseurl=", "url", "liveimg", "timezone",
            "services", "firewall", "--port=", "sshkey", "%onerror", "--nochroot", "%addon", "reboot", "vnc"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(st.one_of(st.sampled_from(KS_WORDS), st.text(max_size=6)), max_size=6).map(" ".join),
                max_size=12))
def test_random_kickstart_like_text_never_raises(lines):
    text = "\n".join(lines)
    result = parse_kickstart(text, "fuzz.ks")
    assert all(d.origin is not None for d in result.diagnostics)
    assert result.plan is not None or result.errors


@pytest.mark.parametrize("line, secret", [
    ("rootpw --plaintext first-pw Extra-Secret-1", "Extra-Secret-1"),
    ("part pv.1 --size=1 --passphrse=Luks-Typo-2", "Luks-Typo-2"),
    ("user --name=a --pasword=User-Typo-3", "User-Typo-3"),
    ("user --name=a --passwd User-Typo-4 --bogus", "User-Typo-4"),
    ("logvol / --vgname=v --name=r --size=1 --encrypted --passphrase=Luks-5 --thinpool", "Luks-5"),
])
def test_messages_never_repeat_a_password(line, secret):
    result = parse_kickstart(line + "\n")
    assert result.errors
    assert all(secret not in str(d) for d in result.diagnostics), messages(result)


def test_overlong_command_lines_are_refused_but_long_script_lines_are_kept():
    blob = "A" * (MAX_COMMAND_LINE + 10)
    text = f"lang C\nsshkey --username=root '{blob}'\n%post\necho {blob} > /root/blob\n%end\nzerombr\n"
    result = parse_kickstart(text)
    assert messages(result) == [f"ks.cfg:2: line is too long ({len(f'sshkey --username=root {blob!r}')} characters; "
                                f"the limit is {MAX_COMMAND_LINE})"]
    assert result.plan.scripts[0].body == f"echo {blob} > /root/blob\n"
    assert result.plan.storage.zerombr


def test_parsing_stops_after_too_many_commands_or_errors():
    result = parse_kickstart("".join(f"part /srv/p{i} --size=1\n" for i in range(MAX_COMMANDS + 10)))
    assert messages(result) == [f"ks.cfg:{MAX_COMMANDS + 1}: too many commands (more than {MAX_COMMANDS}); "
                                "stopped reading here"]
    result = parse_kickstart("bogus\n" * (MAX_ERRORS + 10))
    assert result.errors[-1].message.endswith("more messages not shown (101 errors)")
    assert len(result.diagnostics) == MAX_DIAGNOSTICS + 1
