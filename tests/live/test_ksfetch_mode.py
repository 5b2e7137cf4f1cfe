"""A fetched kickstart (/run/install/ks.cfg) may hold plaintext passwords: it is written 0600 (issue 12 item 11)."""

from __future__ import annotations

import http.server
import os
import threading

from installer.live.ksfetch import fetch_kickstart


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"rootpw --plaintext Fetched5ecret\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_http_kickstart_is_written_0600_whatever_the_umask(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    old = os.umask(0o022)
    try:
        stale = tmp_path / "out" / "ks.cfg"
        stale.parent.mkdir()
        stale.write_text("old\n")
        os.chmod(stale, 0o644)  # a file left from an earlier boot keeps its mode through open("wb")
        path = fetch_kickstart(f"http://127.0.0.1:{server.server_port}/ks.cfg", tmp_path / "out")
    finally:
        os.umask(old)
        server.shutdown()
        server.server_close()
    assert path.read_text() == "rootpw --plaintext Fetched5ecret\n"
    assert os.stat(path).st_mode & 0o777 == 0o600
