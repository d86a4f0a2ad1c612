"""A real PostgreSQL that refuses connections, or accepts them and stops answering, behind a TCP proxy.

The proxy runs in the test (a listening socket and one thread per connection). Radar's connection is pointed at
it, with the production lifetime and health checks (CONN_MAX_AGE, CONN_HEALTH_CHECKS), so the first request
after the fault still holds an open connection, as a server worker would. Promised (README, "Failing cleanly"):
the web and the API answer 503 within 6 seconds, /healthz says 503, and once the proxy forwards again, the
next requests are served with no restart. Nothing sleeps: the proxy's threads wait on sockets with a timeout, and
the test measures each answer's time. PostgreSQL only: SQLite has no server to lose.
"""

import queue
import select
import socket
import threading
import time

import pytest
from django.db import close_old_connections, connection, connections
from django.test import Client

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a PostgreSQL server to lose"),
    pytest.mark.django_db(transaction=True),
]

ANSWER_WITHIN_SECONDS = 6.0
POLL_SECONDS = 0.05  # how often the proxy's threads look at their stop and forward switches


class FaultyProxy:
    """Forwards a local port to PostgreSQL; can refuse connections, or accept them and forward nothing."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.forwarding = threading.Event()
        self.forwarding.set()
        self.stopped = threading.Event()
        self.lock = threading.Lock()
        self.sockets: list[socket.socket] = []
        self.threads: list[threading.Thread] = []
        self.listener: socket.socket | None = None
        self.port = 0
        self._listen()

    def _listen(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        self.port = self.listener.getsockname()[1]
        self._start(self._accept, self.listener)

    def _start(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while not self.stopped.is_set():
            try:
                readable, _, _ = select.select([listener], [], [], POLL_SECONDS)
                if not readable:
                    continue
                client, _address = listener.accept()
            except (OSError, ValueError):  # the listener was closed: refusing
                return
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [client, server]
            self._start(self._pump, client, server)

    def _pump(self, client: socket.socket, server: socket.socket) -> None:
        peers = {client: server, server: client}
        try:
            while not self.stopped.is_set():
                if not self.forwarding.is_set():  # silent: the bytes wait in the kernel, unanswered
                    self.forwarding.wait(POLL_SECONDS)
                    continue
                readable, _, _ = select.select(list(peers), [], [], POLL_SECONDS)
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return
                    peers[source].sendall(data)
        except OSError:
            return
        finally:
            client.close()
            server.close()

    def _close_everything(self) -> None:
        with self.lock:
            for sock in self.sockets:
                sock.close()
            self.sockets.clear()

    def go_silent(self) -> None:
        """Connections stay open, new ones are accepted, and nothing is answered."""
        self.forwarding.clear()

    def refuse(self) -> None:
        """The port is closed and every open connection is cut, as when the server is down."""
        assert self.listener is not None
        self.listener.close()
        self.listener = None
        self._close_everything()

    def resume(self) -> None:
        if self.listener is None:
            self._listen()
        self.forwarding.set()

    def stop(self) -> None:
        if self.stopped.is_set():
            return
        self.stopped.set()
        self.forwarding.set()
        if self.listener is not None:
            self.listener.close()
        self._close_everything()
        for thread in self.threads:
            thread.join(timeout=5)


@pytest.fixture
def proxy():
    database = connections["default"]
    saved = {key: database.settings_dict[key] for key in ("HOST", "PORT", "CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    faulty = FaultyProxy(saved["HOST"] or "127.0.0.1", int(saved["PORT"] or 5432))
    database.close()
    database.settings_dict.update(HOST="127.0.0.1", PORT=str(faulty.port), CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    yield faulty
    faulty.stop()
    database.close()
    database.settings_dict.update(saved)


class ServerWorker:
    """One thread serving the test's requests in turn with the connection it keeps, as a server worker does.

    The test waits for each answer with a timeout, so a request that hangs fails the test instead of stalling it
    (the proxy's teardown then cuts the connection the worker is stuck on).
    """

    def __init__(self, client: Client):
        self.client = client
        self.requests: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while (request := self.requests.get()) is not None:
            url, answer = request
            close_old_connections()  # what Django's WSGI handler does first; the test client leaves it out
            started = time.monotonic()
            try:
                answer.put((self.client.get(url), time.monotonic() - started))
            except BaseException as error:  # handed to the test, which raises it
                answer.put((error, 0.0))
        connections.close_all()

    def get(self, url: str):
        answer: queue.Queue = queue.Queue()
        self.requests.put((url, answer))
        try:
            response, seconds = answer.get(timeout=3 * ANSWER_WITHIN_SECONDS)
        except queue.Empty:
            pytest.fail(f"{url} did not answer within {3 * ANSWER_WITHIN_SECONDS} s")
        if isinstance(response, BaseException):
            raise response
        return response, seconds

    def stop(self) -> None:
        self.requests.put(None)
        self.thread.join(timeout=3 * ANSWER_WITHIN_SECONDS)


@pytest.fixture
def worker(proxy, world):
    client = Client(raise_request_exception=False)  # a server answers with its error page; it does not re-raise
    client.force_login(world.school_staff)
    serving = ServerWorker(client)
    yield serving
    proxy.stop()  # cuts a connection the worker may be stuck on
    serving.stop()


def assert_served(worker: ServerWorker) -> None:
    for url in ("/cases/", "/api/v1/cases/", "/healthz"):
        response, _ = worker.get(url)
        assert response.status_code == 200, url


def assert_unavailable_quickly(worker: ServerWorker) -> list[float]:
    seconds = []
    for url, kind in (("/cases/", "text/html"), ("/api/v1/cases/", "application/json"), ("/healthz", "json")):
        response, elapsed = worker.get(url)
        assert response.status_code == 503, url
        assert kind in response["Content-Type"], url
        assert elapsed < ANSWER_WITHIN_SECONDS, (url, elapsed)
        seconds.append(elapsed)
    return seconds


def test_a_database_that_stops_answering_gets_503_within_seconds_then_radar_serves_again(proxy, worker):
    assert_served(worker)  # a connection is now open through the proxy, and kept
    proxy.go_silent()
    assert_unavailable_quickly(worker)
    proxy.resume()
    assert_served(worker)


def test_a_database_that_refuses_connections_gets_503_at_once_then_radar_serves_again(proxy, worker):
    assert_served(worker)
    proxy.refuse()
    assert max(assert_unavailable_quickly(worker)) < 1
    proxy.resume()
    assert_served(worker)


def test_the_web_503_page_and_api_503_say_when_to_retry(proxy, worker):
    proxy.refuse()
    (page, _), (api, _) = worker.get("/cases/"), worker.get("/api/v1/cases/")
    assert page.status_code == api.status_code == 503
    assert page["Retry-After"] == api["Retry-After"] == "30"
    assert api.json()["code"] == "database_unavailable"
