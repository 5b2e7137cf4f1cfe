"""Values that end up in files other tools read (passwd, fstab, /etc/default/grub, vconsole.conf, script
logs) are refused at validation, all in one pass, each at its kickstart FILE:LINE."""

import textwrap

from installer.kickstart.files import load_kickstart
from installer.model.machine import Machine
from installer.validate.validator import validate
from paths import PROFILES

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3mBv0s1t2e6vbq4kQ8o0mB0k6zC5vX9bqfJ7m2xyZ alice@example.com"

HOSTILE = textwrap.dedent(f"""\
    cmdline
    lang en_US.UTF-8
    keyboard --vckeymap='us;touch /tmp/pwned'
    timezone UTC --utc
    rootpw --lock
    user --name=alice --homedir=/
    user --name=bob --homedir=/home/../etc
    user --name=carol --shell=/bin/bash:0:0 --homedir=/home/carol:x
    sshkey --username=alice "{KEY}"
    bootloader --append='quiet x=$(touch /tmp/pwned) y=`id`'
    zerombr
    clearpart --all --initlabel --disklabel=gpt
    part /boot/efi --size=600 --fstype=efi
    part /boot --size=1024 --fsoptions="defaults 0 0"
    part / --size=8000 --grow --fsoptions="noatime,x-a=b	c"
    %post --log=/../../x
    true
    %end
    """)


def hostile_errors(tmp_path):
    ks = tmp_path / "hostile.ks"
    ks.write_text(HOSTILE)
    result = load_kickstart(ks)
    assert [str(d) for d in result.diagnostics if d.is_error] == []
    machine = Machine.load(PROFILES / "nvme-uefi.json")
    return str(ks), [str(d) for d in validate(result.plan, machine) if d.is_error]


def test_every_injection_is_refused_in_one_pass_at_its_line(tmp_path):
    ks, errors = hostile_errors(tmp_path)
    expected = {
        3: "keyboard 'us;touch /tmp/pwned'",
        6: "user alice: --homedir=/ ",
        7: "user bob: --homedir=/home/../etc ",
        10: "bootloader --append: kernel argument 'x=$(touch'",
        14: "part /boot: --fsoptions='defaults 0 0'",
        15: "part /: --fsoptions=",
        16: "%post --log=/../../x ",
    }
    for line, start in expected.items():
        assert any(e.startswith(f"{ks}:{line}: {start}") for e in errors), (line, errors)
    carol = [e for e in errors if e.startswith(f"{ks}:8: user carol")]
    assert any("--shell=/bin/bash:0:0 contains ':'" in e for e in carol), errors
    assert any("--homedir=/home/carol:x contains ':'" in e for e in carol), errors
    assert any("'y=`id`'" in e and "'`'" in e for e in errors if e.startswith(f"{ks}:10:")), errors


def test_the_same_kickstart_without_the_hostile_values_is_valid(tmp_path):
    clean = (HOSTILE.replace("'us;touch /tmp/pwned'", "us")
             .replace("--homedir=/home/../etc", "--homedir=/srv/bob").replace("--homedir=/ ", "--homedir=/home/al ")
             .replace("--homedir=/\n", "--homedir=/home/al\n")
             .replace("/bin/bash:0:0", "/bin/bash").replace("/home/carol:x", "/home/carol")
             .replace("quiet x=$(touch /tmp/pwned) y=`id`", 'quiet acpi_osi="!Windows 2012" x=1')
             .replace('--fsoptions="defaults 0 0"', '--fsoptions="defaults"')
             .replace("noatime,x-a=b\tc", "noatime,x-a=b").replace("--log=/../../x", "--log=/root/post.log"))
    ks = tmp_path / "clean.ks"
    ks.write_text(clean)
    result = load_kickstart(ks)
    machine = Machine.load(PROFILES / "nvme-uefi.json")
    assert [str(d) for d in validate(result.plan, machine) if d.is_error] == []


def test_install_refuses_the_hostile_kickstart_before_anything_is_written(tmp_path, capsys):
    from installer.cli import main

    ks = tmp_path / "hostile.ks"
    ks.write_text(HOSTILE)
    target = tmp_path / "target"
    code = main(["install", "-k", str(ks), "--machine", str(PROFILES / "nvme-uefi.json"), "--dry-run",
                 "--target", str(target), "--log-dir", str(tmp_path / "log")])
    capsys.readouterr()
    text = (tmp_path / "log/dry-run.log").read_text()
    assert code != 0
    assert "nothing was changed" in text
    assert sorted({int(line.split(":")[1]) for line in text.splitlines() if line.startswith(f"{ks}:")}) == [
        3, 6, 7, 8, 10, 14, 15, 16]
    assert not target.exists() or not any(target.iterdir())
