"""liveimg on the host: every compression and squashfs, from file:// and http://, with
owners, modes, hardlinks, sparse files, ACLs, xattrs and SELinux labels compared."""

from __future__ import annotations

import functools
import hashlib
import http.server
import logging
import os
import shutil
import threading
from pathlib import Path

import pytest

from installer.model.events import Progress
from installer.model.plan import LiveImage
from installer.steps import payload as step
from tests.host import liveimages
from tests.host.fakectx import Ctx

pytestmark = pytest.mark.host

KINDS = ["tar", "tar.gz", "tar.xz", "tar.zst", "tar.bz2", "squashfs"]


@pytest.fixture(scope="session")
def images(tmp_path_factory):
    for tool in ("tar", "gzip", "xz", "zstd", "bzip2", "mksquashfs", "unsquashfs", "setfacl"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} is not installed (tools/setup.sh installs it)")
    base = tmp_path_factory.mktemp("liveimg")
    tree = base / "tree"
    features = liveimages.make_tree(tree)
    imgs = liveimages.make_images(tree, base / "images")
    big = base / "big"
    (big / "data").mkdir(parents=True)
    (big / "data/blob").write_bytes(os.urandom(3 << 20))
    big_images = liveimages.make_images(big, base / "big-images")
    imgs["big"], imgs["big-squashfs"] = big_images["tar.zst"], big_images["squashfs"]
    return tree, imgs, features


@pytest.fixture(scope="session")
def image_server(images):
    _, imgs, _ = images
    handler = functools.partial(_Quiet, directory=str(imgs["tar"].parent.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def product(make_product):
    return make_product(Path("/nonexistent/repo"), [])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def run_liveimg(product, target: Path, image: LiveImage) -> Ctx:
    from installer.model.defaults import new_plan

    plan = new_plan(product)
    plan.payload.liveimg = image
    ctx = Ctx(plan, product, target, log=logging.getLogger("test.liveimg"))
    step.apply(ctx)
    return ctx


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", KINDS)
def test_extraction_keeps_everything(images, product, tmp_path, kind):
    tree, imgs, features = images
    ctx = run_liveimg(product, tmp_path, LiveImage(url=f"file://{imgs[kind]}", checksum=sha256(imgs[kind])))
    # squashfs has no POSIX ACLs (it stores only user., trusted. and security. xattrs)
    acls = kind != "squashfs"
    assert liveimages.snapshot(tmp_path, acls=acls) == liveimages.snapshot(tree, acls=acls)
    assert os.stat(tmp_path / "usr/bin/one").st_ino == os.stat(tmp_path / "usr/bin/two").st_ino
    assert os.getxattr(tmp_path / "usr/bin/one", "user.azl") == b"xattr value"
    if features["selinux"]:
        assert os.getxattr(tmp_path / "etc/os-release", "security.selinux").rstrip(b"\0") == \
            liveimages.SELINUX_LABEL
    sparse = os.stat(tmp_path / "usr/sparse.img")
    assert sparse.st_size == 64 << 20 and sparse.st_blocks * 512 < 1 << 20
    prog = [e for e in ctx.events_seen if isinstance(e, Progress)]
    size = imgs[kind].stat().st_size
    assert prog and prog[-1].bytes_done == prog[-1].bytes_total == size and prog[-1].unit == "bytes"


@pytest.mark.parametrize("kind", ["tar.xz", "squashfs"])
def test_http_source_with_checksum(images, image_server, product, tmp_path, kind):
    tree, imgs, _ = images
    url = f"{image_server}/images/{imgs[kind].name}"
    run_liveimg(product, tmp_path, LiveImage(url=url, checksum=f"sha256:{sha256(imgs[kind])}"))
    assert liveimages.snapshot(tmp_path, acls=kind != "squashfs") == \
        liveimages.snapshot(tree, acls=kind != "squashfs")


def test_http_stream_without_checksum(images, image_server, product, tmp_path):
    tree, imgs, _ = images
    ctx = run_liveimg(product, tmp_path, LiveImage(url=f"{image_server}/images/root.tar.zst"))
    assert liveimages.snapshot(tmp_path) == liveimages.snapshot(tree)
    assert any("checksum" in w for w in ctx.warned())


@pytest.mark.parametrize("where", ["file", "http"])
def test_checksum_mismatch_refused_before_writing(images, image_server, product, tmp_path, where):
    _, imgs, _ = images
    url = f"file://{imgs['tar.gz']}" if where == "file" else f"{image_server}/images/root.tar.gz"
    with pytest.raises(step.PayloadError) as exc:
        run_liveimg(product, tmp_path, LiveImage(url=url, checksum="0" * 64))
    message = str(exc.value)
    assert "does not match its checksum" in message and "0" * 64 in message and sha256(imgs["tar.gz"]) in message
    assert os.listdir(tmp_path) == []


def test_unreachable_image(product, tmp_path):
    with pytest.raises(step.PayloadError) as exc:
        run_liveimg(product, tmp_path, LiveImage(url="http://127.0.0.1:9/root.tar"))
    assert "http://127.0.0.1:9/root.tar" in str(exc.value) and "cannot" in str(exc.value)
    assert os.listdir(tmp_path) == []


def test_not_an_image(product, tmp_path):
    junk = tmp_path / "junk.img"
    junk.write_bytes(b"just some text\n" * 100)
    target = tmp_path / "t"
    target.mkdir()
    with pytest.raises(step.PayloadError) as exc:
        run_liveimg(product, target, LiveImage(url=f"file://{junk}"))
    assert "neither a tar archive" in str(exc.value)
    assert os.listdir(target) == []


@pytest.mark.parametrize("kind", ["big", "big-squashfs"])
def test_disk_full(images, product, small_target, kind):
    _, imgs, _ = images
    with pytest.raises(step.PayloadError) as exc:
        run_liveimg(product, small_target, LiveImage(url=f"file://{imgs[kind]}"))
    assert "ran out of space" in str(exc.value)


@pytest.fixture(scope="module")
def https_server(images, tmp_path_factory):
    import ssl
    import subprocess

    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed")
    _, imgs, _ = images
    d = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
                    "-days", "1", "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")],
                   check=True, capture_output=True)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    handler = functools.partial(_Quiet, directory=str(imgs["tar"].parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_https_certificate_checked_unless_noverifyssl(images, https_server, product, tmp_path):
    tree, imgs, _ = images
    url = f"{https_server}/root.tar.gz"
    with pytest.raises(step.PayloadError) as exc:
        run_liveimg(product, tmp_path / "a", LiveImage(url=url))
    assert url in str(exc.value) and "CERTIFICATE_VERIFY_FAILED" in str(exc.value)
    (tmp_path / "b").mkdir()
    ctx = run_liveimg(product, tmp_path / "b", LiveImage(url=url, noverifyssl=True))
    assert liveimages.snapshot(tmp_path / "b") == liveimages.snapshot(tree)
    assert any("noverifyssl" in w for w in ctx.warned())
