"""Which webhook URLs may be called: https to public addresses, unless settings allow more.

The same check runs when a manager registers an endpoint and again before every attempt,
on the addresses the host resolves to at that moment; the sender then connects to the
address it checked (``sender``), so a DNS answer that changes in between cannot steer a
delivery into the clinic's own network.

- ``http://`` and loopback targets (127.0.0.0/8, ::1, localhost) only with
  ``WEBHOOK_ALLOW_INSECURE`` (on with DEBUG, for development).
- Private ranges (RFC 1918, unique-local IPv6, carrier-grade NAT, other non-global
  ranges) only with ``WEBHOOK_ALLOW_PRIVATE``.
- Link-local (cloud metadata services live there), multicast, unspecified and reserved
  addresses never.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings


@dataclass(frozen=True)
class UrlPolicy:
    allow_insecure: bool = False
    allow_private: bool = False

    @classmethod
    def from_settings(cls) -> "UrlPolicy":
        return cls(
            allow_insecure=settings.WEBHOOK_ALLOW_INSECURE,
            allow_private=settings.WEBHOOK_ALLOW_PRIVATE,
        )


class UrlRefused(ValueError):
    """A URL (or the address it resolves to) that the policy does not allow."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (tests replace this)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


CGNAT = ipaddress.ip_network("100.64.0.0/10")


def address_problem(address: str, policy: UrlPolicy) -> str | None:
    """Why this address may not be called, or None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        if policy.allow_insecure:
            return None
        return "This URL points at the server itself (loopback); only development allows that."
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "This URL points at a link-local, multicast or reserved address."
    if ip.is_private or not ip.is_global or (ip.version == 4 and ip in CGNAT):
        if policy.allow_private:
            return None
        return "This URL points into a private network, which this installation does not allow."
    return None


def target_parse(url: str, policy: UrlPolicy) -> Target:
    """The parts of an allowed URL; raises ``UrlRefused`` saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused("Enter a valid URL.") from exc
    schemes = ("https", "http") if policy.allow_insecure else ("https",)
    if parts.scheme not in schemes:
        raise UrlRefused(
            "Use an https:// URL." if not policy.allow_insecure else "Use an http(s):// URL."
        )
    if parts.username is not None or parts.password is not None:
        raise UrlRefused(
            "Leave user names and passwords out of the URL: the signature authenticates "
            "every delivery."
        )
    if not parts.hostname:
        raise UrlRefused("Enter a URL with a host name.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    default_port = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default_port, path)


def addresses_vet(target: Target, policy: UrlPolicy, *, resolver=None) -> list[str]:
    """The host's addresses, all of them allowed; raises ``UrlRefused`` otherwise."""
    try:
        addresses = (resolver or resolve)(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"The host {target.host} cannot be resolved.") from exc
    if not addresses:
        raise UrlRefused(f"The host {target.host} cannot be resolved.")
    for address in addresses:
        problem = address_problem(address, policy)
        if problem:
            raise UrlRefused(problem)
    return addresses


def url_problem(url: str, policy: UrlPolicy | None = None, *, resolver=None) -> str | None:
    """Why a manager may not register this URL, or None."""
    policy = policy or UrlPolicy.from_settings()
    try:
        addresses_vet(target_parse(url, policy), policy, resolver=resolver)
    except UrlRefused as exc:
        return str(exc)
    return None
