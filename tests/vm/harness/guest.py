"""Run a script inside the live test environment and collect its result."""
import fcntl
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .live import LIVE_LABEL, LiveEnv
from .paths import BUILD, GUEST_SRC
from .qemu import VM, Disk, GuestError, Share

# norandmaps: under TCG, translated code is found again only at the same virtual address, so
# with address-space randomisation every new process translates its libraries afresh. Without
# it an exec costs a quarter as much, and mkinitramfs (thousands of execs) runs ~2.5x faster.
# The test kickstarts and the reference script put it on the installed systems' command line too.
BASE_APPEND = ("console=ttyS0,115200 root=LABEL=" + LIVE_LABEL + " rw panic=-1 loglevel=4 "
               "systemd.show_status=1 net.ifnames=0 norandmaps")


@dataclass
class GuestResult:
    name: str
    rc: int | None
    output: str
    serial_log: Path
    job_dir: Path
    seconds: float
    boot_seconds: float | None = None   # qemu start -> job start
    tail: str = ""

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def check(self) -> "GuestResult":
        if self.rc != 0:
            raise GuestError(f"{self.name}: job exited with {self.rc}\n--- job output (tail) ---\n"
                             + "\n".join(self.output.splitlines()[-40:])
                             + f"\n--- serial log {self.serial_log} (tail) ---\n{self.tail}")
        return self


_held_locks: dict[str, object] = {}


def run_dir(name: str) -> Path:
    """A fresh build/runs/NAME (NAME-PID when another process holds NAME)."""
    runs = BUILD / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for candidate in (name, f"{name}-{os.getpid()}"):
        lock = open(runs / f".{candidate}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            if candidate in _held_locks:   # this process reuses its own name
                break
            continue
        old = _held_locks.pop(candidate, None)
        if old:
            old.close()
        _held_locks[candidate] = lock
        break
    d = runs / candidate
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def snapshot_dir(src: Path, dst: Path) -> Path:
    """A hard-linked copy: the guest's view stays whole if a concurrent run rebuilds src."""
    if dst.exists():
        shutil.rmtree(dst)
    subprocess.run(["cp", "-al", str(src), str(dst)], check=True)
    return dst


def live_vm(live: LiveEnv, name: str, disks: list[Disk] = (), *, firmware="direct",
            live_bus="virtio", mode="job", append="", shares: list[Share] = (),
            payload: Path | None = None, workdir: Path | None = None, memory=2048) -> VM:
    """A VM booting the live environment (kernel + initrd given to QEMU, so
    firmware 'uefi' runs it under OVMF and 'bios'/'direct' under SeaBIOS)."""
    workdir = workdir or run_dir(name)
    root = Disk(live.root_image, bus=live_bus, serial="azl-live-root", snapshot=True,
                selected=False)
    all_shares = [Share("src", GUEST_SRC, readonly=True)]
    if payload is not None:
        all_shares.append(Share("payload", snapshot_dir(payload, workdir / "payload"), readonly=True))
    all_shares += list(shares)
    return VM(name=name, workdir=workdir, disks=[*disks, root], firmware=firmware,
              kernel=live.kernel, initrd=live.initrd, memory=memory,
              append=f"{BASE_APPEND} azl.harness={mode} {append}".strip(), shares=all_shares)


def run_guest(live: LiveEnv, script: str, disks: list[Disk] = (), *, name="guest",
              firmware="direct", timeout=600, files: dict[str, str | bytes] | None = None,
              **kw) -> GuestResult:
    """Boot the live env, run `script` (a shell script unless it has a #! line) from a
    systemd oneshot unit, wait for the power-off and return its exit status and output.

    `files` are put next to the script in /run/azl/job (the guest's working directory)."""
    workdir = run_dir(name)
    job = workdir / "job"
    (job / "out").mkdir(parents=True)
    if not script.startswith("#!"):
        script = "#!/bin/sh\nset -e\n" + script
    (job / "run").write_text(script)
    (job / "run").chmod(0o755)
    for rel, content in (files or {}).items():
        p = job / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content if isinstance(content, bytes) else content.encode())
    vm = live_vm(live, name, disks, firmware=firmware, workdir=workdir,
                 shares=[Share("job", job, readonly=False), *kw.pop("shares", [])], **kw)
    start = time.monotonic()
    with vm:
        vm.wait_exit(timeout)
    rcfile = job / "out" / "rc"
    out = job / "out" / "output.log"
    boot = None
    for line in vm.lines:
        if "azl-harness: job start" in line:
            boot = float(line[1:line.index("]")])
            break
    result = GuestResult(name=name, rc=int(rcfile.read_text()) if rcfile.exists() else None,
                         output=out.read_text(errors="replace") if out.exists() else "",
                         serial_log=vm.serial_log, job_dir=job, seconds=time.monotonic() - start,
                         boot_seconds=boot, tail=vm.tail())
    if result.rc is None:
        raise GuestError(f"{name}: guest powered off without finishing its job\n"
                         f"--- serial log {vm.serial_log} (tail) ---\n{vm.tail()}")
    return result
