import http.server
import os
import shutil
import subprocess
import threading

import pytest

from installer.live.ksfetch import KickstartFetchError, fetch_kickstart, split_hd

KS = "text\nrootpw --lock\n"


def test_split_hd_forms():
    assert split_hd("hd:LABEL=OEMDRV:/ks.cfg") == ("LABEL=OEMDRV", "/ks.cfg")
    assert split_hd("hd:sdb1:/dir/my.ks") == ("sdb1", "/dir/my.ks")
    with pytest.raises(KickstartFetchError, match="expected hd:DEVICE:/path"):
        split_hd("hd:sdb1")


def test_local_file_forms(tmp_path):
    ks = tmp_path / "a.ks"
    ks.write_text(KS)
    assert fetch_kickstart(str(ks), tmp_path / "out") == ks
    assert fetch_kickstart(f"file://{ks}", tmp_path / "out") == ks
    assert fetch_kickstart(f"file:{ks}", tmp_path / "out") == ks
    with pytest.raises(KickstartFetchError, match="no such file"):
        fetch_kickstart(f"file://{tmp_path}/missing.ks", tmp_path / "out")


def test_http_on_loopback(tmp_path):
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "ks.cfg").write_text(KS)
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path / "srv"), **k)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.RequestHandlerClass.log_message = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        got = fetch_kickstart(f"http://127.0.0.1:{port}/ks.cfg", tmp_path / "out")
        assert got.read_text() == KS
        with pytest.raises(KickstartFetchError, match="cannot download"):
            fetch_kickstart(f"http://127.0.0.1:{port}/missing.cfg", tmp_path / "out2")
    finally:
        server.shutdown()


@pytest.mark.root
def test_oemdrv_and_hd_label_on_a_real_block_device(tmp_path):
    """A labelled ext4 image on a loop device, found through udev's by-label links or blkid."""
    if not shutil.which("losetup") or not shutil.which("mkfs.ext4"):
        pytest.skip("losetup/mkfs.ext4 missing")
    content = tmp_path / "content"
    (content / "sub").mkdir(parents=True)
    (content / "ks.cfg").write_text(KS)
    (content / "sub" / "other.ks").write_text(KS + "# other\n")
    img = tmp_path / "oemdrv.img"
    with open(img, "wb") as fh:
        fh.truncate(8 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", "-L", "OEMDRV", "-d", str(content), str(img)], check=True)
    before = img.read_bytes()
    loop = subprocess.run(["losetup", "--find", "--show", "--read-only", str(img)],
                          capture_output=True, text=True, check=True).stdout.strip()
    try:
        subprocess.run(["udevadm", "settle", "--timeout=10"], check=False)
        got = fetch_kickstart("", tmp_path / "out")
        assert got == tmp_path / "out" / "ks.cfg" and got.read_text() == KS
        got = fetch_kickstart("hd:LABEL=OEMDRV:/sub/other.ks", tmp_path / "out2")
        assert got.read_text().endswith("# other\n")
        with pytest.raises(KickstartFetchError, match="has no file /nope.ks"):
            fetch_kickstart(f"hd:{os.path.basename(loop)}:/nope.ks", tmp_path / "out3")
    finally:
        subprocess.run(["losetup", "-d", loop], check=False)
    assert img.read_bytes() == before, "the kickstart medium must not be written"
