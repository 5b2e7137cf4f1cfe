"""tools/netboot.py: the network-boot tree (pxeboot layout, iPXE script, GRUB config) points at files that
exist under one base URL; a loopback HTTP server serving the tree answers every URL the boot scripts name."""

import importlib.util
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("netboot", ROOT / "tools" / "netboot.py")
netboot = importlib.util.module_from_spec(spec)
spec.loader.exec_module(netboot)

from tests.live.httpstub import Stub


@pytest.fixture
def live(tmp_path):
    src = tmp_path / "iso-root"
    src.mkdir()
    (src / "vmlinuz").write_bytes(b"K" * 1000)
    (src / "initrd.img").write_bytes(b"I" * 2000)
    (src / "squashfs.img").write_bytes(b"S" * 3000)
    repo = tmp_path / "tree"
    (repo / "repodata").mkdir(parents=True)
    (repo / "repodata" / "repomd.xml").write_text("<repomd/>")
    (repo / "pkg-1.0-1.noarch.rpm").write_bytes(b"rpm")
    (repo / "LiveOS").mkdir()
    (repo / "LiveOS" / "squashfs.img").write_bytes(b"not this one")
    return src, repo


def serve_dir(directory):
    def handler(h, seen):
        path = (directory / seen.path.lstrip("/")).resolve()
        if directory.resolve() in path.parents and path.is_file():
            h.reply(200, path.read_bytes())
        else:
            h.reply(404)
    return handler


def test_the_cli_writes_the_layout_with_hard_links(tmp_path, live):
    src, repo = live
    out = tmp_path / "netboot"
    proc = subprocess.run([sys.executable, str(ROOT / "tools/netboot.py"), str(out), "--from", str(src),
                           "--base-url", "http://10.0.2.2:8080/azl/", "--repo", str(repo),
                           "--ks", "http://10.0.2.2:8080/ks/${net0/mac:hexhyp}.ks"],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "6000 bytes to boot" in proc.stdout
    assert not (out / "grub.cfg").exists() and "cannot expand iPXE variables" in proc.stderr
    assert "inst.ks=http://10.0.2.2:8080/ks/${net0/mac:hexhyp}.ks" in (out / "boot.ipxe").read_text()
    for rel, name in (("images/pxeboot/vmlinuz", "vmlinuz"), ("images/pxeboot/initrd.img", "initrd.img"),
                      ("LiveOS/squashfs.img", "squashfs.img")):
        assert (out / rel).samefile(src / name)
    assert (out / "pkg-1.0-1.noarch.rpm").read_bytes() == b"rpm"
    assert (out / "LiveOS/squashfs.img").read_bytes() == b"S" * 3000  # the repository's LiveOS is not taken
    manifest = json.loads((out / "netboot.json").read_text())
    assert manifest["base_url"] == "http://10.0.2.2:8080/azl"
    assert manifest["files"]["LiveOS/squashfs.img"]["bytes"] == 3000
    args = manifest["kernel_args"]
    assert args[0] == "root=live:/squashfs.img" and manifest["live_root"] == "initrd"
    assert "inst.repo=http://10.0.2.2:8080/azl" in args and "inst.cmdline" in args and "rd.neednet=1" not in args


def test_every_url_in_the_boot_scripts_is_served(tmp_path, live):
    src, repo = live
    out = tmp_path / "netboot"
    with Stub(default=serve_dir(out)) as srv:
        base = srv.url("/")
        netboot.write_tree(out, kernel=src / "vmlinuz", initrd=src / "initrd.img", squashfs=src / "squashfs.img",
                           base_url=base, repo=repo)
        ipxe = (out / "boot.ipxe").read_text()
        assert ipxe.startswith("#!ipxe\n")
        assert f"isset ${{base}} || set base {base.rstrip('/')}" in ipxe
        expanded = ipxe.replace("${base}", base.rstrip("/"))
        kernel = re.search(r"^kernel (\S+) (.*)$", expanded, re.MULTILINE)
        initrd = re.search(r"^initrd --name initrd.img (\S+)$", expanded, re.MULTILINE)
        assert "root=live:/squashfs.img" in kernel.group(2)
        root = re.search(r"^initrd (\S+) /squashfs.img$", expanded, re.MULTILINE).group(1)
        repo_url = re.search(r"inst\.repo=(\S+)", kernel.group(2)).group(1)
        fetched = {u: urllib.request.urlopen(u, timeout=10).read() for u in
                   (kernel.group(1), initrd.group(1), root, repo_url + "/repodata/repomd.xml")}
        assert fetched[kernel.group(1)] == b"K" * 1000 and fetched[initrd.group(1)] == b"I" * 2000
        assert fetched[root] == b"S" * 3000
        grub = (out / "grub.cfg").read_text()
        linux = re.search(r"^\s*linux \(http,127\.0\.0\.1,(\d+)\)(\S+) (.*)$", grub, re.MULTILINE)
        assert linux and int(linux.group(1)) == srv.port
        assert urllib.request.urlopen(f"http://127.0.0.1:{srv.port}{linux.group(2)}", timeout=10).read() == b"K" * 1000
        assert linux.group(3) == kernel.group(2).replace("initrd=initrd.img ", "")
        grub_initrd = re.search(r"^\s*initrd \(http,127\.0\.0\.1,\d+\)(\S+) newc:squashfs.img:"
                                r"\(http,127\.0\.0\.1,\d+\)(\S+)$", grub, re.MULTILINE)
        assert urllib.request.urlopen(f"http://127.0.0.1:{srv.port}{grub_initrd.group(1)}", timeout=10).read() == b"I" * 2000
        assert urllib.request.urlopen(f"http://127.0.0.1:{srv.port}{grub_initrd.group(2)}", timeout=10).read() == b"S" * 3000


def test_livenet_mode_lets_dracut_fetch_the_root(tmp_path, live):
    src, _ = live
    m = netboot.write_tree(tmp_path / "o", kernel=src / "vmlinuz", initrd=src / "initrd.img",
                           squashfs=src / "squashfs.img", base_url="http://h/azl", live_root="http")
    assert m["kernel_args"][0] == "root=live:http://h/azl/LiveOS/squashfs.img"
    assert "rd.neednet=1" in m["kernel_args"] and "ip=dhcp" in m["kernel_args"]
    ipxe = (tmp_path / "o/boot.ipxe").read_text()
    assert "root=live:${base}/LiveOS/squashfs.img" in ipxe and "/squashfs.img\n" not in ipxe
    assert "newc:" not in (tmp_path / "o/grub.cfg").read_text()


def test_port_80_and_https_bases(tmp_path, live):
    src, _ = live
    kw = {"kernel": src / "vmlinuz", "initrd": src / "initrd.img", "squashfs": src / "squashfs.img"}
    netboot.write_tree(tmp_path / "a", base_url="http://boot.example.com/azl", **kw)
    assert "linux (http,boot.example.com)/azl/images/pxeboot/vmlinuz " in (tmp_path / "a/grub.cfg").read_text()
    m = netboot.write_tree(tmp_path / "b", base_url="https://boot.example.com/azl", **kw)
    assert m["grub"] is False and not (tmp_path / "b/grub.cfg").exists()
    assert "set base https://boot.example.com/azl" in (tmp_path / "b/boot.ipxe").read_text()


@pytest.mark.parametrize("bad", ["ftp://x/y", "http://x/a b", "http://x/a;reboot", "http://x/$(id)",
                                 "http://x/y?z=1", "http://x/'"])
def test_unsafe_base_urls_are_refused(tmp_path, live, bad):
    src, _ = live
    with pytest.raises(netboot.NetbootError):
        netboot.write_tree(tmp_path / "o", kernel=src / "vmlinuz", initrd=src / "initrd.img",
                           squashfs=src / "squashfs.img", base_url=bad)
    assert not (tmp_path / "o").exists()


def test_missing_inputs_name_make_iso(tmp_path):
    with pytest.raises(netboot.NetbootError, match="make iso"):
        netboot.write_tree(tmp_path / "o", kernel=tmp_path / "k", initrd=tmp_path / "i", squashfs=tmp_path / "s",
                           base_url="http://x/")
