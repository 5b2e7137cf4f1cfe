"""A script's --log file holds its output, which can echo a password: 0600 and filtered (issue 12 item 11)."""

from __future__ import annotations

import os

from steps_support import make_env, mode

from installer.kickstart.files import parse_kickstart
from installer.model.plan import Script
from installer.steps import post_scripts


def test_post_log_is_0600_and_has_no_secret_even_when_it_existed(tmp_path):
    log = tmp_path / "post.log"
    log.write_text("earlier line\n")
    os.chmod(log, 0o644)
    plan = parse_kickstart("rootpw --plaintext Po5tLogSecret\n").plan
    plan.scripts.append(Script(kind="post", chroot=False, body="echo the root password is Po5tLogSecret\n",
                               log=str(log)))
    env = make_env(tmp_path, plan=plan)
    env.ctx.redact = env.log.redactor.redact  # as the engine sets it
    env.ctx.runner = None
    old = os.umask(0o022)
    try:
        post_scripts.apply(env.ctx)
    finally:
        os.umask(old)
    assert mode(log) == 0o600
    assert log.read_text() == "earlier line\nthe root password is ***\n"
    kept = [p for p in (tmp_path / "log").iterdir() if p.name.startswith("ks-script")]
    assert kept and all("Po5tLogSecret" not in p.read_text() for p in kept)
