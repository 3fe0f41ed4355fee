"""Lifecycle shared by the simulators on loopback (the gateways' HTTP APIs, the SMTP sink).

Each simulator serves its API with a ``BaseHTTPRequestHandler`` subclass that reaches
the simulator through one class attribute (``sim`` unless ``handler_attribute`` says
otherwise), on a threaded HTTP server bound to 127.0.0.1. Every handler gets
``disable_nagle_algorithm`` (TCP_NODELAY): ``BaseHTTPRequestHandler`` writes the headers
and the body separately, and with Nagle on, each keep-alive answer would wait ~40 ms for
the client's delayed ACK.
"""

import threading
from functools import cached_property
from http.server import ThreadingHTTPServer

__all__ = ["LoopbackHttpSimulator", "LoopbackServer"]


class LoopbackServer:
    """A socketserver on 127.0.0.1 in a background thread: start, stop, context manager."""

    handler_attribute = "sim"
    _server = None
    _thread = None

    @cached_property
    def _stopping(self):
        """Set on stop: wakes handlers sleeping for a timeout switch."""
        return threading.Event()

    def _get_handler_class(self):
        """The request handler class serving this simulator's API."""
        raise NotImplementedError

    def _make_server(self, port, handler):
        """The server bound to 127.0.0.1:``port`` with ``handler``."""
        raise NotImplementedError

    def start(self, port=0):
        """Serve on 127.0.0.1:``port`` (0: any free port) in a background thread."""
        name = type(self).__name__
        handler = type(
            f"{name}Handler",
            (self._get_handler_class(),),
            {self.handler_attribute: self, "disable_nagle_algorithm": True},
        )
        self._stopping.clear()
        self._server = self._make_server(port, handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=name,
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self):
        return self._server.server_address[1]


class LoopbackHttpSimulator(LoopbackServer):
    """An HTTP API served by a ``BaseHTTPRequestHandler`` subclass."""

    def _make_server(self, port, handler):
        server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        server.daemon_threads = True
        server.block_on_close = False
        return server

    @property
    def root_url(self):
        return f"http://127.0.0.1:{self.port}"
