"""What a client really sends PostgreSQL: a loopback relay between the application and
the server that reads the wire protocol and counts, per client connection, every
statement the server is asked to run (simple `Query`, and each `Execute` of the
extended protocol, BEGIN and COMMIT included, whether the driver sends them by itself
or not) and every round trip (a burst the client sends after the server answered:
what the client waits for, statements sent together in a pipeline counting once).

Connection start-ups and pings are counted as well: a ping is a statement like any
other. TLS cannot be read, so the relay's address is used with `sslmode=disable`
(`WireCounter.url`)."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

_SSL_REQUEST = 80877103
_GSS_REQUEST = 80877104


@dataclass
class Sent:
    """What went to the server while counting."""

    statements: list[str] = field(default_factory=list)
    round_trips: int = 0
    connections: int = 0


class WireCounter:
    """A relay on a free loopback port in front of `host:port`; `sent` holds what was
    counted since the last `reset`."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.lock = threading.Lock()
        self.sent = Sent()
        self.closed = False
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database_url: str) -> str:
        """`database_url` through the relay, without TLS."""
        parts = urlsplit(database_url)
        auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        netloc = f"{auth}127.0.0.1:{self.port}"
        joiner = "&" if parts.query else ""
        query = f"{parts.query}{joiner}sslmode=disable&gssencmode=disable"
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))

    def reset(self) -> Sent:
        """What was counted so far; counting starts again from nothing."""
        with self.lock:
            done, self.sent = self.sent, Sent()
        return done

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        for sock in list(self.sockets):
            with contextlib.suppress(OSError):
                sock.close()

    def __enter__(self) -> WireCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sockets += [client, server]
            with self.lock:
                self.sent.connections += 1
            link = _Link()
            threading.Thread(
                target=self._from_client, args=(client, server, link), daemon=True
            ).start()
            threading.Thread(
                target=self._from_server, args=(server, client, link), daemon=True
            ).start()

    def _from_client(self, client: socket.socket, server: socket.socket, link: _Link) -> None:
        buffer = b""
        started = False
        prepared: dict[bytes, str] = {}
        bound = ""
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                with self.lock:
                    if link.answered and started:
                        self.sent.round_trips += 1
                    link.answered = False
                server.sendall(data)
                buffer += data
                while True:
                    if not started:  # the start-up message has no type byte
                        if len(buffer) < 8:
                            break
                        length, code = struct.unpack("!ii", buffer[:8])
                        if len(buffer) < length:
                            break
                        buffer = buffer[length:]
                        if code in (_SSL_REQUEST, _GSS_REQUEST):
                            raise RuntimeError("the relay cannot read TLS: use sslmode=disable")
                        started = True
                        continue
                    if len(buffer) < 5:
                        break
                    kind = buffer[:1]
                    (length,) = struct.unpack("!i", buffer[1:5])
                    if len(buffer) < 1 + length:
                        break
                    body, buffer = buffer[5 : 1 + length], buffer[1 + length :]
                    if kind == b"Q":
                        self._count(body.rstrip(b"\0").decode("utf-8", "replace"))
                    elif kind == b"P":
                        name, rest = body.split(b"\0", 1)
                        prepared[name] = rest.split(b"\0", 1)[0].decode("utf-8", "replace")
                    elif kind == b"B":
                        _portal, rest = body.split(b"\0", 1)
                        bound = prepared.get(rest.split(b"\0", 1)[0], "?")
                    elif kind == b"E":
                        self._count(bound)
        except (OSError, RuntimeError):
            pass
        finally:
            _shut(server)

    def _from_server(self, server: socket.socket, client: socket.socket, link: _Link) -> None:
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                with self.lock:
                    link.answered = True
                client.sendall(data)
        except OSError:
            pass
        finally:
            _shut(client)

    def _count(self, sql: str) -> None:
        with self.lock:
            self.sent.statements.append(" ".join(sql.split()))


@dataclass
class _Link:
    answered: bool = False
    """The server sent something since the client's last burst."""


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
