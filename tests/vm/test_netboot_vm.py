"""Network install proof: QEMU's iPXE boots the tree tools/netboot.py writes (kernel, initramfs and live
root over HTTP from a server on the host's loopback, reached as 10.0.2.2), the installer fetches a
kickstart chosen by MAC from a server that is slow and fails twice first (inst.ks.sendmac), and reports
every engine event to an endpoint that answers 500 for a while (inst.report): the endpoint ends with
every event exactly once, in order, and no secret. The install is a dry run (inst.dryrun) on a blank
virtio disk: the network path is what this proves; the installs themselves are proven by the other
VM tests. Run it under the VM lock:  flock /tmp/azl-vm.lock pytest -m vm tests/vm/test_netboot_vm.py

The live root brings its network up itself (NetworkManager, DHCP on the wired interface), as the
ISO's does: the initramfs has no network of its own.
"""

import http.server
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.vm

VM = Path(__file__).resolve().parent
ROOT = VM.parent.parent
MAC = "52:54:00:12:34:56"
SECRET = "NetbootSecret42"
BOOT_TIMEOUT = 900

KS = f"""cmdline
lang en_US.UTF-8
keyboard --vckeymap=us
timezone UTC --utc
network --device=link --bootproto=dhcp --activate
rootpw --plaintext {SECRET}
selinux --enforcing
bootloader --location=mbr --timeout=1
ignoredisk --only-use=vda
zerombr
clearpart --all --initlabel --drives=vda --disklabel=gpt
reqpart
part / --fstype=xfs --size=4096 --grow --ondisk=vda
url --url=BASE/
poweroff
%packages
@^minimal
%end
"""


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tree: Path):
        super().__init__(("127.0.0.1", 0), Handler)
        self.tree = tree
        self.lock = threading.Lock()
        self.gets: list[str] = []
        self.ks_requests: list[dict] = []
        self.report_requests = 0
        self.events: list[tuple[str, int, bytes]] = []  # first copy per Idempotency-Key
        self.resent = 0
        self.done = threading.Event()


class Handler(http.server.SimpleHTTPRequestHandler):
    server: Server

    def __init__(self, *a, **kw):
        super().__init__(*a, directory=str(a[2].tree), **kw)

    def log_message(self, *args):
        return None

    def do_GET(self):
        with self.server.lock:
            self.server.gets.append(self.path)
        if self.path == "/ks.cfg":
            return self._kickstart()
        return super().do_GET()

    def _reply(self, code: int, body: bytes = b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _kickstart(self):
        with self.server.lock:
            self.server.ks_requests.append(dict(self.headers.items()))
            n = len(self.server.ks_requests)
        time.sleep(2)  # a slow server
        if n <= 2:
            return self._reply(503, b"not ready\n")
        macs = [v for k, v in self.headers.items() if k.lower().startswith("x-rhn-provisioning-mac-")]
        if not any(v.split()[-1].lower() == MAC for v in macs):
            return self._reply(404, b"no kickstart for this machine\n")
        base = f"http://10.0.2.2:{self.server.server_address[1]}"
        self._reply(200, KS.replace("BASE", base).encode())

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.report_requests += 1
            n = self.server.report_requests
        if self.path != "/report":
            return self._reply(404)
        if n <= 5:
            return self._reply(500, b"collector busy\n")
        key = self.headers.get("Idempotency-Key", "")
        with self.server.lock:
            if any(k == key for k, _, _ in self.server.events):
                self.server.resent += 1
            else:
                self.server.events.append((key, int(self.headers.get("X-Azl-Event-Seq", "0")), body))
        if json.loads(body).get("kind") in ("finished", "failed"):
            self.server.done.set()
        self._reply(204)


@pytest.fixture(scope="module")
def live_root(install_medium):
    """The ISO's live root (and, from the same build, the medium's package repository tree)."""
    if not Path("/usr/lib/ipxe/qemu/efi-virtio.rom").exists():
        pytest.fail("ipxe-qemu is missing (tools/setup.sh installs it)")
    from harness.iso import build_live_root

    return build_live_root()


def test_pxe_boot_kickstart_by_mac_and_report_every_event(tmp_path, live_root, install_medium):
    tree = tmp_path / "tree"
    server = Server(tree)
    port = server.server_address[1]
    base = f"http://10.0.2.2:{port}"
    subprocess.run([sys.executable, str(ROOT / "tools/netboot.py"), str(tree), "--from", str(live_root.dir),
                    "--base-url", base, "--repo", str(install_medium.dir / "tree"),
                    "--arg", f"inst.ks={base}/ks.cfg", "--arg", "inst.ks.sendmac", "--arg", "inst.cmdline",
                    "--arg", f"inst.report={base}/report", "--arg", "inst.dryrun"], check=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    disk = tmp_path / "vda.raw"
    with open(disk, "wb") as fh:
        fh.truncate(8 << 30)
    log = tmp_path / "serial.log"
    with open(log, "wb") as out:
        qemu = subprocess.Popen(
            ["qemu-system-x86_64", "-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "2", "-m", "3072",
             "-machine", "q35", "-nographic", "-no-reboot",
             "-netdev", f"user,id=n0,bootfile={base}/boot.ipxe",
             "-device", f"virtio-net-pci,netdev=n0,mac={MAC}",
             "-drive", f"file={disk},if=virtio,format=raw", "-boot", "n"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            finished = server.done.wait(BOOT_TIMEOUT)
            time.sleep(3)  # anything still in flight
        finally:
            qemu.terminate()
            try:
                qemu.wait(30)
            except subprocess.TimeoutExpired:
                qemu.kill()
            server.shutdown()
    tail = log.read_bytes()[-4000:].decode(errors="replace")
    assert finished, f"no finish/failure event within {BOOT_TIMEOUT} s; serial tail:\n{tail}"
    # Boot files came from the server, in the netboot layout.
    for path in ("/boot.ipxe", "/images/pxeboot/vmlinuz", "/images/pxeboot/initrd.img", "/LiveOS/squashfs.img"):
        assert path in server.gets, (path, server.gets)
    # The kickstart: retried through two slow 503s, chosen by the MAC header.
    assert len(server.ks_requests) == 3, server.ks_requests
    assert all(any(k.lower().startswith("x-rhn-provisioning-mac-") and v.lower().endswith(MAC)
                   for k, v in h.items()) for h in server.ks_requests)
    # The report: exactly once, in order, start to finish, no secret.
    seqs = [seq for _, seq, _ in server.events]
    assert seqs == list(range(1, len(seqs) + 1)), seqs
    events = [json.loads(body) for _, _, body in server.events]
    kinds = [e["kind"] for e in events]
    assert kinds[0] == "step-started" and kinds[-1] == "finished", (kinds, tail)
    assert events[-1]["dry_run"] is True
    started = [e["step"] for e in events if e["kind"] == "step-started"]
    ended = [e["step"] for e in events if e["kind"] == "step-finished"]
    assert started == ended and len(started) == events[0]["total"]
    assert server.report_requests > len(events)  # the 500s were retried
    assert not any(SECRET.encode() in body for _, _, body in server.events)
    print(f"netboot VM: {len(events)} events, {server.resent} resent, kickstart after "
          f"{len(server.ks_requests)} requests", file=sys.stderr)
    os.sync()
