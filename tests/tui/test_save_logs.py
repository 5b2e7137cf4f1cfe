"""The error screen's "Save logs" (F2): every file 0600, plan.json and the logs without secrets (issue 12 item 11)."""

from __future__ import annotations

import os

from installer.kickstart.files import parse_kickstart
from screens.error import save_logs

KS = ("rootpw --plaintext Sav3dLogSecret\n"
      "url --url=http://mirror:Mirr0rSecret@mirror.example/os\n"
      "%pre\necho Sav3dLogSecret\n%end\n")


def test_save_logs_writes_private_redacted_files(tmp_path):
    plan = parse_kickstart(KS).plan
    log_dir = tmp_path / "live"
    log_dir.mkdir()
    (log_dir / "install.log").write_text("fetching http://mirror:Mirr0rSecret@mirror.example/os\n")
    (log_dir / "ks-script-pre-1").write_text("echo Sav3dLogSecret\n")
    dest = tmp_path / "usb" / "logs"
    old = os.umask(0o022)
    try:
        written = save_logs(str(dest), log_dir=str(log_dir), plan=plan, lines=["screen says Sav3dLogSecret"])
    finally:
        os.umask(old)
    assert set(written) == {"install.log", "ks-script-pre-1", "screen.log", "plan.json"}
    assert os.stat(dest).st_mode & 0o777 == 0o700
    for name in written:
        path = dest / name
        assert os.stat(path).st_mode & 0o777 == 0o600, name
        text = path.read_text()
        assert "Sav3dLogSecret" not in text and "Mirr0rSecret" not in text, name
    assert "http://mirror:***@mirror.example/os" in (dest / "plan.json").read_text()


def test_the_summary_shows_an_image_url_without_its_password():
    from screens.summary import configured_lines

    plan = parse_kickstart("liveimg --url=https://img:Imag3Secret@images.example/azl.tar\n").plan
    text = "\n".join(configured_lines(plan))
    assert "Imag3Secret" not in text and "https://img:***@images.example/azl.tar" in text
