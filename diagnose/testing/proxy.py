"""A tiny tunnelling proxy on loopback (tests only): answers CONNECT host:port by opening
the connection and relaying bytes both ways, as a corporate proxy does for HTTPS. With
`credentials` (user, password) it asks for Basic authentication (407) first. It records
each CONNECT: the target and the Proxy-Authorization header it came with.

    with TunnelProxy(("alice", "s3cret")) as proxy:
        os.environ["HTTPS_PROXY"] = f"http://alice:s3cret@127.0.0.1:{proxy.port}"
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tunnel:
    target: str
    """host:port of the CONNECT."""
    authorization: str | None
    """The Proxy-Authorization header sent, if any."""
    allowed: bool


class TunnelProxy:
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        self.credentials = credentials
        self.tunnels: list[Tunnel] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self.port = 0

    def __enter__(self) -> TunnelProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="proxy").start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._listener is not None:
            self._listener.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _expected(self) -> str | None:
        if self.credentials is None:
            return None
        token = base64.b64encode(":".join(self.credentials).encode("latin-1")).decode()
        return f"Basic {token}"

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                piece = client.recv(4096)
                if not piece:
                    return
                head += piece
            lines = head.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in lines[1:])
            }
            authorization = headers.get("proxy-authorization")
            expected = self._expected()
            allowed = method == "CONNECT" and (expected is None or authorization == expected)
            with self._lock:
                self.tunnels.append(Tunnel(target, authorization, allowed))
            if method != "CONNECT":
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            if not allowed:
                client.sendall(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                    b'Proxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n'
                )
                return
            host, _, port = target.rpartition(":")
            try:
                upstream = socket.create_connection((host, int(port)), timeout=10)
            except OSError:
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                return
            with upstream:
                upstream.settimeout(None)
                client.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                back = threading.Thread(target=_relay, args=(upstream, client), daemon=True)
                back.start()
                _relay(client, upstream)
                back.join(10)


def _relay(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while True:
            data = source.recv(65536)
            if not data:
                break
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
