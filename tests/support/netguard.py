"""Block real network access during tests: only loopback and Unix sockets are allowed.

`install()` patches `socket.getaddrinfo`, `socket.create_connection` and
`socket.socket.connect` / `connect_ex`. That also covers asyncio and aiohttp, which resolve
names through `socket.getaddrinfo` (in a thread) and connect through `sock.connect`
(`loop.sock_connect`). A blocked call raises
`RuntimeError("network access blocked in tests: <host>")`.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}

_originals: dict[str, Any] = {}


def is_local_host(host: object) -> bool:
    """True for loopback addresses and names, and for the unspecified (bind-to-all) address."""
    if host is None:
        return True  # getaddrinfo(None, port): a passive/local lookup
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if name in ("", *_LOCAL_NAMES) or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _check(host: object) -> None:
    if not is_local_host(host):
        raise RuntimeError(f"network access blocked in tests: {host!r}")


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family == getattr(socket, "AF_UNIX", None):
        return
    if isinstance(address, tuple) and address:
        _check(address[0])
    else:
        _check(address)


def install() -> None:
    """Patch the socket module. Idempotent."""
    if _originals:
        return
    orig_getaddrinfo = socket.getaddrinfo
    orig_create_connection = socket.create_connection
    orig_connect = socket.socket.connect
    orig_connect_ex = socket.socket.connect_ex
    _originals.update(
        getaddrinfo=orig_getaddrinfo,
        create_connection=orig_create_connection,
        connect=orig_connect,
        connect_ex=orig_connect_ex,
    )

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _check(host)
        return orig_getaddrinfo(host, *args, **kwargs)

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        _check(address[0])
        return orig_create_connection(address, *args, **kwargs)

    def connect(self: Any, address: Any) -> None:
        _check_address(self, address)
        return orig_connect(self, address)

    def connect_ex(self: Any, address: Any) -> int:
        _check_address(self, address)
        return orig_connect_ex(self, address)

    socket.getaddrinfo = getaddrinfo
    socket.create_connection = create_connection
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


def uninstall() -> None:
    """Restore the original socket functions."""
    if not _originals:
        return
    socket.getaddrinfo = _originals["getaddrinfo"]
    socket.create_connection = _originals["create_connection"]
    socket.socket.connect = _originals["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _originals["connect_ex"]  # type: ignore[method-assign]
    _originals.clear()
