"""Parse + validate a realistic 1,000-line kickstart. Target: <= 0.1 s. Prints figures; never fails.

    .venv/bin/python bench/validate_1000_lines.py [--profile]

A lab kickstart grows long through %packages, users with keys, repositories, network
devices and %post scripts; the generated file has that shape. Imports are paid once
(the CLI pays them too) and reported apart; the figure is the median of warm runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_S = 0.1
HASH = "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl admin@example"


def generate(lines: int = 1000) -> str:
    out = [
        "# generated lab kickstart", "cmdline", "zerombr", "clearpart --all --initlabel --drives=sda,sdb",
        "ignoredisk --only-use=sda,sdb", "part /boot/efi --fstype=efi --size=600 --ondisk=sda",
        "part /boot --fstype=xfs --size=1024 --ondisk=sda", "part pv.01 --size=20000 --grow --ondisk=sda",
        "part pv.02 --size=20000 --grow --ondisk=sdb", "volgroup azl pv.01 pv.02",
        "logvol / --vgname=azl --name=root --size=15360 --fstype=xfs",
        "logvol /var --vgname=azl --name=var --size=10240 --fstype=xfs",
        "logvol /home --vgname=azl --name=home --size=4096 --fstype=xfs",
        "logvol swap --vgname=azl --name=swap --size=4096",
        f"rootpw --iscrypted {HASH}", "timezone Europe/Amsterdam --utc", "lang en_US.UTF-8", "keyboard us",
        "selinux --enforcing", "firewall --enabled --service=ssh --port=8443:tcp --port=9100:tcp",
        "services --enabled=sshd,chronyd", "bootloader --timeout=3 --append=\"console=ttyS0,115200\"", "reboot",
    ]
    for i in range(8):
        out.append(f"network --bootproto=static --device=ens{i}f0np0 --ip=10.{i}.0.20 --netmask=255.255.255.0 "
                   f"--gateway=10.{i}.0.1 --nameserver=10.{i}.0.53 --mtu=9000 --onboot=yes")
    for i in range(10):
        out.append(f"repo --name=lab{i} --baseurl=https://repo{i}.lab.example.com/azl/4.0/$basearch/ --cost={i}")
    for i in range(60):
        out.append(f"user --name=user{i:03d} --groups=wheel,adm --iscrypted --password={HASH} --uid={2000 + i}")
        out.append(f'sshkey --username=user{i:03d} "{KEY}"')
    out += ["%packages", "@^server"]
    post_lines = 200
    n_packages = lines - len(out) - 1 - post_lines - 3
    out += [f"lab-tool-{i:04d}" for i in range(n_packages)]
    out.append("%end")
    out.append("%post --log=/root/ks-post.log")
    out += [f"echo 'configuring item {i}' >> /var/log/lab-setup.log" for i in range(post_lines - 2)]
    out.append("%end")
    while len(out) < lines:
        out.append("# padding")
    return "\n".join(out[:lines]) + "\n"


def machine():
    from installer.model.machine import Disk, Machine, Nic

    gib = 1024**3
    return Machine(firmware="uefi", memory=64 * gib,
                   disks=[Disk(name=n, path=f"/dev/{n}", size=960 * gib, transport="sata") for n in ("sda", "sdb")],
                   nics=[Nic(name=f"ens{i}f0np0", mac=f"52:54:00:00:00:{i:02x}") for i in range(8)])


def main() -> int:
    text = generate()
    assert text.count("\n") == 1000
    t0 = time.perf_counter()
    from installer.kickstart.files import parse_kickstart
    from installer.validate.validator import validate
    import pykickstart.version  # noqa: F401  (imported lazily by parse_kickstart)

    t_import = time.perf_counter() - t0
    m = machine()
    first_parse = first_validate = None
    parse_times, validate_times = [], []
    for i in range(7):
        t = time.perf_counter()
        result = parse_kickstart(text, "lab-1000.ks")
        t1 = time.perf_counter()
        diags = validate(result.plan, m)
        t2 = time.perf_counter()
        if i == 0:
            first_parse, first_validate = t1 - t, t2 - t1
            errors = [str(d) for d in result.diagnostics + diags if d.is_error]
            if errors:
                print("the generated kickstart is not valid:", *errors[:5], sep="\n  ")
        else:
            parse_times.append(t1 - t)
            validate_times.append(t2 - t1)
    parse_s = statistics.median(parse_times)
    validate_s = statistics.median(validate_times)
    total = parse_s + validate_s
    print("validate a 1,000-line kickstart (parse + validate, warm, median of 6)")
    print(f"  imports (once per process)  {t_import:8.3f} s")
    print(f"  first run                   {first_parse + first_validate:8.3f} s "
          f"(parse {first_parse:.3f}, validate {first_validate:.3f})")
    print(f"  parse (pykickstart + plan)  {parse_s:8.4f} s")
    print(f"  validate                    {validate_s:8.4f} s")
    print(f"  total                       {total:8.4f} s   target {TARGET_S} s   ratio {total / TARGET_S:.2f}"
          f"   {'OK' if total <= TARGET_S else 'OVER TARGET'}")
    if "--profile" in sys.argv:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        validate(parse_kickstart(text, "lab-1000.ks").plan, m)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
