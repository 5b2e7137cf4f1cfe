"""%pre before the kickstart is read in full: the classic `%include /tmp/part-include` written by %pre.

Anaconda runs %pre, then reads the kickstart again with the files %pre wrote. `install` does the
same when the first reading deferred an %include (installer.kickstart.source): it runs the %pre
scripts here, in the live environment, and reads the kickstart again with missing files as errors.
The engine then runs no %pre a second time.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from typing import TextIO

OUTPUT_TAIL = 15


def read_after_pre(kickstart: str, result, product, target: str, err: TextIO):
    """The KickstartResult of reading `kickstart` again after its %pre scripts ran; None when one failed."""
    from installer.kickstart.files import load_kickstart

    scripts = [s for s in result.plan.scripts if s.kind == "pre"]
    print(f"azl-install install: running {len(scripts)} %pre script(s) first: the kickstart includes "
          f"{', '.join(result.deferred_includes)}, which %pre writes", file=err)
    with tempfile.TemporaryDirectory(prefix="azl-pre-") as workdir:
        for number, script in enumerate(scripts, start=1):
            if not _run(script, number, workdir, target, err):
                return None
    again = load_kickstart(kickstart, product=product, pre_ran=True)
    if again.plan is not None:
        again.plan.scripts = [s for s in again.plan.scripts if s.kind != "pre"]  # they ran above
    return again


def _run(script, number: int, workdir: str, target: str, err: TextIO) -> bool:
    label = f"%pre script {number} ({script.origin})"
    path = os.path.join(workdir, f"ks-script-pre-{number}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    with os.fdopen(fd, "w") as fh:
        fh.write(script.body if script.body.endswith("\n") else script.body + "\n")
    env = dict(os.environ, ANA_INSTALL_PATH=target, AZL_TARGET=target)
    print(f"azl-install install: running {label}", file=err)
    try:
        proc = subprocess.run([*shlex.split(script.interpreter), path], capture_output=True, text=True,
                              env=env, check=False, stdin=subprocess.DEVNULL)
    except OSError as exc:
        print(f"azl-install install: {label} cannot run: {exc}; nothing was changed", file=err)
        return False
    output = (proc.stdout or "") + (proc.stderr or "")
    if script.log:
        with open(script.log, "a", encoding="utf-8") as fh:
            fh.write(output)
    if proc.returncode == 0:
        return True
    tail = "\n".join(output.strip().splitlines()[-OUTPUT_TAIL:]) or "(no output)"
    if script.erroronfail:
        print(f"azl-install install: {label} failed with exit status {proc.returncode} and the kickstart says "
              f"--erroronfail; nothing was changed. Its output ended with:\n{tail}", file=err)
        return False
    print(f"azl-install install: warning: {label} exited with status {proc.returncode} "
          "(ignored: no --erroronfail)", file=err)
    return True
