"""One browser tab's HTTP/1.1 connection, with a browser's rules for a connection that died.

Shared by the load generator (bench/load/locustfile.py, under gevent in .venv-load/) and the
fault test (tests/deploy/test_faults.py, plain threads): standard library only, so both count a
failed request the same way.

A browser keeps an idle keep-alive connection for its next request to the same server. Two
things can happen to it that are not the application's failure, and browsers handle both
without showing anything to the user:

1. The server closed the idle connection (gunicorn's keep-alive timeout, or the worker that
   owned it died: the kernel closes a dead process's sockets). Before reusing an idle
   connection, Chromium checks that it is still connected and idle (a closed socket reads EOF)
   and opens a new one if not; so does urllib3. `_reusable()` does the same check.
2. The connection dies after the request went out but before any response header came back
   (the worker was killed while the request waited or ran, or it closed the connection at the
   same moment the request was sent). Chromium resends the request if, and only if, the
   connection had already carried a response ("proven" keep-alive connection) and no response
   headers arrived: `HttpNetworkTransaction::ShouldResendRequest` for ERR_CONNECTION_RESET,
   ERR_CONNECTION_CLOSED, ERR_CONNECTION_ABORTED and ERR_EMPTY_RESPONSE, whatever the method.
   Firefox resends any request on a reused connection too. `request()` resends once, on a new
   connection, under exactly that rule, and counts it in `resent`.

Everything else is a failure the user would see: an error on a new connection (no browser
resends it), a connection that breaks after the response headers, a timeout, an HTTP error.
Dash callbacks are pure functions of their inputs, so a resent POST repeats no side effect.
"""
import http.client
import select
import socket
import time
from dataclasses import dataclass

# What the operating system reports when the peer's socket went away (RemoteDisconnected,
# "empty response", is a ConnectionResetError).
CONNECTION_LOST = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


@dataclass
class Response:
    status: int
    body: bytes
    seconds: float  # from the first attempt to the last body byte, resend included
    resent: bool


class Browser:
    """Sequential requests over one persistent connection, like one tab talking to one host."""

    def __init__(self, host: str, port: int, timeout: float = 60.0):
        self.host, self.port, self.timeout = host, port, timeout
        self._conn: http.client.HTTPConnection | None = None
        self._answered = 0  # responses received on the current connection
        self.connections = 0  # connections opened
        self.stale = 0  # idle connections found closed by the server before reuse
        self.resent = 0  # requests resent after their reused connection died

    def _reusable(self) -> bool:
        """True if the current connection has answered before and is still open and idle."""
        if self._conn is None or self._conn.sock is None:
            return False
        readable, _, _ = select.select([self._conn.sock], [], [], 0)
        if readable:  # EOF (the server closed it), a reset, or unexpected bytes: unusable
            self.stale += 1
            self.close()
            return False
        return self._answered > 0

    def _open(self) -> None:
        self.close()
        self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        self._conn.connect()
        self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._answered = 0
        self.connections += 1

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None
        self._answered = 0

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> Response:
        """Send one request and read the whole response. Raises what the user would see as
        a failed request (OSError, http.client.HTTPException, TimeoutError)."""
        start = time.perf_counter()
        resent = False
        while True:
            reused = self._reusable()
            if not reused:
                self._open()
            try:
                self._conn.request(method, path, body=body, headers=headers or {})
                response = self._conn.getresponse()
            except CONNECTION_LOST:
                self.close()
                if reused and not resent:  # a browser's resend: see the module docstring
                    resent = True
                    self.resent += 1
                    continue
                raise
            except BaseException:
                self.close()
                raise
            try:  # headers are in: from here on nothing is resent
                data = response.read()
            except BaseException:
                self.close()
                raise
            if response.will_close:
                self.close()
            else:
                self._answered += 1
            return Response(response.status, data, time.perf_counter() - start, resent)


@dataclass
class Outcome:
    """One request as its user saw it: when it started (wall clock), how long it took, what
    came back, and the error the user saw (None if it answered 200/204)."""

    started: float
    ms: float
    status: int
    content: bytes
    resent: bool
    error: str | None


def timed_request(browser: Browser, method: str, path: str, body: bytes | None = None,
                  headers: dict | None = None) -> Outcome:
    """`browser.request`, timed, with every failure a user would see turned into `error`
    (an HTTP status other than 200/204 counts as one): what both locustfiles record."""
    started, clock = time.time(), time.perf_counter()
    error, status, content, resent = None, 0, b"", False
    try:
        response = browser.request(method, path, body, headers)
        status, content, resent = response.status, response.body, response.resent
        if status not in (200, 204):
            error = f"HTTP {status}"
    except (OSError, http.client.HTTPException) as exc:  # the user sees a failure
        error = f"{type(exc).__name__}: {exc}"
    return Outcome(started, (time.perf_counter() - clock) * 1e3, status, content, resent, error)
