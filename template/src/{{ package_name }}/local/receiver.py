"""The local stand-in for the Prefect Cloud webhook: HTTP push in, Prefect event out.

It renders the event from the same template file (`webhook.json`) that `deploy` gives Prefect
Cloud, and speaks to ENTSO-E as its push channel expects: an empty POST (the connection check)
gets 200; a push is kept in the inbox before anything else, then checked, then turned into an
event, and only then acknowledged with a SOAP `ResponseMessage` whose `Reply/Result` is OK.
A bad body gets 400 with a SOAP fault and goes to quarantine; a body over the limit gets 413;
when Prefect cannot take the event the answer is 503 and the push waits in the inbox for replay.
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from .. import settings
from ..events import render_event
from ..pipeline import documents, push
from ..pipeline.errors import BadInput
from ..pipeline.push import soap_fault, soap_reply
from .inbox import Inbox

PATH = "/entsoe"
# The open-source server drops events over about 1.5 MB without a word: larger bodies travel as
# a reference to their inbox file instead.
MAX_EVENT_BODY_BYTES = 1_000_000


def check(body: bytes) -> None:
    """Refuse with BadInput what the flow would refuse: hostile, malformed, unwanted."""
    documents.require_type(documents.parse(push.extract(body).document), settings.DOCUMENT_TYPES)


def event_for(path: Path, content_type: str) -> dict[str, Any]:
    """The event of one inbox item; a large body travels as a reference to its file."""
    body = path.read_bytes()
    event = render_event(body.decode("utf-8", errors="replace"), {"content-type": content_type})
    if len(body) > MAX_EVENT_BODY_BYTES:
        event["payload"]["body"] = ""
        event["payload"]["reference"] = str(path.resolve())
    event["payload"]["receipt"] = path.stem
    event["id"] = str(uuid.uuid4())
    event["occurred"] = datetime.now(UTC).isoformat()
    return event


def emit(api_url: str, event: dict[str, Any]) -> None:
    """Hand the event to Prefect and wait for its answer (raises when it is not taken)."""
    response = httpx.post(f"{api_url.rstrip('/')}/events", json=[event], timeout=10)
    response.raise_for_status()


class Receiver(ThreadingHTTPServer):
    """POST /entsoe and GET /healthz, on loopback."""

    daemon_threads = True

    def __init__(self, port: int, inbox: Inbox, api_url: str, max_body_bytes: int) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.inbox = inbox
        self.api_url = api_url
        self.max_body_bytes = max_body_bytes
        self.ready = threading.Event()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="receiver", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: Receiver
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        if self.path != "/healthz":
            return self._answer(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        if not self.server.ready.is_set():
            return self._answer(HTTPStatus.SERVICE_UNAVAILABLE, b"starting\n", "text/plain")
        return self._answer(HTTPStatus.OK, b"ok\n", "text/plain")

    def do_POST(self) -> None:
        if self.path != PATH:
            return self._answer(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain")
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_body_bytes:
            self.close_connection = True  # the body is not read
            self._log("warning", f"refused {length} bytes (413): over {self.server.max_body_bytes}")
            fault = soap_fault(f"body over {self.server.max_body_bytes} bytes")
            return self._soap(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, fault)
        body = self._read(length)
        if not body.strip():
            return self._soap(HTTPStatus.OK, soap_reply())  # ENTSO-E's connection check
        kept = self.server.inbox.keep(body)
        try:
            check(body)
        except BadInput as error:
            self.server.inbox.refuse(kept, str(error))
            self._log("warning", f"refused {kept.name} (400), moved to quarantine: {error}")
            return self._soap(HTTPStatus.BAD_REQUEST, soap_fault(str(error)))
        content_type = self.headers.get("Content-Type", "")
        try:
            emit(self.server.api_url, event_for(kept, content_type))
        except httpx.HTTPError as error:
            self._log("warning", f"kept {kept.name} for replay: Prefect did not take it ({error})")
            return self._soap(HTTPStatus.SERVICE_UNAVAILABLE, soap_fault("try again later"))
        self._log("info", f"took {kept.name}: event sent to Prefect")
        return self._soap(HTTPStatus.OK, soap_reply())

    def _read(self, length: int) -> bytes:
        body = self.rfile.read(length) if length else b""
        if not body.strip():
            # Right for ENTSO-E's connection check, a mistake from anyone else: say so either way.
            self._log("warning", "empty POST: answered as a connection check, no event")
        return body

    def _log(self, level: str, message: str) -> None:
        self.log_message("%s: %s", level, message)

    def _soap(self, status: HTTPStatus, body: bytes) -> None:
        self._answer(status, body, "application/soap+xml; charset=utf-8")

    def _answer(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
