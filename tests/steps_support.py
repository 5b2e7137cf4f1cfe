"""A temporary target root and a recording command runner for the install-step tests.

The target is a directory shaped like an installed system (os-release of the chosen
family, passwd/shadow/group/gshadow with root, unit files...). Tools the test wants
the target to "have" are empty executables; commands are recorded, not run.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from installer import installlog
from installer.context import InstallContext
from installer.model.defaults import new_plan
from installer.model.machine import Disk, Machine, Nic
from installer.model.plan import InstallPlan
from installer.model.product import load_product

OS_RELEASE = {
    "fedora": 'NAME="Azure Linux"\nID=azurelinux\nID_LIKE="fedora"\nVERSION_ID=4.0\n',
    "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
}
HASH = "$6$saltsalt$" + "h" * 86


@dataclass
class Recorder:
    """Stands in for subprocess: records (argv, input); answers from `responses` by command name."""

    responses: dict[str, Callable[[list[str]], str] | str] = field(default_factory=dict)
    fail: dict[str, int] = field(default_factory=dict)
    calls: list[tuple[list[str], str | None]] = field(default_factory=list)

    def __call__(self, argv, input, env):
        self.calls.append((list(argv), input))
        cmd = argv[2:] if argv[0] == "chroot" else argv
        name = os.path.basename(cmd[0])
        answer = self.responses.get(name, "")
        out = answer(cmd) if callable(answer) else answer
        return subprocess.CompletedProcess(argv, self.fail.get(name, 0), out, "")

    def commands(self, chroot: bool | None = None) -> list[list[str]]:
        out = []
        for argv, _ in self.calls:
            inside = argv[0] == "chroot"
            if chroot is None or chroot == inside:
                out.append(argv[2:] if inside else argv)
        return out

    def named(self, name: str) -> list[list[str]]:
        return [c for c in self.commands() if os.path.basename(c[0]) == name]


def make_target(root: Path, family: str = "fedora", tools: tuple[str, ...] = ()) -> Path:
    (root / "etc").mkdir(parents=True, exist_ok=True)
    (root / "usr/sbin").mkdir(parents=True, exist_ok=True)
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    for link, dest in (("sbin", "usr/sbin"), ("bin", "usr/bin")):
        if not (root / link).exists():
            os.symlink(dest, root / link)
    (root / "etc/os-release").write_text(OS_RELEASE[family])
    files = {
        "passwd": "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1:bin:/bin:/sbin/nologin\n",
        "shadow": "root:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\n",
        "group": "root:x:0:\nbin:x:1:\nwheel:x:10:\n",
        "gshadow": "root:::\nbin:::\nwheel:::\n",
    }
    for name, text in files.items():
        path = root / "etc" / name
        if not path.exists():
            path.write_text(text)
            os.chmod(path, 0o644 if name in ("passwd", "group") else 0)
    (root / "root").mkdir(mode=0o700, exist_ok=True)
    (root / "usr/bin/bash").write_text("")
    for tool in tools:
        add_tool(root, tool)
    return root


def add_tool(root: Path, tool: str, where: str = "usr/sbin") -> None:
    path = root / where / tool
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o755)


def add_unit(root: Path, name: str, body: str = "[Service]\nExecStart=/bin/true\n") -> None:
    path = root / "usr/lib/systemd/system" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(body)


def machine(firmware: str = "uefi") -> Machine:
    return Machine(
        firmware=firmware,
        disks=[Disk(name="vda", path="/dev/vda", size=20 * 1024**3, transport="virtio"),
               Disk(name="vdb", path="/dev/vdb", size=20 * 1024**3, transport="virtio")],
        nics=[Nic(name="eth0", mac="52:54:00:12:34:56", carrier=False),
              Nic(name="eth1", mac="52:54:00:ab:cd:ef", carrier=True)],
    )


@dataclass
class Env:
    ctx: InstallContext
    runner: Recorder
    events: list
    log: installlog.InstallLog

    @property
    def target(self) -> Path:
        return self.ctx.target

    def log_text(self) -> str:
        for h in self.log.logger.handlers:
            h.flush()
        return self.log.path.read_text()


def make_env(tmp_path: Path, *, plan: InstallPlan | None = None, family: str = "fedora",
             tools: tuple[str, ...] = (), firmware: str = "uefi", cmdline: str = "",
             runner: Recorder | None = None) -> Env:
    plan = plan or new_plan()
    target = make_target(tmp_path / "target", family, tools)
    log = installlog.setup(tmp_path / "log", plan)
    events: list = []
    runner = runner or Recorder()
    ctx = InstallContext(plan=plan, machine=machine(firmware), product=load_product(), target=target,
                         events=events.append, log=log.logger, log_dir=tmp_path / "log", runner=runner,
                         live_cmdline=cmdline)
    return Env(ctx, runner, events, log)


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o7777
