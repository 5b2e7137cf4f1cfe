"""Scenarios: a kickstart (or the reference script) plus expected facts.

A scenario file (tests/vm/scenarios/NAME.toml):

    firmware = "uefi"                    # uefi | bios: live boot and installed boot
    install = "installer"                # installer | reference
    kickstart = "NAME.ks"                # installer scenarios; {pubkey} is substituted
    ks_delivery = "oemdrv"               # oemdrv | hd | file
    broken = ""                          # reference only: "broken-root"
    unlock = ""                          # LUKS passphrase typed at the installed system's boot prompt
    [[disks]]                            # in QEMU order; the first selected disk boots
    name = "os"; size = "20G"; bus = "virtio"; selected = true
    [expected]                           # keys of checks.CHECKS
    hostname = "ref-uefi"

Reference scenarios that share a firmware share one live boot; each installer
scenario gets its own (its kickstart may claim every disk it sees).
"""
import shlex
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import verify
from .diskhash import hash_disks, hash_range
from .guest import run_guest
from .live import LiveEnv
from .paths import BUILD, SCENARIOS, SCRIPTS
from .payload import Payload
from .qemu import FATAL_PATTERNS, Disk, GuestError, Share, ext4_stick, sparse_disk
from .timings import Timer

# --no-power-action: the harness powers the guest off once every install of the boot is done.
# The install log goes to the shared job directory (out/NAME-log), kept for post-mortems.
INSTALL_CMD = ("python3 -m installer install --kickstart {ks} --yes --phase-marks --no-power-action "
               "--log-dir /run/azl/job/out/{name}-log")
KS_SPECS = {
    "oemdrv": "hd:LABEL=OEMDRV:/ks.cfg",
    "hd": "hd:LABEL=AZL-KS:/kickstarts/ks.cfg",
    "file": "/run/azl/job/{name}/ks.cfg",
}


@dataclass
class TargetDisk:
    name: str
    size: str = "20G"
    bus: str = "virtio"
    selected: bool = True
    serial: str = ""
    existing: str = ""     # selected disks: "1G" = an ext4 partition of that size at 1 MiB, kept by the plan


@dataclass
class Scenario:
    name: str
    firmware: str
    disks: list[TargetDisk]
    expected: dict
    install: str = "installer"
    kickstart: str = ""
    ks_delivery: str = "oemdrv"
    broken: str = ""
    append: str = ""
    unlock: str = ""
    timeout: int = 1200
    results: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "Scenario":
        path = Path(path)
        data = tomllib.loads(path.read_text())
        disks = [TargetDisk(**d) for d in data.pop("disks")]
        ks = data.pop("kickstart", "")
        if ks:
            ks = (path.parent / ks).read_text()
        return cls(name=data.pop("name", path.stem), disks=disks, kickstart=ks, **data)

    @property
    def workdir(self) -> Path:
        return BUILD / "scenarios" / self.name

    def disk_objects(self) -> list[Disk]:
        return [Disk(self.workdir / f"{d.name}.img", bus=d.bus,
                     serial=d.serial or f"{self.name[:12]}-{d.name}"[:20], selected=d.selected)
                for d in self.disks]


def load_all(names=None) -> list[Scenario]:
    paths = sorted(SCENARIOS.glob("*.toml"))
    found = [Scenario.load(p) for p in paths]
    return [s for s in found if names is None or s.name in names]


def _prepare_disks(sc: Scenario) -> list[Disk]:
    disks = sc.disk_objects()
    for d, spec in zip(disks, sc.disks):
        sparse_disk(d.path, spec.size)
        if not d.selected:
            _populate(d.path)
        elif spec.existing:
            _existing_partition(d.path, spec.existing)
    return disks


MiB = 1 << 20


def _existing_partition(path: Path, size: str) -> None:
    """A GPT with one ext4 partition holding data, as another OS would leave it."""
    sectors = _bytes(size) // 512
    subprocess.run(["sfdisk", "-q", str(path)], check=True, text=True,
                   input=f"label: gpt\nstart=2048, size={sectors}, type=L\n")
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "keepme", "-E", f"offset={MiB}", str(path),
                    str(sectors * 512 // 4096)], check=True, capture_output=True)
    with open(path, "r+b") as f:
        f.seek(MiB + sectors * 512 - 8 * MiB)
        f.write(b"azl-keep-me " * 4096)


def _bytes(size: str) -> int:
    units = {"M": 1 << 20, "G": 1 << 30}
    return int(size[:-1]) * units[size[-1]]


def _kept_partitions(sc: Scenario) -> dict[str, str]:
    """sha256 of every existing partition the scenario's plan must keep, by disk name."""
    out = {}
    for d, spec in zip(sc.results["disks"], sc.disks):
        if spec.existing:
            out[spec.name] = hash_range(d.path, MiB, _bytes(spec.existing))
    return out


def _populate(path: Path) -> None:
    """Give a disk the install must not touch a partition table and some data."""
    subprocess.run(["sfdisk", "-q", "--label", "gpt", str(path)], input="size=64MiB, type=L\n",
                   text=True, check=True)
    with open(path, "r+b") as f:
        f.seek(1 << 20)
        f.write(b"azl-keep-me " * 4096)


def _oemdrv_image(sc: Scenario, label: str, relpath: str, ks: str) -> Path:
    return ext4_stick(sc.workdir / f"{label.lower()}.img", label, {relpath: ks})


def _reference_cmd(sc: Scenario, disk: Disk, payload_tar: str) -> str:
    script = "/run/azl/job/reference-install.sh"
    return shlex.join(["sh", script, disk.serial, sc.firmware, sc.expected.get("hostname", sc.name),
                       "/run/azl/job/harness.pub", payload_tar] + ([sc.broken] if sc.broken else []))


def _install_step(sc: Scenario, disks: list[Disk], pubkey: str, files: dict,
                  extra_disks: list[Disk]) -> tuple[str, str]:
    """(shell command, kernel-command-line fragment) installing one scenario."""
    if sc.install == "reference":
        target = next(d for d in disks if d.selected)
        return _reference_cmd(sc, target, "/run/azl/payload/testos.tar.zst"), ""
    ks = sc.kickstart.replace("{pubkey}", pubkey.strip())
    spec = KS_SPECS[sc.ks_delivery].format(name=sc.name)
    if sc.ks_delivery == "oemdrv":
        extra_disks.append(Disk(_oemdrv_image(sc, "OEMDRV", "ks.cfg", ks), bus="virtio",
                                serial="azl-oemdrv", selected=False))
    elif sc.ks_delivery == "hd":
        extra_disks.append(Disk(_oemdrv_image(sc, "AZL-KS", "kickstarts/ks.cfg", ks), bus="usb",
                                serial="azl-ks", selected=False))
    else:
        files[f"{sc.name}/ks.cfg"] = ks
    return INSTALL_CMD.format(ks=shlex.quote(spec), name=sc.name), f"inst.ks={spec}"


def install(live: LiveEnv, payload: Payload, scenarios: list[Scenario], pubkey: str,
            timer: Timer, boot_name: str, live_firmware: str | None = None,
            shares: list[Share] = ()) -> None:
    """Boot the live env once with every scenario's disks and install each in turn.
    Fills sc.results with rc, output, phase timings and the hashes of unselected disks.

    Installer scenarios sharing a boot must share a firmware (the installer installs
    for the firmware it booted under); reference installs name their firmware
    explicitly, so live_firmware may boot them all under one."""
    firmware = {sc.firmware for sc in scenarios}
    if live_firmware is None:
        assert len(firmware) == 1, "scenarios sharing a boot share a firmware"
        live_firmware = firmware.pop()
    elif any(sc.install != "reference" and sc.firmware != live_firmware for sc in scenarios):
        raise ValueError(f"installer scenarios must boot under their own firmware, not {live_firmware}")
    all_disks: list[Disk] = []
    files: dict = {"reference-install.sh": (SCRIPTS / "reference-install.sh").read_text(),
                   "harness.pub": pubkey}
    lines = ["#!/bin/sh", "cd /run/azl/job"]
    appends = []
    for sc in scenarios:
        sc.workdir.mkdir(parents=True, exist_ok=True)
        disks = _prepare_disks(sc)
        extra: list[Disk] = []
        cmd, append = _install_step(sc, disks, pubkey, files, extra)
        appends += [append, sc.append]
        sc.results["disks"] = disks
        sc.results["before"] = hash_disks([d for d in disks if not d.selected])
        sc.results["kept_before"] = _kept_partitions(sc)
        all_disks += disks + extra
        lines += [f"echo 'azl-scenario: {sc.name} start'",
                  f"{cmd} > out/{sc.name}.log 2>&1; echo $? > out/{sc.name}.rc"]
    script = "\n".join(lines) + "\nsync\n"
    timeout = sum(sc.timeout for sc in scenarios)
    res = run_guest(live, script, all_disks, name=boot_name, firmware=live_firmware,
                    timeout=timeout, files=files,
                    payload=payload.dir, append=" ".join(a for a in appends if a), shares=list(shares))
    for sc in scenarios:
        timer.add("boot", sc.name, (res.boot_seconds or 0) / len(scenarios))
        out = res.job_dir / "out"
        rcf = out / f"{sc.name}.rc"
        sc.results["rc"] = int(rcf.read_text()) if rcf.exists() else None
        sc.results["output"] = (out / f"{sc.name}.log").read_text(errors="replace") \
            if (out / f"{sc.name}.log").exists() else ""
        sc.results["serial_tail"] = res.tail
        sc.results["serial_log"] = res.serial_log
        _record_phases(sc, timer)
        sc.results["after"] = hash_disks([d for d in sc.results["disks"] if not d.selected])
        sc.results["kept_after"] = _kept_partitions(sc)


def _record_phases(sc: Scenario, timer: Timer) -> None:
    marks = []
    for line in sc.results["output"].splitlines():
        if line.startswith("azl-phase: "):
            _, name, at = line.split()
            marks.append((name, float(at)))
    for (name, at), (_, nxt) in zip(marks, marks[1:]):
        timer.add("bootloader" if name == "unmount" else name, sc.name, nxt - at)


def verify_install(sc: Scenario, key: Path, timer: Timer) -> dict:
    """Raise AssertionError unless the install succeeded, left unselected disks
    alone, and the installed system boots and passes the expected checks."""
    r = sc.results
    if r.get("rc") != 0:
        raise AssertionError(f"{sc.name}: install exited with {r.get('rc')}\n--- install output "
                             "(tail) ---\n" + "\n".join(r.get("output", "").splitlines()[-40:])
                             + f"\n--- serial log {r.get('serial_log')} (tail) ---\n"
                             + r.get("serial_tail", ""))
    changed = [p for p, h in r["before"].items() if r["after"].get(p) != h]
    if changed:
        raise AssertionError(f"{sc.name}: disks not selected were modified: {changed}")
    if r["kept_before"] != r["kept_after"]:
        raise AssertionError(f"{sc.name}: an existing partition the plan keeps was modified: "
                             f"{r['kept_before']} -> {r['kept_after']}")
    boot = [d for d in r["disks"] if d.selected]
    return verify.boot_and_check(f"{sc.name}-installed", sc.workdir / "boot", boot, sc.firmware,
                                 sc.expected, key, timer=timer, scenario=sc.name, unlock=sc.unlock)


SUCCESS_LINE = "Installation finished in "
# the end of systemd's status line for the medium's installer unit on the serial console
# ("[  OK  ] Started azl-install@ttyS0.… - Azure Linux installer on ttyS0."; the unit name is cut)
INSTALLER_STARTED = "Azure Linux installer on ttyS0"


def install_from_iso(build, sc: Scenario, pubkey: str, timer: Timer, boot_name: str,
                     entry: str = "unattended", extra: tuple[str, ...] = (),
                     ks_disk: str = "oemdrv", keep_disks: bool = False) -> None:
    """Boot the installation medium (build: iso.IsoBuild) as a CD-ROM with the scenario's disks
    and its kickstart on a disk labelled OEMDRV (ks_disk "oemdrv") or on a USB stick labelled
    AZL-KS (ks_disk "hd": the caller's `extra` names it with inst.ks=hd:...), choose `entry` in
    GRUB and let the installer run as it does for users (azl-install@ttyS0.service, `azl-install
    start`). The kickstart's poweroff ends the run. Fills sc.results like install(): rc (0 when
    the console shows the success line and the guest powered off), output (the serial log),
    the hashes of every disk the install must not change (the kickstart's disk included).
    keep_disks: boot with the scenario's disk images as they are (a reinstall over an earlier
    install); ks_disk "none": no kickstart disk (the boot options in `extra` say what to do)."""
    from . import isoboot

    sc.workdir.mkdir(parents=True, exist_ok=True)
    disks = sc.disk_objects() if keep_disks else _prepare_disks(sc)
    ks = sc.kickstart.replace("{pubkey}", pubkey.strip())
    if ks_disk == "none":
        ks_dev = None
    elif ks_disk == "oemdrv":
        ks_dev = Disk(_oemdrv_image(sc, "OEMDRV", "ks.cfg", ks), bus="virtio", serial="azl-oemdrv",
                      selected=False)
    else:
        ks_dev = Disk(_oemdrv_image(sc, "AZL-KS", "kickstarts/ks.cfg", ks), bus="usb", serial="azl-ks",
                      selected=False)
    untouched = [d for d in disks if not d.selected] + ([ks_dev] if ks_dev is not None else [])
    sc.results["disks"] = disks
    sc.results.update(before=hash_disks(untouched), kept_before=_kept_partitions(sc))
    extra_disks = [ks_dev] if ks_dev is not None else []
    vm = isoboot.iso_vm(build, boot_name, [*disks, *extra_disks], sc.firmware,
                        fatal_patterns=isoboot.INSTALL_FAILED + FATAL_PATTERNS)
    rc = None
    with vm:
        try:
            sc.results["menu_seconds"] = isoboot.choose_entry(vm, entry, (*isoboot.TEST_ARGS, *extra))
            vm.wait_for(INSTALLER_STARTED, 600)
            started = vm.elapsed()
            timer.add("boot", sc.name, started)
            vm.wait_exit(sc.timeout)
            timer.add("install", sc.name, vm.elapsed() - started)
            rc = 0 if any(SUCCESS_LINE in line for line in vm.lines) else 1
        except GuestError as exc:
            sc.results["error"] = str(exc)
            rc = 1
    sc.results.update(rc=rc, output=vm.serial_log.read_text(errors="replace"), serial_tail=vm.tail(60),
                      serial_log=vm.serial_log, raw=bytes(vm.raw))
    sc.results["after"] = hash_disks(untouched)
    sc.results["kept_after"] = _kept_partitions(sc)

