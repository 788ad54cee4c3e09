"""Who is asking: the client's address behind the site's reverse proxies, and the public URL.

Behind the TLS proxy the README asks for, every request comes from the proxy's address, so
rate limits keyed on REMOTE_ADDR were shared by all visitors: seven OTP requests for
made-up numbers locked every subscriber out. X-Forwarded-For is believed only when the
request comes from a proxy the site config names (`trusted_proxies`: addresses or
networks), and only as far as the last hop that is not itself a trusted proxy; a client
cannot choose its own address by sending the header.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks() -> list[Network]:
    return [
        ipaddress.ip_network(entry, strict=False)
        for entry in getattr(settings, "METER_TRUSTED_PROXIES", [])
    ]


def _trusted(address: str, networks: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(request) -> str:
    """The address of the client: REMOTE_ADDR, or behind trusted proxies the nearest
    untrusted hop of X-Forwarded-For."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = _networks()
    if not networks or not _trusted(remote, networks):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        try:
            address = str(ipaddress.ip_address(hop))
        except ValueError:  # a garbled header: nothing before it can be believed
            return remote
        if not _trusted(address, networks):
            return address
    return remote


def public_url(request, path: str) -> str:
    """An absolute URL of this site for others to call back (the bank): from the site's
    public URL when the config names one, else from the request."""
    base = getattr(settings, "METER_PUBLIC_URL", "")
    if base:
        return urljoin(base.rstrip("/") + "/", path.lstrip("/"))
    return request.build_absolute_uri(path)
