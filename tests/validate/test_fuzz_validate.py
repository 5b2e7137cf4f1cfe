"""Mutated kickstarts never crash parse + validate or the CLI, and every message names its place."""

import contextlib
import io
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from installer.cli import main
from installer.kickstart.files import parse_kickstart
from installer.model.machine import Machine
from installer.validate.validator import validate

ROOT = Path(__file__).resolve().parents[2]
HASH = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example"
BUILTIN_SAMPLES = [
    f"""cmdline
zerombr
clearpart --all --initlabel --drives=vda
ignoredisk --only-use=vda
autopart --type=lvm --encrypted --passphrase=correct-horse-battery
rootpw --iscrypted {HASH}
user --name=admin --groups=wheel --iscrypted --password={HASH}
sshkey --username=admin "{KEY}"
timezone Europe/Paris --utc --ntpservers=ntp.example.com
network --bootproto=static --device=enp1s0 --ip=10.0.0.5 --netmask=255.255.255.0 --gateway=10.0.0.1 --nameserver=10.0.0.1 --hostname=web01.example.com
firewall --enabled --service=ssh --port=8443:tcp
services --enabled=sshd,chronyd
selinux --enforcing
bootloader --timeout=3 --append="console=ttyS0,115200"
reboot
%packages
@^server
tmux
-nano
%end
%post --log=/root/post.log
echo hi
%end
""",
    f"""text
zerombr
clearpart --all --initlabel
part /boot/efi --fstype=efi --size=600
part /boot --fstype=xfs --size=1024
part pv.01 --size=4000 --grow
part raid.01 --size=1000 --ondisk=vda
part raid.02 --size=1000 --ondisk=vda
volgroup azl --pesize=4096 pv.01
logvol / --vgname=azl --name=root --size=3000 --fstype=xfs
logvol swap --vgname=azl --name=swap --recommended
raid /srv --level=1 --device=md0 --fstype=ext4 raid.01 raid.02
rootpw --lock
sshkey --username=root "{KEY}"
lang de_DE.UTF-8
keyboard de-latin1
network --bootproto=dhcp --device=link --ipv6=auto --mtu=9000
liveimg --url=https://images.example.com/azl.tar.gz --checksum={"a" * 64}
poweroff
""",
]
MACHINE = Machine.load(ROOT / "tests" / "profiles" / "vm-virtio-usb-live.json") \
    if (ROOT / "tests" / "profiles" / "vm-virtio-usb-live.json").exists() else None


def samples() -> list[str]:
    found = [p.read_text() for p in sorted((ROOT / "kickstarts").glob("*.ks"))]
    return BUILTIN_SAMPLES + found


OPTIONS = ["--size=", "--grow", "--ondisk=", "--fstype=", "--name=", "--device=", "--ip=", "--netmask=",
           "--gateway=", "--level=", "--vgname=", "--passphrase=", "--encrypted", "--drives=", "--url=",
           "--checksum=", "--username=", "--iscrypted", "--password=", "--hostname=", "--mtu=", "--only-use=",
           "--interpreter=", "--port=", "--all", "--type=", "--percent=", "--maxsize="]
VALUES = ["", "0", "-1", "99999999999", "abc", "/", "//", "..", "vda", "sdb", "sdz", "pv.01", "raid.09",
          "xfz", "swap", "efi", "256.1.1.1", "10.0.0.1", "::1", "fe80::1/64", "Europe/Nowhere", "é", "\"",
          "'", "\\", "%end", "%packages", "$6$x", "ssh-rsa AAAA", "http://", "nfs:", "1e3", "  ", "\t", "#"]
LINES = ["%end", "%packages", "%post", "%pre", "%include /nonexistent", "autopart", "part /", "logvol /",
         "volgroup", "raid", "btrfs /", "reqpart", "network", "user", "sshkey", "rootpw", "timezone", "firewall",
         "bootloader", "url", "repo", "liveimg", "clearpart", "ignoredisk", "services", "lang", "keyboard", "@^",
         "-", "text", "cmdline", "graphical", "%ksappend x"]


@st.composite
def mutated(draw) -> str:
    lines = draw(st.sampled_from(samples())).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "option", "value", "line", "bytes", "truncate"]))
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "option":
            lines[i] += " " + draw(st.sampled_from(OPTIONS)) + draw(st.sampled_from(VALUES))
        elif op == "value":
            words = lines[i].split(" ")
            k = draw(st.integers(0, len(words) - 1))
            head = words[k].split("=", 1)[0] + "=" if "=" in words[k] else ""
            words[k] = head + draw(st.sampled_from(VALUES) | st.text(max_size=12))
            lines[i] = " ".join(words)
        elif op == "line":
            lines.insert(i, draw(st.sampled_from(LINES)) + " " + draw(st.sampled_from(VALUES)))
        elif op == "bytes":
            pos = draw(st.integers(0, len(lines[i])))
            junk = draw(st.binary(max_size=8)).decode("latin-1")
            lines[i] = lines[i][:pos] + junk + lines[i][pos:]
        elif op == "truncate":
            text = "\n".join(lines)
            cut = draw(st.integers(0, len(text)))
            lines = text[:cut].split("\n")
    return "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))


def _check_places(diags, filename):
    for d in diags:
        assert "internal error" not in d.message, str(d)
        assert d.origin is not None, f"no origin: {d}"
        assert d.origin.file, f"no file: {d}"
        assert d.origin.line is not None, f"no line: {d}"


FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_mutations_start_from_valid_samples():
    for text in BUILTIN_SAMPLES:
        result = parse_kickstart(text, "sample.ks")
        assert result.ok, [str(d) for d in result.diagnostics]
        assert [str(d) for d in validate(result.plan, MACHINE) if d.is_error] == []


@FUZZ
@given(mutated())
def test_parse_and_validate_never_crash(text):
    result = parse_kickstart(text, "fuzz.ks")
    _check_places(result.diagnostics, "fuzz.ks")
    if result.plan is not None:
        diags = validate(result.plan, MACHINE)
        _check_places(diags, "fuzz.ks")
        for d in diags:
            assert d.severity in ("error", "warning")
            assert str(d).startswith(f"{d.origin.file}:{d.origin.line}: ")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=mutated())
def test_cli_exit_code_is_0_or_1(tmp_path, text):
    path = tmp_path / "fuzz.ks"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        argv = ["validate", str(path)]
        if MACHINE is not None:
            argv += ["--machine", str(ROOT / "tests" / "profiles" / "vm-virtio-usb-live.json")]
        rc = main(argv)
    assert rc in (0, 1), err.getvalue()
    assert "internal error" not in out.getvalue() + err.getvalue()
    for line in out.getvalue().splitlines():
        assert line.startswith(f"{path}:"), line
