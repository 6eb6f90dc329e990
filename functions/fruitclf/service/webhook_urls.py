"""Which webhook URLs the server may call: https to a public address, never into our own network (SSRF).

An org admin names the URL and our server makes the request, so a URL pointing at a private, loopback,
link-local (the metadata server at 169.254.169.254) or otherwise non-public address would let them reach what
only the server can. Every address the host resolves to must be public, checked when the URL is set and again
before each delivery (a name may resolve elsewhere later); deliveries never follow redirects. Under the
emulators only, WEBHOOK_ALLOW_LOOPBACK lets http://127.0.0.1 through, for a test receiver.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from .. import errors
from ..config import emulator_mode, settings

MAX_URL_CHARS = 2000
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


def checked(url: object) -> str:
    """The URL when the server may call it; 400 with the reason otherwise."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_CHARS or not url.isprintable():
        raise _refused(f"url must be an https URL of at most {MAX_URL_CHARS} characters.", "invalid-webhook-url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise _refused("url is not a valid URL.", "invalid-webhook-url") from None
    host = parts.hostname
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise _refused("url needs a host, and no user name, password or #fragment.", "invalid-webhook-url")
    if loopback_allowed() and parts.scheme == "http" and host in LOOPBACK_HOSTS:
        return url
    if parts.scheme != "https":
        raise _refused("url must use https.", "webhook-url-not-https")
    for address in _addresses(host, port or 443):
        if not _public(address):
            raise _refused(f"{host} resolves to {address}, which is not a public address.", "webhook-url-not-public")
    return url


def loopback_allowed() -> bool:
    return settings().webhook_allow_loopback and emulator_mode()


def _addresses(host: str, port: int) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        raise _refused(f"{host} does not resolve to an address.", "webhook-url-unresolvable") from None


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _refused(message: str, code: str) -> errors.ApiError:
    return errors.bad_request(message, code)
