"""The ENTSO-E REST API (contract 7): installed capacity (A68) and documents for pull mode.

Reached through entsoe-py's raw client, which honours `ENTSOE_ENDPOINT_URL` (read once, when
entsoe is imported). The key travels in the request's URL as `securityToken`, and requests'
error texts repeat that URL: every failure becomes `Unavailable` with a one-line reason of our
own, raised `from None`, and the library loggers that would print the URL have the key masked.

The platform allows 400 requests a minute per user (API token) and bans a token that asks more
for about 10 minutes, answering HTTP 429 (its knowledge base, "API Rate Limit Part 1":
https://transparencyplatform.zendesk.com/hc/en-us/articles/12783148966036-API-Rate-Limit-Part-1).
A 429 is asked again, after `Retry-After` when the answer gives one, else after a backoff.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, cast

import pandas as pd
import requests
from lxml import etree

from .. import settings
from ..core.errors import BadInput
from ..core.glance import ACKNOWLEDGEMENT, acknowledgement_reason
from ..core.safe_xml import parse_xml
from ..core.zones import area_timezone

API_KEY_ENV = "ENTSOE_API_KEY"
API_KEY_BLOCK = f"{settings.PROJECT_SLUG}-entsoe-api-key"  # the Secret block deploy saves
TIMEOUT_ENV = "PIPELINE_ENTSOE_TIMEOUT"  # seconds per request
DEFAULT_TIMEOUT = 30.0
# A request answered 429 (too many requests) is made up to RETRY_ATTEMPTS times in all, after
# Retry-After seconds, else after RETRY_BASE doubled at each attempt. No wait is longer than
# RETRY_CAP: a longer Retry-After (a ban lasts about 10 minutes) gives up at once, as asking
# sooner than told could only prolong it.
RETRY_ATTEMPTS = 4
RETRY_BASE = 2.0  # seconds
RETRY_CAP = 60.0  # seconds

_logger = logging.getLogger(__name__)

# Document type -> entsoe-py's raw client query. A69, A71 and A65 take the process type asked
# (A69: A01 day-ahead by default, A40 intraday, A18 current; A65: A16 is the actual load).
PULL_QUERIES = {
    "A69": "query_wind_and_solar_forecast",
    "A71": "query_generation_forecast",
    "A65": "query_load_forecast",
    "A44": "query_day_ahead_prices",
    "A75": "query_generation",
}
FIXED_PROCESS: dict[str, str | None] = {"A44": None, "A75": "A16"}  # these choose their own


class Unavailable(Exception):
    """The API gave nothing usable; str() is one line saying why, never the URL or the key."""


class _TooManyRequests(Exception):
    """HTTP 429; `retry_after` is the seconds the answer asks to wait, if it says."""

    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after


class _MaskKey(logging.Filter):
    """entsoe-py (DEBUG) and urllib3 (DEBUG) log the request with its securityToken."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "securityToken" in message:
            record.msg, record.args = re.sub(r"(securityToken\W+)[^&'\"\s]+", r"\1***", message), ()
        return True


for _name in ("entsoe.entsoe", "urllib3.connectionpool"):
    logging.getLogger(_name).addFilter(_MaskKey())


def api_key() -> str:
    """The Secret block if it exists (cloud; the local stack seeds it), else ENTSOE_API_KEY."""
    from prefect.blocks.system import Secret

    try:
        block = cast("Secret[str]", Secret.load(API_KEY_BLOCK))  # sync code: not a coroutine
    except ValueError:  # no such block: a plain local run
        key = os.environ.get(API_KEY_ENV, "")
    else:
        key = str(block.get())
    if not key:
        raise Unavailable(
            f"no ENTSO-E API key: neither the Secret block {API_KEY_BLOCK} nor {API_KEY_ENV}"
        )
    return key


def installed_capacity(zone: str, year: int, key: str) -> dict[str, float]:
    """Installed generation capacity (A68) of a bidding zone for a year: psrType -> MW."""
    tz = area_timezone(zone)
    start = pd.Timestamp(year=year, month=1, day=1, tz=tz)
    document = _ask(
        "query_installed_generation_capacity", zone, start, start + pd.DateOffset(years=1), key
    )
    capacity: dict[str, float] = {}
    for series in parse_xml(document).iterfind("{*}TimeSeries"):
        psr = (series.findtext("{*}MktPSRType/{*}psrType") or "").strip()
        points = series.findall("{*}Period/{*}Point/{*}quantity")
        if psr and points:  # one point (resolution P1Y); a repeated type keeps the last
            capacity[psr] = float(points[-1].text or "nan")
    if not capacity:
        raise Unavailable("no installed capacity in the answer")
    return capacity


def fetch_document(
    document_type: str,
    zone: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    key: str,
    process_type: str | None = None,
) -> bytes:
    """The XML document the API answers for one type and zone over [start, end) (UTC)."""
    if document_type not in PULL_QUERIES:
        raise ValueError(f"no REST API query for document type {document_type}")
    extra: dict[str, Any] = {}
    if document_type in FIXED_PROCESS:
        if process_type not in (None, FIXED_PROCESS[document_type]):
            raise ValueError(f"{document_type} cannot be asked for process type {process_type}")
    elif process_type is not None:
        extra["process_type"] = process_type
    return _ask(PULL_QUERIES[document_type], zone, start, end, key, **extra)


def _ask(
    method: str, zone: str, start: pd.Timestamp, end: pd.Timestamp, key: str, **extra: Any
) -> bytes:
    from entsoe.mappings import lookup_area

    try:
        lookup_area(zone)
    except ValueError:
        raise Unavailable(f"entsoe-py does not know the bidding zone {zone}") from None

    timeout = _timeout()
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            return _ask_once(method, zone, start, end, key, timeout, **extra)
        except _TooManyRequests as busy:
            wait = busy.retry_after
            if wait is None:
                wait = min(RETRY_CAP, RETRY_BASE * 2 ** (attempt - 1))
            if wait > RETRY_CAP:
                raise Unavailable(
                    f"HTTP 429 too many requests: the API asks to wait {wait:g} s"
                ) from None
            if attempt < RETRY_ATTEMPTS:
                _logger.warning(
                    "HTTP 429 too many requests: asking again in %g s (attempt %d of %d)",
                    wait,
                    attempt + 1,
                    RETRY_ATTEMPTS,
                )
                time.sleep(wait)
    raise Unavailable(f"HTTP 429 too many requests, still after {RETRY_ATTEMPTS} attempts")


def _ask_once(
    method: str,
    zone: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    key: str,
    timeout: float,
    **extra: Any,
) -> bytes:
    from entsoe import exceptions
    from entsoe.entsoe import EntsoeRawClient

    # The raw client returns text decoded with a guessed charset: keep the bytes as sent.
    answers: list[bytes] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *_, **__: answers.append(response.content))
    # entsoe-py's own retry (connection errors only, retry_delay 10 s each) is off: the caller
    # carries on anyway. _ask retries a 429 itself.
    # requests takes float seconds; entsoe-py's hint says int.
    client = EntsoeRawClient(
        key,
        session=session,
        retry_count=1,
        retry_delay=0,
        timeout=timeout,  # type: ignore[arg-type]
    )
    query: Callable[..., str] = getattr(client, method)
    try:
        query(zone, start=start, end=end, **extra)
    except exceptions.NoMatchingDataError:
        raise Unavailable("no matching data") from None
    except requests.HTTPError as error:
        response = error.response
        if response is not None and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
            raise _TooManyRequests(_seconds(response.headers.get("Retry-After"))) from None
        raise Unavailable(_status(response)) from None
    except requests.Timeout:
        raise Unavailable(f"timed out after {timeout:g} s") from None
    except requests.ConnectionError:
        raise Unavailable("could not connect to the ENTSO-E API") from None
    except requests.RequestException as error:
        raise Unavailable(f"request failed ({type(error).__name__})") from None
    except (
        exceptions.InvalidBusinessParameterError,
        exceptions.InvalidPSRTypeError,
        exceptions.PaginationError,
    ) as error:
        raise Unavailable(f"the API refused the query ({type(error).__name__})") from None
    finally:
        session.close()
    return _data(answers[-1])


def _data(document: bytes) -> bytes:
    """The document, or Unavailable when it is no XML or an acknowledgement (no data)."""
    try:
        root = parse_xml(document)
    except BadInput as error:
        raise Unavailable(f"the answer is not a document: {error}") from None
    if etree.QName(root).localname == ACKNOWLEDGEMENT:
        reason = acknowledgement_reason(root)
        raise Unavailable("no matching data" if "No matching data" in reason else "no data")
    return document


def _status(response: requests.Response | None) -> str:
    if response is None:
        return "HTTP error"
    try:
        phrase = HTTPStatus(response.status_code).phrase.lower()
    except ValueError:
        phrase = "error"
    return f"HTTP {response.status_code} {phrase}"


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After in seconds; None when absent or not a number (an HTTP date is not expected)."""
    try:
        return max(0.0, float(retry_after or ""))
    except ValueError:
        return None


def _timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV) or str(DEFAULT_TIMEOUT)
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise Unavailable(f"{TIMEOUT_ENV} must be a positive number of seconds, not {raw!r}")
    return seconds
