"""The SSRF guard: every fetch a user can steer (pages, media, feeds, the browser's own
requests) goes only to public http(s) addresses.

A URL passes when its scheme is http or https and every address its host resolves to is
public: not private, loopback, link-local, CGNAT, unspecified, multicast, reserved,
documentation or benchmarking space, and not a cloud metadata endpoint. IPv6 forms that
embed an IPv4 address (`::ffff:a.b.c.d`, 6to4, NAT64) are judged by that address. Hosts
written as numbers are read the way a browser reads them (`127.1`, `0x7f000001`,
`2130706433` and `017700000001` are all 127.0.0.1), so a spelling never hides an address.

The check and the connection cannot disagree: `GuardedTransport` resolves the host once
per connection, checks every answer, and connects to a checked address itself, while the
URL (so the Host header, TLS SNI and certificate check) keeps the host name. A DNS answer
that changes between check and connect (rebinding) is never consulted. Redirects are
requests like any other, so every hop is checked.

    guard = FetchGuard()                          # tests: FetchGuard(allow_loopback=True)
    with guard.client() as client:
        client.get(url)                           # raises FetchRefused, naming url and why
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from civicarchive.errors import FetchRefused

__all__ = ["FetchGuard", "GuardedTransport", "Resolver", "parse_numeric_host", "refusal",
           "shown", "system_resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]   # (host, port) -> addresses
SCHEMES = ("http", "https")

# Named endpoints first, so that a refusal says what the address is.
CLOUD_METADATA = {
    "169.254.169.254": "cloud metadata endpoint (AWS, GCP, Azure, OpenStack...)",
    "169.254.170.2": "cloud metadata endpoint (AWS ECS task credentials)",
    "fd00:ec2::254": "cloud metadata endpoint (AWS IPv6)",
    "100.100.100.200": "cloud metadata endpoint (Alibaba Cloud)",
    "192.0.0.192": "cloud metadata endpoint (Oracle Cloud)",
    "168.63.129.16": "cloud platform endpoint (Azure WireServer)",
}
LOOPBACK = [ipaddress.ip_network(n) for n in ("127.0.0.0/8", "::1/128")]
BLOCKED = [(ipaddress.ip_network(network), reason) for network, reason in (
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/8", "a reserved address"),
    ("64:ff9b:1::/48", "a local NAT64 address"),
    ("100::/64", "a discard address"),
    ("2001::/23", "an IETF protocol address"),
    ("2001:db8::/32", "a documentation address"),
    ("fc00::/7", "a unique local (private) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def refusal(address: IPAddress, allow_loopback: bool = False) -> str | None:
    """What `address` is when a connection to it is refused ("a private address
    (10.0.0.0/8)"), or None when it is allowed."""
    inner = _embedded_ipv4(address)
    if inner is not None:
        why = refusal(inner, allow_loopback)
        return None if why is None else f"{why} (it carries {inner})"
    if allow_loopback and any(address in network for network in LOOPBACK):
        return None
    named = CLOUD_METADATA.get(str(address))
    if named:
        return f"a {named}"
    for network, reason in BLOCKED:
        if address.version == network.version and address in network:
            return f"{reason} ({network})"
    if not address.is_global:
        return "not a public address"
    return None


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is where the
    packets would go."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def parse_numeric_host(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host written as numbers means, read as a browser reads it
    (WHATWG URL): one to four parts, each decimal, 0x-hex or 0-octal, the last filling the
    remaining bytes. None when the host is a name; ValueError when it looks numeric but
    is no address (`1.2.3.256`)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not _numeric(parts[-1]):
        return None
    if len(parts) > 4:
        raise ValueError("too many parts for an IPv4 address")
    numbers = [_number(part) for part in parts]
    last = numbers.pop()
    if any(n > 255 for n in numbers) or last >= 256 ** (4 - len(numbers)):
        raise ValueError("a part is out of range for an IPv4 address")
    value = last
    for i, n in enumerate(numbers):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def _numeric(part: str) -> bool:
    if part[:2].lower() == "0x":
        return all(c in "0123456789abcdefABCDEF" for c in part[2:])
    return part.isascii() and part.isdigit()


def _number(part: str) -> int:
    try:
        if part[:2].lower() == "0x":
            return int(part[2:] or "0", 16)
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10)
    except ValueError:
        raise ValueError(f"{part!r} is not a number") from None


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for `host`."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in answers))


def shown(url: object) -> str:
    """The URL as it may be shown or stored: no credentials, no query values, no
    fragment (tokens travel there)."""
    try:
        parsed = httpx.URL(str(url))
        bare = parsed.copy_with(username=None, password=None, query=None, fragment=None)
        return f"{bare}?…" if parsed.query else str(bare)
    except (httpx.InvalidURL, TypeError, ValueError):
        text = str(url).split("?")[0].split("#")[0]
        if "@" in text:
            scheme, _, rest = text.partition("://")
            text = f"{scheme}://{rest.split('@', 1)[1]}" if rest else text
        return text[:200]


@dataclass(frozen=True)
class FetchGuard:
    """Which fetches are allowed. `allow_loopback` admits 127.0.0.0/8 and ::1 (tests
    serve pages there); nothing else that is not public is ever admitted."""

    allow_loopback: bool = False
    resolver: Resolver = field(default=system_resolver, repr=False)

    def check_url(self, url: str | httpx.URL) -> httpx.URL:
        """The parsed URL, or FetchRefused when its scheme or the way its host is written
        is refused. Addresses are checked when connecting (see `addresses`)."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as error:
            raise FetchRefused(shown(url), f"not a valid URL ({error})") from None
        if parsed.scheme not in SCHEMES:
            raise FetchRefused(shown(url), f"the {parsed.scheme or 'missing'} scheme is not "
                                           f"allowed, only {' and '.join(SCHEMES)}")
        if not parsed.host:
            raise FetchRefused(shown(url), "the URL names no host")
        try:
            literal = self._literal(parsed.host)
        except ValueError as error:
            raise FetchRefused(shown(url), f"the host {parsed.host!r} is malformed "
                                           f"({error})") from None
        if literal is not None and (why := refusal(literal, self.allow_loopback)):
            raise FetchRefused(shown(url), f"{literal} is {why}")
        return parsed

    def addresses(self, host: str, port: int) -> list[str]:
        """The addresses to connect to for `host`: resolved once, every one checked.
        Raises FetchRefused (naming the host) when any answer is refused: a name that
        resolves to a private address among public ones is an attack, not bad luck."""
        where = f"{host}:{port}"
        try:
            literal = self._literal(host)
        except ValueError as error:
            raise FetchRefused(where, f"the host is malformed ({error})") from None
        if literal is not None:
            found = [literal]
        else:
            try:
                found = [ipaddress.ip_address(a) for a in self.resolver(host, port)]
            except (OSError, UnicodeError) as error:
                raise FetchRefused(where, f"the host name does not resolve ({error})") from None
            except ValueError as error:
                raise FetchRefused(where, f"the resolver gave a malformed address ({error})") \
                    from None
        if not found:
            raise FetchRefused(where, "the host name resolves to no address")
        for address in found:
            if why := refusal(address, self.allow_loopback):
                raise FetchRefused(where, f"{address} is {why}" if literal is not None
                                   else f"{host} resolves to {address}, {why}")
        return [str(address) for address in found]

    def transport(self, **options: Any) -> GuardedTransport:
        """An httpx transport that applies this guard to every request and connection."""
        return GuardedTransport(self, **options)

    def client(self, *, timeout: float = 30.0, headers: dict | None = None,
               follow_redirects: bool = True, max_redirects: int = 10,
               verify: Any = True) -> httpx.Client:
        """An httpx client whose every request, redirect hop included, is guarded. It
        ignores proxy settings from the environment: a proxy would do the connecting."""
        return httpx.Client(transport=self.transport(verify=verify), timeout=timeout,
                            headers=headers, follow_redirects=follow_redirects,
                            max_redirects=max_redirects, trust_env=False)

    @staticmethod
    def _literal(host: str) -> IPAddress | None:
        bare = host.strip("[]").split("%")[0]
        if ":" in bare:
            return ipaddress.IPv6Address(bare)
        return parse_numeric_host(bare)


_DEADLINE = threading.local()


@contextmanager
def deadline(until: float) -> Iterator[None]:
    """Every socket read, write and TLS handshake of this thread's guarded connections
    ends by `until` (a time.monotonic()). httpx's timeouts are per read, so a server
    that trickles its headers a byte at a time would otherwise hold a request forever."""
    previous = getattr(_DEADLINE, "until", None)
    _DEADLINE.until = until
    try:
        yield
    finally:
        _DEADLINE.until = previous


def _within_deadline(timeout: float | None) -> float | None:
    until = getattr(_DEADLINE, "until", None)
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation is bounded by the thread's `deadline`."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, _within_deadline(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, _within_deadline(timeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname,
                                                    _within_deadline(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """Opens TCP connections only to addresses the guard checked, for the host asked;
    each bounded by the `deadline` of the thread that uses it."""

    def __init__(self, guard: FetchGuard) -> None:
        self.guard = guard
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        addresses = self.guard.addresses(host, port)
        failure: Exception | None = None
        for address in addresses:   # every one checked above; the first that answers
            try:
                return _DeadlineStream(self.inner.connect_tcp(
                    address, port, _within_deadline(timeout), local_address, socket_options))
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure  # type: ignore[misc]

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore.NetworkStream:
        raise FetchRefused(path, "unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport, with a connection pool whose network backend is guarded.

    The URL is checked before anything else; the address when the connection opens. A
    refusal raises FetchRefused naming the request's URL (without secrets).
    """

    def __init__(self, guard: FetchGuard, *, verify: Any = True,
                 limits: httpx.Limits = httpx.Limits(max_connections=10,
                                                     max_keepalive_connections=5)) -> None:
        super().__init__(verify=verify, trust_env=False, limits=limits)
        self.guard = guard
        # httpx's transport takes no network backend: swap in a pool that has ours. The
        # request and response mapping, and the exception mapping, stay httpx's own.
        if not isinstance(self._pool, httpcore.ConnectionPool):
            raise RuntimeError("httpx.HTTPTransport no longer holds an httpcore pool: "
                               "the guard cannot pin connections with this httpx")
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry, network_backend=GuardedBackend(guard))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.guard.check_url(request.url)
        try:
            return super().handle_request(request)
        except FetchRefused as error:
            raise FetchRefused(shown(request.url), error.reason) from None
