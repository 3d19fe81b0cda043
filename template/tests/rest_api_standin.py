"""A stand-in of the ENTSO-E REST API: a real HTTP server on loopback, answering as the API does.

GET /api with the parameters entsoe-py sends. The right key gets our own documents
(sample_documents: A68 for the zone's year, A69/A71/A65/A44/A75 for the local days asked); a
wrong key gets 401 with a body that repeats the request, as ENTSO-E's does (so a leak shows);
a zone in `empty` gets an Acknowledgement "No matching data found"; `delay` makes every answer
late; `busy` answers that many next requests 429 (too many requests), with `Retry-After:
retry_after` when set. Every request is kept in `requests`, the time it came in (monotonic) in
`arrivals`, and the most requests answered at once in `max_in_flight`.

Nothing here imports the project at import time: conftest starts this server and sets
ENTSOE_ENDPOINT_URL before anything imports entsoe, which reads it once.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pandas as pd

KEY = "test-key"
# Where entsoe-py's queries name the zone: the load forecast in outBiddingZone_Domain, the others
# (prices beside an out_Domain) in in_Domain.
ZONE_PARAMETERS = ("in_Domain", "outBiddingZone_Domain")


class RestApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()  # handlers run in threads of their own
        self.generation = 0  # a late answer to a test that ended is not counted in the next
        self.reset()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"

    def reset(self) -> None:
        with self.lock:
            self.generation += 1
            self.in_flight = self.max_in_flight = 0
        self.key = KEY
        self.empty: set[str] = set()  # zones answered with "No matching data found"
        self.delay = 0.0  # seconds before each answer
        self.content_type = "text/xml"  # of the documents; entsoe-py spots no data in XML only
        self.capacities: dict[str, dict[str, float]] = {}  # zone -> A68 answer; else defaults
        self.busy = 0  # the next requests answered 429
        self.retry_after: str | None = None  # the Retry-After header of a 429
        self.requests: list[dict[str, str]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each request, as in `requests`

    def count(self, document_type: str, zone: str | None = None) -> int:
        return sum(
            r["documentType"] == document_type and zone in (None, _zone(r)) for r in self.requests
        )

    def start(self) -> RestApi:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that timed out closed the socket before the late answer: expected


class _Handler(BaseHTTPRequestHandler):
    server: RestApi
    generation = 0  # the server's when this request came in

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        params = dict(parse_qsl(url.query))
        server = self.server
        with server.lock:
            server.requests.append(params)
            server.arrivals.append(time.monotonic())
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
            self.generation = server.generation
            busy, server.busy = server.busy > 0, max(0, server.busy - 1)
        time.sleep(server.delay)
        if url.path != "/api":
            return self._answer(404, b"not found", "text/plain")
        if busy:  # the body as ENTSO-E's answer to a banned token in 2025 (entsoe-apy issue 99)
            banned = b"<html><body><p>Requester banned until '2025-11-25T10:01:55.545Z'.</p>"
            return self._answer(429, banned + b"</body></html>", "text/html")
        if params.get("securityToken") != self.server.key:
            # As ENTSO-E does: the body repeats the request, security token included.
            text = f"Unauthorized. Missing or invalid security token in {self.path}"
            return self._answer(401, _acknowledgement(text, "999"))
        zone = _zone(params)
        if zone in self.server.empty:
            no_data = _acknowledgement("No matching data found", "999")
            return self._answer(200, no_data, self.server.content_type)
        try:
            document = self._document(params.get("documentType", ""), zone, params)
        except (KeyError, ValueError) as error:
            return self._answer(400, _acknowledgement(f"Invalid request: {error}", "999"))
        self._answer(200, document, self.server.content_type)

    def _document(self, document_type: str, zone: str, params: dict[str, str]) -> bytes:
        import sample_documents as samples

        tz = samples.area_timezone(zone)
        start, end = (_moment(params[name]).tz_convert(tz) for name in ("periodStart", "periodEnd"))
        if document_type == "A68":
            return samples.installed_capacity(zone, start.year, self.server.capacities.get(zone))
        days = max(1, (end.normalize() - start.normalize()).days)
        return samples.generate(
            document_type,
            area=zone,
            start=start.date(),
            days=days,
            process_type=params.get("processType"),
        )

    def _answer(self, status: int, body: bytes, content_type: str = "text/xml") -> None:
        with self.server.lock:  # done before the client has the answer: never counted too high
            if self.generation == self.server.generation:
                self.server.in_flight -= 1
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if status == 429 and self.server.retry_after is not None:
            self.send_header("Retry-After", self.server.retry_after)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def _zone(params: dict[str, str]) -> str:
    return next((params[name] for name in ZONE_PARAMETERS if name in params), "")


def _moment(text: str) -> pd.Timestamp:
    """periodStart and periodEnd: yyyyMMddHHmm in UTC."""
    return pd.Timestamp(dt.datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=dt.UTC))


def _acknowledgement(reason: str, code: str) -> bytes:
    import sample_documents as samples

    return samples.acknowledgement(reason, code)
