"""The SSRF guard: schemes, address ranges, the classic spellings of internal addresses,
redirects and DNS answers that lead to them, and connections pinned to the checked address.

Nothing here sends a packet anywhere but 127.0.0.1 or ::1: `loopback_only` makes any
other connection, and any name lookup, fail the test, and the guard is given a resolver
of the test's own.
"""

from __future__ import annotations

import contextlib
import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator

import httpx
import pytest

from civicarchive.capture.guard import FetchGuard, parse_numeric_host, refusal, shown
from civicarchive.errors import ArchiveError, FetchRefused

LOOPBACK = {"127.0.0.1", "::1"}


@contextlib.contextmanager
def traffic_watch() -> Iterator[list[str]]:
    """Fail the test if anything tries to reach an address other than loopback, or to
    look a name up (a DNS query is a packet too). Yields the attempts, for asserting."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_sendto = socket.socket.sendto
    real_getaddrinfo = socket.getaddrinfo

    def target(sock, address) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in LOOPBACK:
            attempts.append(str(address[0]))
            pytest.fail(f"a connection to {address[0]} was attempted")

    def connect(sock, address):
        target(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        target(sock, address)
        return real_connect_ex(sock, address)

    def sendto(sock, data, *args):
        target(sock, args[-1])
        return real_sendto(sock, data, *args)

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.split("%")[0])
        except ValueError:
            attempts.append(name)
            pytest.fail(f"a name lookup of {name!r} was attempted")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket.socket, "sendto", sendto)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield attempts
    assert attempts == [], f"traffic beyond loopback was attempted: {attempts}"


@pytest.fixture
def loopback_only():
    with traffic_watch() as attempts:
        yield attempts


class Answers:
    """A resolver of the test's own: a name -> its answers (a list, or a list per call)."""

    def __init__(self, names: dict[str, list]) -> None:
        self.names = names
        self.calls: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        answer = self.names[host]
        if answer and isinstance(answer[0], list):   # a different answer each time
            return answer[min(len(self.calls), len(answer)) - 1]
        return answer


class Recorder(http.server.BaseHTTPRequestHandler):
    """Serves `routes` (path -> (status, headers, body)) and remembers each request."""

    protocol_version = "HTTP/1.1"   # keeps connections alive, as servers do
    routes: dict = {}
    seen: list = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.seen.append((self.path, self.headers.get("Host")))
        status, headers, body = self.routes.get(self.path, (404, {}, b"not here"))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serving() -> Iterator[tuple[int, dict, list]]:
    """A loopback HTTP server: yields (port, routes, seen)."""
    handler = type("Handler", (Recorder,), {"routes": {}, "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], handler.routes, handler.seen
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def server():
    with serving() as served:
        yield served


BYPASSES = ["http://127.1/", "http://0x7f000001/", "http://2130706433/",
            "http://017700000001/", "http://0x7f.1/", "http://127.0.0.1./",
            "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::1]/",
            "http://0.0.0.0/", "http://[::]/"]
INTERNAL = ["http://169.254.169.254/latest/meta-data/", "http://[fd00:ec2::254]/",
            "http://10.0.0.1/", "http://100.64.0.1/", "http://192.168.1.1/",
            "http://172.16.0.1/", "http://[fe80::1]/", "http://224.0.0.1/",
            "http://240.0.0.1/", "http://[2002:a00:1::]/", "http://[64:ff9b::a00:1]/",
            "http://[fc00::1]/", "http://168.63.129.16/", "http://100.100.100.200/"]


@pytest.mark.parametrize("url", BYPASSES + INTERNAL)
def test_guard_refuses_internal_addresses_however_written(url, loopback_only):
    guard = FetchGuard(resolver=Answers({}))
    with guard.client() as client, pytest.raises(FetchRefused) as refused:
        client.get(url)
    assert refused.value.url == shown(url)
    assert isinstance(refused.value, ArchiveError)


@pytest.mark.parametrize("host, address", [
    ("127.1", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("2130706433", "127.0.0.1"),
    ("017700000001", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"), ("10.1", "10.0.0.1"),
    ("192.168.257", "192.168.1.1"), ("0300.0250.1.1", "192.168.1.1"), ("0x", "0.0.0.0"),
    ("93.184.216.34.", "93.184.216.34")])
def test_parse_numeric_host_reads_hosts_as_a_browser_does(host, address):
    assert str(parse_numeric_host(host)) == address


@pytest.mark.parametrize("host", ["1.2.3.256", "1.2.3.4.5", "256.1", "08.1.1.1", "a..1",
                                  "0xfg"])
def test_parse_numeric_host_refuses_numbers_that_are_no_address(host):
    if host == "0xfg":
        assert parse_numeric_host(host) is None   # not numeric at all: a name
        return
    with pytest.raises(ValueError):
        parse_numeric_host(host)


@pytest.mark.parametrize("url", ["http://1.2.65536/", "http://1.2.3.4.5/", "http://0x1g.1/"])
def test_guard_refuses_a_malformed_numeric_host(url, loopback_only):
    with FetchGuard(resolver=Answers({})).client() as client, \
            pytest.raises(FetchRefused, match="malformed"):
        client.get(url)


@pytest.mark.parametrize("address, why", [
    ("169.254.169.254", "cloud metadata"), ("10.0.0.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"), ("::ffff:10.0.0.1", "it carries 10.0.0.1"),
    ("224.0.0.1", "multicast"), ("::127.0.0.1", "reserved"), ("127.0.0.1", "loopback")])
def test_refusal_names_the_reason(address, why):
    assert why in refusal(ipaddress.ip_address(address))


def test_refusal_allows_public_addresses_and_loopback_only_when_asked():
    assert refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert refusal(ipaddress.ip_address("2606:2800:220:1::1")) is None
    assert refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("::ffff:127.0.0.1"), allow_loopback=True) is None
    assert refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True) is not None
    assert refusal(ipaddress.ip_address("169.254.169.254"), allow_loopback=True) is not None


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "gopher://x/",
                                 "javascript:alert(1)", "data:text/plain,hi"])
def test_guard_allows_only_http_and_https(url, loopback_only):
    with pytest.raises(FetchRefused, match="scheme is not allowed"):
        FetchGuard(resolver=Answers({})).check_url(url)


@pytest.mark.parametrize("answers", [["10.0.0.1"], ["169.254.169.254"], ["127.0.0.1"],
                                     ["93.184.216.34", "10.0.0.1"], ["::ffff:169.254.169.254"],
                                     []])
def test_guard_refuses_names_that_resolve_to_internal_addresses(answers, loopback_only):
    guard = FetchGuard(resolver=Answers({"evil.test": answers}))
    with guard.client() as client, pytest.raises(FetchRefused) as refused:
        client.get("http://evil.test/")
    assert refused.value.url == "http://evil.test/"
    assert "resolves to" in refused.value.reason


def test_guard_refuses_names_that_do_not_resolve(loopback_only):
    with FetchGuard(resolver=Answers({})).client() as client, \
            pytest.raises(FetchRefused, match="does not resolve"):
        client.get("http://nowhere.test/")


def test_guard_fetches_from_loopback_when_allowed(server, loopback_only):
    port, routes, seen = server
    routes["/page"] = (200, {"Content-Type": "text/plain"}, b"hello")
    with FetchGuard(allow_loopback=True, resolver=Answers({})).client() as client:
        assert client.get(f"http://127.0.0.1:{port}/page").text == "hello"
    with FetchGuard(resolver=Answers({})).client() as client, \
            pytest.raises(FetchRefused, match="loopback"):
        client.get(f"http://127.0.0.1:{port}/page")
    assert seen == [("/page", f"127.0.0.1:{port}")]


@pytest.mark.parametrize("location, refused_url", [
    ("http://169.254.169.254/latest/meta-data/", "http://169.254.169.254/latest/meta-data/"),
    ("http://0xa000001/secret", "http://0xa000001/secret"),
    ("http://2852039166/", "http://2852039166/"),
    ("http://[::ffff:10.0.0.1]/", "http://[::ffff:10.0.0.1]/"),
    ("http://evil.test/secret?token=x", "http://evil.test/secret?…"),
    ("file:///etc/passwd", None)])
def test_guard_checks_every_redirect_hop(location, refused_url, server, loopback_only):
    """The first hop is the loopback test server (allowed here); where it redirects is
    checked like any request, and nothing is fetched there."""
    port, routes, seen = server
    routes["/go"] = (302, {"Location": location}, b"")
    guard = FetchGuard(allow_loopback=True, resolver=Answers({"evil.test": ["10.0.0.2"]}))
    with guard.client() as client, pytest.raises(FetchRefused) as refused:
        client.get(f"http://127.0.0.1:{port}/go")
    if refused_url is None:
        assert "file scheme is not allowed" in refused.value.reason
    else:
        assert refused.value.url == refused_url
    assert seen == [("/go", f"127.0.0.1:{port}")]


def test_guard_follows_redirects_between_allowed_hosts(server, loopback_only):
    port, routes, seen = server
    routes["/go"] = (301, {"Location": f"http://named.test:{port}/there"}, b"")
    routes["/there"] = (200, {}, b"arrived")
    guard = FetchGuard(allow_loopback=True, resolver=Answers({"named.test": ["127.0.0.1"]}))
    with guard.client() as client:
        response = client.get(f"http://127.0.0.1:{port}/go")
    assert response.text == "arrived"
    assert seen == [("/go", f"127.0.0.1:{port}"), ("/there", f"named.test:{port}")]


def test_guard_pins_the_checked_address_against_rebinding(server, loopback_only):
    """The name answers loopback when checked and an internal address afterwards: the
    connection goes to the checked answer, and the name is resolved once."""
    port, routes, seen = server
    routes["/page"] = (200, {}, b"pinned")
    answers = Answers({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    with FetchGuard(allow_loopback=True, resolver=answers).client() as client:
        assert client.get(f"http://rebind.test:{port}/page").text == "pinned"
        assert client.get(f"http://rebind.test:{port}/page").text == "pinned"   # kept alive
    assert answers.calls == ["rebind.test"]
    assert seen[0] == ("/page", f"rebind.test:{port}")   # the Host header keeps the name


def test_guard_resolves_again_for_a_new_connection_and_refuses_the_new_answer(
        server, loopback_only):
    port, routes, seen = server
    routes["/page"] = (200, {"Connection": "close"}, b"first")
    answers = Answers({"rebind.test": [["127.0.0.1"], ["10.0.0.1"]]})
    with FetchGuard(allow_loopback=True, resolver=answers).client() as client:
        assert client.get(f"http://rebind.test:{port}/page").text == "first"
        with pytest.raises(FetchRefused, match="resolves to 10.0.0.1, a private address"):
            client.get(f"http://rebind.test:{port}/page")
    assert len(seen) == 1


def test_guard_ignores_proxies_from_the_environment(server, loopback_only, monkeypatch):
    port, routes, _ = server
    routes["/page"] = (200, {}, b"direct")
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.9:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.0.0.9:3128")
    with FetchGuard(allow_loopback=True, resolver=Answers({})).client() as client:
        assert client.get(f"http://127.0.0.1:{port}/page").text == "direct"


def test_fetch_refused_names_the_url_without_secrets(loopback_only):
    url = "http://user:hunter2@10.0.0.1/feed?access_token=s3cret#frag"
    with FetchGuard(resolver=Answers({})).client() as client, \
            pytest.raises(FetchRefused) as refused:
        client.get(url)
    message = str(refused.value)
    assert "10.0.0.1" in message and "private" in message
    for secret in ("hunter2", "s3cret", "user:", "frag"):
        assert secret not in message
    assert refused.value.url == "http://10.0.0.1/feed?…"


def _certificate(tmp_path, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_guard_keeps_the_host_name_for_tls(tmp_path, server, loopback_only):
    """Connected to the pinned address, TLS still sends the name (SNI) and checks the
    certificate against it."""
    _, routes, seen = server
    cert, key = _certificate(tmp_path, "pinned.test")
    handler = type("Handler", (Recorder,), {"routes": {"/": (200, {}, b"tls")}, "seen": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    names: list[str | None] = []
    server_context.sni_callback = lambda sock, name, context: names.append(name)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    port = httpd.server_address[1]
    trust = ssl.create_default_context(cafile=cert)
    try:
        answers = Answers({"pinned.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
        guard = FetchGuard(allow_loopback=True, resolver=answers)
        with guard.client(verify=trust) as client:
            assert client.get(f"https://pinned.test:{port}/").text == "tls"
            with pytest.raises(httpx.ConnectError, match="certificate|hostname"):
                client.get(f"https://other.test:{port}/")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert names[0] == "pinned.test"
    assert handler.seen == [("/", f"pinned.test:{port}")]


def test_loopback_only_stops_an_unguarded_client_before_any_packet(loopback_only):
    """The safety net itself: an ordinary client is stopped before it connects."""
    with httpx.Client(trust_env=False) as client:
        with pytest.raises(pytest.fail.Exception, match="10.0.0.1"):
            client.get("http://10.0.0.1/")
        with pytest.raises(pytest.fail.Exception, match="a name lookup"):
            client.get("http://example.invalid/")
    assert loopback_only == ["10.0.0.1", "example.invalid"]
    loopback_only.clear()
