"""Who is on the other end of a loopback TCP connection: the uid owning the client's socket (Linux).

The kit's servers on 127.0.0.1 (the local cloud, the local Kubeflow Pipelines API) are for the user
who started them. Signatures and tokens are the first lock on their door; this is the second: a
connection from a process of another local user is refused before a byte of its request is read.

Linux answers this question for one socket through ``sock_diag`` netlink (what ``ss`` uses): an exact
lookup of the client's socket by its address pair, a few microseconds whatever the number of sockets.
Where netlink cannot be used, the same answer comes from ``/proc/net/tcp`` and ``/proc/net/tcp6``,
which list every TCP socket with its owner — the client's socket is the row whose local address is the
connection's remote end and whose remote address is ours — but reading them costs ~6 µs per socket on
the machine (12 ms with the ~2,000 TIME_WAIT sockets a busy test run leaves), per connection.
Elsewhere (no ``/proc``) the owner cannot be told and :func:`peer_uid` answers None.

Use it per connection from a werkzeug request handler (:class:`SameUserHandlerMixin`), or per
request from any WSGI app (:func:`same_user_only`, :func:`environ_peer_uid`).
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

PROC_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")
#: The uid :func:`peer_uid` answers when ``/proc`` lists the tables but not this connection.
UNKNOWN_UID = -1
ENVIRON_KEY = "kfsm.peer_uid"

Address = tuple[str, int]


def _ip(hex_addr: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as /proc/net/tcp* prints it: 32-bit words in host byte order."""
    raw = b"".join(int(hex_addr[i:i + 8], 16).to_bytes(4, sys.byteorder) for i in range(0, len(hex_addr), 8))
    ip = ipaddress.ip_address(raw)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _norm(addr: Address) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    ip = ipaddress.ip_address(addr[0].split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip, int(addr[1])


def _rows() -> Iterable[tuple[str, str, str]] | None:
    """``(local, remote, uid)`` columns of every TCP socket, or None where /proc has no tables."""
    found = False
    out: list[tuple[str, str, str]] = []
    for table in PROC_TABLES:
        try:
            with open(table) as fh:
                lines = fh.read().splitlines()[1:]
        except OSError:
            continue
        found = True
        for line in lines:
            cols = line.split()
            if len(cols) > 7:
                out.append((cols[1], cols[2], cols[7]))
    return out if found else None


# sock_diag (linux/sock_diag.h, linux/inet_diag.h): one request for one socket, found by its 4-tuple.
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST = 1
_NLMSG_ERROR = 2
_INET_DIAG_NOCOOKIE = 0xFFFFFFFF
_ALL_TCP_STATES = 0xFFFFFFFF
_NLMSG_HEADER = struct.Struct("=IHHII")  # len, type, flags, seq, pid
_DIAG_REQ = struct.Struct("=BBBBI")  # family, protocol, ext, pad, states; then the sockid
_SOCKID = struct.Struct(">HH16s16s")  # sport, dport (network order), src, dst; then if, cookie (host order)
_UID_OFFSET = _NLMSG_HEADER.size + 4 + 48 + 12  # inet_diag_msg: 4 bytes, sockid, expires, rqueue, wqueue, uid
_netlink_usable = hasattr(socket, "AF_NETLINK")


def _netlink_uid(client: tuple, server: tuple) -> int | None:
    """The uid of the socket whose local end is ``client`` and remote end ``server`` (normalised), from
    the kernel's exact sock_diag lookup; :data:`UNKNOWN_UID` when the kernel has no such socket; None
    when netlink cannot tell (not Linux, not allowed here): then the caller reads ``/proc``."""
    global _netlink_usable
    if not _netlink_usable:
        return None
    (cip, cport), (sip, sport) = client, server
    family = socket.AF_INET if cip.version == 4 else socket.AF_INET6
    if sip.version != cip.version:
        return None
    req = (_DIAG_REQ.pack(family, socket.IPPROTO_TCP, 0, 0, _ALL_TCP_STATES)
           + _SOCKID.pack(cport, sport, cip.packed.ljust(16, b"\0"), sip.packed.ljust(16, b"\0"))
           + struct.pack("=III", 0, _INET_DIAG_NOCOOKIE, _INET_DIAG_NOCOOKIE))
    msg = _NLMSG_HEADER.pack(_NLMSG_HEADER.size + len(req), _SOCK_DIAG_BY_FAMILY, _NLM_F_REQUEST, 1, 0) + req
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG) as nl:
            nl.settimeout(1.0)
            nl.send(msg)
            answer = nl.recv(8192)
    except OSError:
        _netlink_usable = False  # e.g. a sandbox without netlink: /proc from now on
        return None
    if len(answer) < _NLMSG_HEADER.size:
        return None
    mtype = _NLMSG_HEADER.unpack_from(answer)[1]
    if mtype == _NLMSG_ERROR:
        code = -struct.unpack_from("=i", answer, _NLMSG_HEADER.size)[0]
        return UNKNOWN_UID if code == errno.ENOENT else None
    if mtype != _SOCK_DIAG_BY_FAMILY or len(answer) < _UID_OFFSET + 4:
        return None
    return struct.unpack_from("=I", answer, _UID_OFFSET)[0]


def uid_of_connection(client: Address, server: Address) -> int | None:
    """The uid owning the client end of the TCP connection ``client`` → ``server``.

    None when this system has no ``/proc/net/tcp`` (the owner cannot be told);
    :data:`UNKNOWN_UID` when it has but lists no such connection.
    """
    want_local, want_remote = _norm(client), _norm(server)
    uid = _netlink_uid(want_local, want_remote)
    if uid is not None and uid != UNKNOWN_UID:
        return uid
    for attempt in range(2):
        rows = _rows()
        if rows is None:
            return None
        for local, remote, uid in rows:
            lhost, _, lport = local.partition(":")
            rhost, _, rport = remote.partition(":")
            if int(lport, 16) != want_local[1] or int(rport, 16) != want_remote[1]:
                continue
            if _ip(lhost) == want_local[0] and _ip(rhost) == want_remote[0]:
                return int(uid)
        if attempt == 0:
            time.sleep(0.01)  # the kernel lists a just-accepted connection at once; one retry for safety
    return UNKNOWN_UID


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process on the other end of an accepted TCP socket (see :func:`uid_of_connection`)."""
    try:
        client, server = sock.getpeername(), sock.getsockname()
    except OSError:
        return UNKNOWN_UID
    if not isinstance(client, tuple):  # a Unix socket: not what this is for
        return None
    return uid_of_connection(client[:2], server[:2])


def is_same_user(uid: int | None) -> bool:
    """True for our own uid, and where the owner cannot be told at all (no /proc); False otherwise."""
    return uid is None or uid == os.getuid()


def environ_peer_uid(environ: dict[str, Any]) -> int | None:
    """The peer uid of a WSGI request: what a :class:`SameUserHandlerMixin` put there, else looked up
    from werkzeug's ``werkzeug.socket``; None when neither can tell."""
    if ENVIRON_KEY in environ:
        return environ[ENVIRON_KEY]
    sock = environ.get("werkzeug.socket")
    if sock is not None:
        uid = peer_uid(sock)
        environ[ENVIRON_KEY] = uid
        return uid
    return None


REFUSAL = ("this server serves only the local user who started it (uid {own}); "
           "the connection came from uid {peer}")


class SameUserHandlerMixin:
    """For a werkzeug ``WSGIRequestHandler`` subclass: look the peer up once per connection, put it in
    ``environ["kfsm.peer_uid"]``; with ``refuse_other_users`` (default) answer other uids 403 here.

    Put it first in the bases: ``class Handler(SameUserHandlerMixin, WSGIRequestHandler)``.
    """

    refuse_other_users = True
    _peer_uid: int | None

    def setup(self) -> None:
        super().setup()  # type: ignore[misc]
        self._peer_uid = peer_uid(self.connection)  # type: ignore[attr-defined]

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()  # type: ignore[misc]
        environ[ENVIRON_KEY] = self._peer_uid
        return environ

    def handle(self) -> None:
        if self.refuse_other_users and not is_same_user(self._peer_uid):
            body = json.dumps({"error": REFUSAL.format(own=os.getuid(), peer=self._peer_uid)}).encode()
            head = (f"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                    "Connection: close\r\n\r\n").encode()
            try:
                self.connection.sendall(head + body)  # type: ignore[attr-defined]
            except OSError:
                pass
            self.close_connection = True
            return
        super().handle()  # type: ignore[misc]


def same_user_only(app: Callable, refuse: Callable[[dict[str, Any], Callable, int | None], Iterable[bytes]]
                   | None = None) -> Callable:
    """WSGI middleware: requests from another local user get 403 (``refuse`` may render it otherwise)."""

    def wrapped(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        uid = environ_peer_uid(environ)
        if is_same_user(uid):
            return app(environ, start_response)
        if refuse is not None:
            return refuse(environ, start_response, uid)
        body = json.dumps({"error": REFUSAL.format(own=os.getuid(), peer=uid)}).encode()
        start_response("403 Forbidden", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return wrapped


__all__ = ["ENVIRON_KEY", "UNKNOWN_UID", "SameUserHandlerMixin", "environ_peer_uid", "is_same_user", "peer_uid",
           "same_user_only", "uid_of_connection"]
