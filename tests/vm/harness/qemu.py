"""The QEMU runner: disks on any bus, UEFI/BIOS/direct boot, timestamped
serial log, hard time limits, 127.0.0.1-only port forwards."""
import collections
import ctypes
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
BUSES = ("virtio", "nvme", "sata", "usb", "scsi")
FIRMWARES = ("uefi", "bios", "direct")

# Serial-console lines after which a boot cannot succeed; the runner stops there.
FATAL_PATTERNS = (
    "Kernel panic - not syncing",
    "Dropping to a shell",
    "Gave up waiting for root",
    "You are in emergency mode",
    "No bootable device",
    "grub rescue>",
)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bM")


class GuestError(Exception):
    """A guest failed; the message carries the tail of its serial log."""


class GuestTimeout(GuestError):
    pass


NIC_SLOT = "0x10"


@dataclass
class Disk:
    path: Path
    bus: str = "virtio"
    serial: str | None = None
    snapshot: bool = False      # writes go to a throwaway overlay
    readonly: bool = False
    bootindex: int | None = None
    selected: bool = True       # False: the install must leave it byte-identical

    def __post_init__(self):
        self.path = Path(self.path)
        if self.bus not in BUSES:
            raise ValueError(f"bus {self.bus!r} not in {BUSES}")


@dataclass
class Share:
    tag: str
    path: Path
    readonly: bool = True


def sparse_disk(path: Path, size: int | str) -> Path:
    """A blank sparse raw disk (size in bytes or like '20G')."""
    if isinstance(size, str):
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
        size = int(float(size[:-1]) * units[size[-1].upper()]) if size[-1].upper() in units else int(size)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def partitioned_disk(path: Path, size: str, bus: str, serial: str) -> "Disk":
    """A disk the install must leave alone: GPT with one 64 MiB Linux partition (not selected)."""
    img = sparse_disk(path, size)
    subprocess.run(["sfdisk", "-q", "--label", "gpt", str(img)], input="size=64MiB, type=L\n", text=True,
                   check=True)
    return Disk(img, bus=bus, serial=serial, selected=False)


def ext4_stick(path: Path, label: str, files: dict[str, str], size: str = "16M") -> Path:
    """A small ext4 image labelled `label` holding `files` (relative path -> text): a kickstart or
    key on a stick, found by the guest as hd:LABEL=<label>:/path."""
    path = Path(path)
    tree = path.with_name(path.stem + "-tree")
    shutil.rmtree(tree, ignore_errors=True)
    for rel, text in files.items():
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    img = sparse_disk(path, size)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", label, "-d", str(tree), str(img)], check=True)
    return img


def _die_with_parent():
    """In the child: get SIGKILL when the harness process dies (no orphaned QEMU)."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _disk_args(disks: list[Disk]) -> list[str]:
    args: list[str] = []
    buses = {d.bus for d in disks}
    if "sata" in buses:
        args += ["-device", "ahci,id=sata0"]
    if "usb" in buses:
        args += ["-device", "qemu-xhci,id=xhci0"]
    if "scsi" in buses:
        args += ["-device", "virtio-scsi-pci,id=scsi0"]
    sata_port = 0
    for i, d in enumerate(disks):
        drive = f"file={d.path},if=none,id=disk{i},format=raw,cache=unsafe,discard=unmap"
        if d.snapshot:
            drive += ",snapshot=on"
        if d.readonly:
            drive += ",readonly=on"
        serial = d.serial or f"azl{d.bus}{i}"
        extra = f",bootindex={d.bootindex}" if d.bootindex is not None else ""
        dev = {
            "virtio": f"virtio-blk-pci,drive=disk{i},serial={serial}",
            "nvme": f"nvme,drive=disk{i},serial={serial}",
            "sata": f"ide-hd,drive=disk{i},bus=sata0.{sata_port},serial={serial}",
            "usb": f"usb-storage,bus=xhci0.0,drive=disk{i},serial={serial},removable=on",
            "scsi": f"scsi-hd,drive=disk{i},bus=scsi0.0,serial={serial}",
        }[d.bus]
        if d.bus == "sata":
            sata_port += 1
        args += ["-drive", drive, "-device", dev + extra]
    return args


def _cdrom_args(iso: Path, bus: str, boot: bool = True) -> list[str]:
    drive = ["-drive", f"file={iso},if=none,id=cdrom0,media=cdrom,readonly=on,format=raw"]
    index = ",bootindex=0" if boot else ""    # -kernel takes boot index 0 itself
    if bus == "sata":   # q35's built-in ICH9 AHCI controller ("ide"), port 2
        return drive + ["-device", f"ide-cd,drive=cdrom0,bus=ide.2{index}"]
    if bus == "scsi":
        return drive + ["-device", "virtio-scsi-pci,id=scsicd", "-device",
                        f"scsi-cd,drive=cdrom0,bus=scsicd.0{index}"]
    raise ValueError(f"CD-ROM bus {bus!r}: sata or scsi")


# qemu has exited: the console reader ends at the pipe's end of file. An outer bound only (a busy
# machine may take seconds to schedule it); the serial log and tail are whole once it returns.
READER_DRAIN = 120


@dataclass
class VM:
    """One running QEMU process with its serial console captured to a file."""
    name: str
    workdir: Path
    disks: list[Disk]
    firmware: str = "direct"
    kernel: Path | None = None
    initrd: Path | None = None
    append: str = ""
    shares: list[Share] = field(default_factory=list)
    memory: int = 2048
    smp: int = 2
    forwards: dict[int, int] = field(default_factory=dict)   # guest port -> host port
    fatal_patterns: tuple = FATAL_PATTERNS
    interactive: bool = False   # the serial console's input is a pipe the harness types into
    answers: dict[str, str] = field(default_factory=dict)   # console prompt -> line typed once
    cdrom: Path | None = None   # an ISO in a CD-ROM drive (the firmware boots it first)
    cdrom_bus: str = "sata"     # sata: the q35 board's AHCI; scsi: virtio-scsi

    def __post_init__(self):
        if self.firmware not in FIRMWARES:
            raise ValueError(f"firmware {self.firmware!r} not in {FIRMWARES}")
        self.workdir = Path(self.workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.serial_log = self.workdir / "serial.log"
        self.lines: collections.deque[str] = collections.deque(maxlen=400)
        self.fatal: str | None = None
        self.proc: subprocess.Popen | None = None
        self._seen = threading.Condition()
        self.started = 0.0
        self.raw = bytearray()      # the console's last bytes as sent (screens drawn without newlines)
        self.raw_total = 0          # bytes received in all

    def command(self, serial="stdio") -> list[str]:
        cmd = ["qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max",
               "-smp", str(self.smp), "-m", str(self.memory), "-nodefaults", "-display", "none",
               "-no-reboot", "-name", self.name]
        cmd += ["-serial", serial]
        if self.firmware == "uefi":
            vars_copy = self.workdir / "OVMF_VARS.fd"
            if self.proc is None:
                shutil.copy(OVMF_VARS, vars_copy)
            cmd += ["-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={OVMF_CODE}",
                    "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}"]
        if self.kernel:
            cmd += ["-kernel", str(self.kernel), "-append", self.append]
            if self.initrd:
                cmd += ["-initrd", str(self.initrd)]
        cmd += _disk_args(self.disks)
        if self.cdrom:
            cmd += _cdrom_args(Path(self.cdrom), self.cdrom_bus, boot=self.kernel is None)
        for s in self.shares:
            cmd += ["-virtfs", f"local,path={s.path},mount_tag={s.tag},security_model=none"
                    + (",readonly=on" if s.readonly else "")]
        fwd = "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for g, h in self.forwards.items())
        # A fixed slot: the NIC keeps its predictable name (enp0s16) whatever disks a VM has, as a
        # real machine's does between the install and the installed system's boots.
        cmd += ["-netdev", f"user,id=net0,restrict=on{fwd}", "-device", f"virtio-net-pci,netdev=net0,addr={NIC_SLOT}"]
        return cmd

    def start(self) -> "VM":
        cmd = self.command()
        (self.workdir / "qemu.cmd").write_text(shlex.join(cmd) + "\n")
        self.started = time.monotonic()
        typed = self.interactive or bool(self.answers)
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if typed else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     preexec_fn=_die_with_parent)
        self._reader = threading.Thread(target=self._read_serial, daemon=True)
        self._reader.start()
        return self

    def send(self, data: str | bytes) -> None:
        """Type into the serial console (interactive VMs only)."""
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def _answer(self, chunk: bytes, pending: dict[str, str], seen: bytearray) -> None:
        seen += chunk
        for prompt in [p for p in pending if p.encode() in seen]:
            self.send(pending.pop(prompt) + "\n")
        del seen[:-256]

    def _read_serial(self):
        # Raw reads rather than readline: a prompt waiting for an answer ends without a newline.
        pending, seen, buf = dict(self.answers), bytearray(), b""
        fd = self.proc.stdout.fileno()
        with open(self.serial_log, "w", buffering=1) as log:
            while True:
                chunk = os.read(fd, 4096)
                if pending and chunk:
                    self._answer(chunk, pending, seen)
                with self._seen:
                    self.raw += chunk
                    self.raw_total += len(chunk)
                    del self.raw[:-(1 << 20)]
                    self._seen.notify_all()
                buf += chunk
                *complete, buf = buf.split(b"\n")
                if not chunk:
                    complete, buf = complete + ([buf] if buf else []), b""
                for raw in complete:
                    self._log_line(log, raw)
                if not chunk:
                    return

    def _log_line(self, log, raw: bytes) -> None:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        line = "".join(c for c in ANSI.sub("", line) if c.isprintable() or c == "\t")
        stamp = f"[{time.monotonic() - self.started:8.3f}] "
        log.write(stamp + line + "\n")
        with self._seen:
            self.lines.append(stamp + line)
            if self.fatal is None and any(p in line for p in self.fatal_patterns):
                self.fatal = line
            self._seen.notify_all()

    def tail(self, n=30) -> str:
        return "\n".join(list(self.lines)[-n:])

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def wait_for(self, text: str, timeout: float) -> float:
        """Wait until a serial line contains text; return seconds since start."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                if any(text in l for l in self.lines):
                    return self.elapsed()
                self._check_alive(f"waiting for {text!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self.timeout_error(f"{text!r} not seen on the serial console")
                self._seen.wait(min(left, 1.0))

    def wait_raw(self, text: str | bytes, timeout: float, after: int = 0) -> int:
        """Wait until the raw console output (escape sequences and all) past byte `after` holds
        text; return the byte count received so far (an `after` for the next wait)."""
        want = text.encode() if isinstance(text, str) else text
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                start = max(0, len(self.raw) - (self.raw_total - after))
                if want in self.raw[start:]:
                    return self.raw_total
                self._check_alive(f"waiting for {text!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self.timeout_error(f"{text!r} not seen on the serial console")
                self._seen.wait(min(left, 1.0))

    def _check_alive(self, what: str):
        if self.fatal:
            self.kill()
            raise GuestError(f"{self.name}: boot failed ({what}): {self.fatal!r}\n"
                             f"--- serial log {self.serial_log} (tail) ---\n{self.tail()}")
        if self.proc.poll() is not None:
            raise GuestError(f"{self.name}: qemu exited with {self.proc.returncode} ({what})\n"
                             f"--- serial log {self.serial_log} (tail) ---\n{self.tail()}")

    def timeout_error(self, what: str) -> GuestTimeout:
        self.kill()
        return GuestTimeout(f"{self.name}: timed out after {self.elapsed():.0f} s: {what}; "
                            f"the boot stopped here:\n--- serial log {self.serial_log} (tail) ---\n"
                            f"{self.tail()}")

    def wait_exit(self, timeout: float) -> int:
        """Wait for qemu to exit (the guest powered off); stop early on a fatal console line."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                rc = self.proc.wait(1.0)
                self._reader.join(READER_DRAIN)
                return rc
            except subprocess.TimeoutExpired:
                pass
            if self.fatal:
                self._check_alive("waiting for power-off")
            if time.monotonic() > deadline:
                raise self.timeout_error("guest did not power off")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self._reader.join(READER_DRAIN)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.kill()
