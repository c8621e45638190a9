"""A time-stamping authority on 127.0.0.1 for tests: a CA and a TSA certificate made per
run with the openssl binary, and an HTTP server that answers each RFC 3161 request with
`openssl ts -reply`. Set `down` to make it refuse (HTTP 503), as a TSA that is away."""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def openssl(*args: str, cwd: Path) -> bytes:
    return subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True).stdout


def make_authority(folder: Path) -> None:
    """ca.pem, tsa.pem (EKU critical timeStamping), tsa.key and ts.cnf in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes")
    openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3",
            "-subj", "/CN=civicarchive test TSA CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    openssl("req", *ec, "-keyout", "tsa.key", "-out", "tsa.csr",
            "-subj", "/CN=civicarchive test TSA", cwd=folder)
    (folder / "tsa.ext").write_text("basicConstraints=CA:FALSE\n"
                                    "keyUsage=critical,digitalSignature\n"
                                    "extendedKeyUsage=critical,timeStamping\n")
    openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-set_serial", "2", "-days", "3", "-extfile", "tsa.ext", "-out", "tsa.pem",
            cwd=folder)
    (folder / "serial").write_text("01\n")
    (folder / "ts.cnf").write_text(CONFIG.format(dir=folder))


class LocalTsa:
    """An RFC 3161 authority over HTTP on 127.0.0.1, answering with `openssl ts -reply`."""

    def __init__(self, folder: Path) -> None:
        make_authority(folder)
        self.folder = folder
        self.ca_file = folder / "ca.pem"
        self.down = False
        self.requests = 0
        self._lock = threading.Lock()
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server name
                query = self.rfile.read(int(self.headers["Content-Length"]))
                authority.requests += 1
                if authority.down:
                    self.send_error(503, "down for maintenance")
                    return
                reply = authority.reply(query)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def reply(self, query: bytes) -> bytes:
        with self._lock:  # one serial file
            (self.folder / "query.tsq").write_bytes(query)
            openssl("ts", "-reply", "-config", "ts.cnf", "-queryfile", "query.tsq",
                    "-out", "reply.tsr", cwd=self.folder)
            return (self.folder / "reply.tsr").read_bytes()

    def verify(self, token: bytes, data: bytes) -> subprocess.CompletedProcess:
        """`openssl ts -verify` of a stored token over the bytes it timestamps."""
        (self.folder / "check.tsr").write_bytes(token)
        (self.folder / "check.data").write_bytes(data)
        return subprocess.run(["openssl", "ts", "-verify", "-in", "check.tsr", "-data",
                               "check.data", "-CAfile", "ca.pem"], cwd=self.folder,
                              capture_output=True, text=True)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
