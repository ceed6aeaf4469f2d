"""A real HTTP server on 127.0.0.1 (ephemeral port) that serves images, lies, stalls and redirects, for the fetcher."""

import contextlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = Callable[[BaseHTTPRequestHandler], None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # the default backlog (5) drops connections from a pool of 8: 1 s SYN retries


class ImageServer:
    def __init__(self, host: str = "127.0.0.1", ssl_context=None):
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.host_headers: list[str] = []
        self.active = 0
        self.max_active = 0  # most requests held at a `serve(..., barrier=)` at the same time
        self.dripped: dict[str, int] = {}  # bytes a `drip` route sent before it ended or the client hung up
        self.finished: defaultdict[str, threading.Event] = defaultdict(threading.Event)  # a path's handler ended
        self._release = threading.Event()  # lets `stall` routes go when the test is over
        self._lock = threading.Lock()
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                with server._lock:
                    server.hits[path] += 1
                    server.host_headers.append(self.headers.get("Host", ""))
                try:
                    handler = server.routes.get(path)
                    if handler is None:
                        send(self, b"not found", "text/plain", status=404)
                    else:
                        handler(self)
                except (BrokenPipeError, ConnectionResetError, TimeoutError):
                    pass  # the fetcher hung up on a response it refused: expected
                finally:
                    server.finished[path].set()

            def log_message(self, *args):
                pass

        self.httpd = _Server((host, 0), RequestHandler)
        if ssl_context is not None:
            self.httpd.socket = ssl_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.scheme = "https" if ssl_context is not None else "http"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> "ImageServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def allowed(self) -> str:
        """The IMAGE_FETCH_ALLOWED_HOSTS entry that lets the fetcher reach this server."""
        return f"127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def reset(self) -> None:
        self._release.set()
        with self._lock:
            self._release = threading.Event()
            self.routes.clear()
            self.hits.clear()
            self.host_headers.clear()
            self.max_active = 0
            self.dripped.clear()
            self.finished.clear()

    # Routes -----------------------------------------------------------------------------------------------
    def serve(
        self,
        path: str,
        body: bytes,
        content_type: str = "image/jpeg",
        *,
        barrier: threading.Barrier | None = None,
        delay: float = 0,
    ) -> str:
        """Serves `body`; with `barrier`, each response waits until the barrier's number of requests wait with it
        (counted in `max_active`). A barrier with a timeout breaks instead of hanging when fewer come together.
        `delay` holds each response back that long: a slow outlet for the soak harness (bench/soak), whose tasks
        must still be in flight when their worker is killed; tests synchronise with a barrier instead."""

        def handler(request):
            if delay:
                time.sleep(delay)
            if barrier is not None:
                # Counted only while the response is held back: the client is certainly still waiting.
                with self._lock:
                    self.active += 1
                    self.max_active = max(self.max_active, self.active)
                # A broken barrier means fewer requests came together than the test expected: max_active shows it.
                with contextlib.suppress(threading.BrokenBarrierError):
                    barrier.wait()
                with self._lock:
                    self.active -= 1
            send(request, body, content_type)

        self.routes[path] = handler
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        def handler(request):
            request.send_response(status)
            request.send_header("Location", location)
            request.send_header("Content-Length", "0")
            request.end_headers()

        self.routes[path] = handler
        return self.url(path)

    def flaky(self, path: str, body: bytes, *, failures: int, status: int = 503) -> str:
        """Fails `failures` times, then serves the image."""
        count = {"n": 0}

        def handler(request):
            count["n"] += 1
            if count["n"] <= failures:
                send(request, b"try later", "text/plain", status=status)
            else:
                send(request, body, "image/jpeg")

        self.routes[path] = handler
        return self.url(path)

    def stall(self, path: str, seconds: float = 60) -> str:
        """Accepts the request, then says nothing until the test is over (at most `seconds`)."""
        release = self._release

        def handler(request):
            release.wait(seconds)
            send(request, b"too late", "text/plain")

        self.routes[path] = handler
        return self.url(path)

    def drip(self, path: str, *, total: int, interval: float) -> str:
        """Sends a body one byte every `interval` seconds: never idle long enough for a read timeout.
        `dripped[path]` says how many bytes went out before the body was complete or the client hung up."""

        def handler(request):
            request.send_response(200)
            request.send_header("Content-Type", "image/jpeg")
            request.send_header("Content-Length", str(total))
            request.end_headers()
            sent = 0
            try:
                for _ in range(total):
                    request.wfile.write(b"\xff")
                    request.wfile.flush()
                    sent += 1
                    time.sleep(interval)
            finally:
                self.dripped[path] = sent

        self.routes[path] = handler
        return self.url(path)

    def stream(self, path: str, *, total: int, declare: int | None = None, chunk: int = 64 * 1024) -> str:
        """Streams `total` bytes; with `declare`, announces that Content-Length instead of closing to end."""

        def handler(request):
            request.send_response(200)
            request.send_header("Content-Type", "image/jpeg")
            if declare is not None:
                request.send_header("Content-Length", str(declare))
            else:
                request.send_header("Connection", "close")
                request.close_connection = True
            request.end_headers()
            sent = 0
            while sent < total:
                request.wfile.write(b"\x00" * min(chunk, total - sent))
                sent += chunk

        self.routes[path] = handler
        return self.url(path)


def send(request: BaseHTTPRequestHandler, body: bytes, content_type: str, status: int = 200) -> None:
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)
