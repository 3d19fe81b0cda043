"""The HTTP body of a push -> the ENTSO-E document it carries, with the envelope's metadata.

A push is a bare document or a SOAP 1.1/1.2 envelope (IEC 62325-504):
`Envelope > Body > RequestMessage > Header (Verb, Noun, ...) > Payload > <document>`, where
the payload may instead be base64-gzip in `Compressed`. A webhook may hand the body over as a
JSON-escaped string. The body is untrusted: every limit below holds before any work is done
that could grow with it. A bare document is handed on after the cheap checks (size, DTD, root
element) without being parsed twice: documents.parse streams it with the same safe settings
and refuses what is malformed or nested too deeply.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

from lxml import etree

from .errors import BadInput
from .safe_xml import parse_xml, refuse_dtd, root_name

MAX_BODY_BYTES = 50 * 1024 * 1024
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024  # a compressed payload, once inflated
# The namespaces of the push channel (IEC 62325-504), defined here only.
SOAP_11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_12 = "http://www.w3.org/2003/05/soap-envelope"
MESSAGE = "http://iec.ch/TC57/2011/schema/message"
SOAP_VERSIONS = {SOAP_11: "1.1", SOAP_12: "1.2"}
MESSAGES = ("RequestMessage", "EventMessage")  # IEC 61968-100 messages that carry a payload
HEADER_FIELDS = ("Verb", "Noun", "Context", "MessageID", "Timestamp")  # kept on Push, in order
_BOM = b"\xef\xbb\xbf"
_JSON_ESCAPE = re.compile(r'\\(u[0-9a-fA-F]{4}|["\\/bfnrt])')
_JSON_CHARS = dict(zip('"\\/bfnrt', '"\\/\b\f\n\r\t', strict=True))
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class Push:
    """The document of a push (bytes, as sent) and what the envelope said about it."""

    document: bytes
    verb: str | None = None
    noun: str | None = None
    context: str | None = None
    message_id: str | None = None
    timestamp: str | None = None
    soap_version: str | None = None  # "1.1" or "1.2"; None when no SOAP envelope came
    compressed: bool = False


def extract(
    body: bytes | str,
    *,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_document_bytes: int = MAX_DOCUMENT_BYTES,
) -> Push:
    """The document a push body carries; BadInput when there is none or the body is hostile."""
    if len(body) > max_body_bytes:  # before encoding a text body: its bytes are no fewer
        raise BadInput(f"body is larger than the limit of {max_body_bytes} bytes")
    data = body.encode() if isinstance(body, str) else bytes(body)
    if len(data) > max_body_bytes:
        raise BadInput(f"body is larger than the limit of {max_body_bytes} bytes")
    data = _unescape(_trim(data))
    if not data:
        raise BadInput("empty body")
    refuse_dtd(data)
    if root_name(data) not in ("Envelope", *MESSAGES):
        return Push(document=data)  # a bare document: parsed once, later, by documents.parse
    return _open_envelope(parse_xml(data), max_document_bytes)


def _trim(data: bytes) -> bytes:
    """Without leading blanks and BOM, which XML forbids before its declaration. Trailing blanks
    are allowed and stay: stripping them would copy a long document for nothing."""
    data = data.lstrip()
    if data.startswith(_BOM):
        data = data[len(_BOM) :].lstrip()
    return data


def _unescape(data: bytes) -> bytes:
    """A body that arrived JSON-escaped, as a string literal or as its bare inside."""
    if data.startswith(b'"'):
        try:
            text = json.loads(data)
        except ValueError:
            raise BadInput("body starts like a JSON string but is not one") from None
        if not isinstance(text, str):
            raise BadInput("body is JSON but not a string")
        return _utf8(text)
    # The escaped inside of a JSON string: every quote is escaped (seed capture: `=\"...\"`).
    escaped = b"\\" in data and (b'\\"' in data or b"\\n" in data)
    if escaped and data.count(b'"') == data.count(b'\\"'):
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise BadInput("escaped body is not UTF-8") from None
        return _utf8(_JSON_ESCAPE.sub(_unescape_one, text))
    return data


def _unescape_one(match: re.Match[str]) -> str:
    code = match.group(1)
    return chr(int(code[1:], 16)) if code.startswith("u") else _JSON_CHARS[code]


def _utf8(text: str) -> bytes:
    # The text is Unicode now: a declared encoding (say ISO-8859-1) would no longer be true.
    text = _XML_DECLARATION.sub("", text.lstrip("\ufeff"), count=1)
    try:
        return _trim(text.encode())
    except UnicodeEncodeError:
        raise BadInput("escaped body holds an invalid \\u escape") from None


def _open_envelope(root: etree._Element, max_document_bytes: int) -> Push:
    root_name = etree.QName(root)
    soap_version = None
    message: etree._Element | None = root
    if root_name.localname == "Envelope":
        soap_version = SOAP_VERSIONS.get(root_name.namespace or "")
        if soap_version is None:
            raise BadInput(f"unknown SOAP envelope namespace {root_name.namespace!r}")
        body = root.find(f"{{{root_name.namespace}}}Body")
        if body is None:
            raise BadInput("SOAP envelope without a Body")
        message = _first_element(body)
    if message is None:
        raise BadInput("the SOAP Body is empty: no document in the push")
    message_name = etree.QName(message)
    if message_name.localname not in MESSAGES:
        # A document straight in the Body: no message header to keep.
        return Push(document=_serialise(message), soap_version=soap_version)

    ns = message_name.namespace
    tag = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    header = message.find(tag("Header"))
    verb, noun, context, message_id, timestamp = (
        _text(header.findtext(tag(name))) if header is not None else None for name in HEADER_FIELDS
    )

    def pushed(document: bytes, compressed: bool = False) -> Push:
        return Push(document, verb, noun, context, message_id, timestamp, soap_version, compressed)

    payload = message.find(tag("Payload"))
    if payload is None:
        raise BadInput("the message has no Payload: no document in the push")
    compressed = payload.find(tag("Compressed"))
    if compressed is not None:
        document = _trim(_inflate(compressed.text or "", max_document_bytes))
        if not document:
            raise BadInput("the compressed payload is empty: no document in the push")
        refuse_dtd(document)
        return pushed(document, compressed=True)
    # The document is the Payload's element that is not part of the message (Format, ...).
    element = next(
        (
            child
            for child in payload
            if isinstance(child.tag, str) and etree.QName(child).namespace != ns
        ),
        None,
    )
    if element is None:
        raise BadInput("the Payload holds no document")
    return pushed(_serialise(element))


def _inflate(text: str, limit: int) -> bytes:
    """base64-gzip -> bytes, inflated piece by piece so that a bomb stops at `limit`."""
    try:
        packed = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("the compressed payload is not base64") from None
    if not packed:
        raise BadInput("the compressed payload is empty: no document in the push")
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 32)  # gzip or zlib header
    document = bytearray()
    try:
        while packed and not inflater.eof:
            document += inflater.decompress(packed, limit + 1 - len(document))
            if len(document) > limit:
                raise BadInput(f"the compressed payload inflates past {limit} bytes")
            packed = inflater.unconsumed_tail
    except zlib.error as error:
        raise BadInput(f"the compressed payload is not gzip ({error})") from None
    if not inflater.eof:
        raise BadInput("the compressed payload is truncated")
    return bytes(document)


def _first_element(parent: etree._Element) -> etree._Element | None:
    return next((child for child in parent if isinstance(child.tag, str)), None)


def _serialise(element: etree._Element) -> bytes:
    return etree.tostring(element, encoding="UTF-8", xml_declaration=False, with_tail=False)


def _text(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def soap_reply(result: str = "OK", correlation_id: str | None = None) -> bytes:
    """The acknowledgement the ENTSO-E push channel expects (IEC 62325-504); it names the
    request's MessageID as its CorrelationID when the request had one."""
    correlation = (
        f"<msg:CorrelationID>{escape(correlation_id)}</msg:CorrelationID>" if correlation_id else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<env:Envelope xmlns:env="{SOAP_12}"><env:Body>'
        f'<msg:ResponseMessage xmlns:msg="{MESSAGE}"><msg:Header><msg:Verb>reply</msg:Verb>'
        f"<msg:Noun>ETP-DOCUMENT</msg:Noun>{correlation}</msg:Header>"
        f"<msg:Reply><msg:Result>{result}</msg:Result></msg:Reply>"
        f"</msg:ResponseMessage></env:Body></env:Envelope>\n"
    ).encode()


def soap_fault(reason: str) -> bytes:
    """A SOAP 1.2 Sender fault that says why the push was refused."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<env:Envelope xmlns:env="{SOAP_12}"><env:Body><env:Fault>'
        f"<env:Code><env:Value>env:Sender</env:Value></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(reason)}</env:Text></env:Reason>'
        f"</env:Fault></env:Body></env:Envelope>\n"
    ).encode()
