"""Untrusted XML, parsed safely: the one place that decides how.

No DTD, no entities, no network, and libxml2's size and depth limits: XXE, billion laughs and
deeply nested bodies are refused before any work grows with them. Push bodies and documents are
both parsed here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from lxml import etree

from .errors import BadInput

_SAFE: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,  # keeps libxml2's limits: depth 256, text nodes 10 MB
    "remove_comments": True,
    "remove_pis": True,
    "remove_blank_text": True,  # half the nodes: less memory, faster XPath
    "collect_ids": False,  # no xml:id index: nothing looks elements up by id
}


def parse_xml(data: bytes) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, libxml2's size and depth limits."""
    parser = etree.XMLParser(**_SAFE)  # one per call: a parser must not be shared by threads
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise BadInput(_syntax_message(error)) from None
    _refuse_doctype(root)
    return root


def stream_xml(data: bytes, tag: str) -> Iterator[etree._Element]:
    """Parse untrusted XML piece by piece, as safely as parse_xml.

    Yields each element called `tag` (in any namespace) once it is complete, then the root last.
    When the caller asks for the next one, that element and its earlier siblings are dropped:
    the tree never holds more than one of them.
    """
    events = etree.iterparse(io.BytesIO(data), events=("end",), tag=f"{{*}}{tag}", **_SAFE)
    checked = False
    try:
        for _, element in events:
            if not checked:
                _refuse_doctype(element)
                checked = True
            yield element
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
        root = events.root
    except etree.XMLSyntaxError as error:
        raise BadInput(_syntax_message(error)) from None
    _refuse_doctype(root)
    yield root


def refuse_dtd(data: bytes) -> None:
    # Entities can only be declared inside a DOCTYPE: refusing it stops XXE and billion laughs.
    if b"<!DOCTYPE" in data:
        raise BadInput("DTDs and entity declarations are not accepted (the body has a DOCTYPE)")


def _refuse_doctype(element: etree._Element) -> None:
    # Entities were left unexpanded; a DTD is still refused, whatever the encoding.
    doctype: str = element.getroottree().docinfo.doctype  # type: ignore[attr-defined]
    if doctype:
        raise BadInput("DTDs and entity declarations are not accepted (the XML has a DOCTYPE)")


def root_name(data: bytes) -> str:
    """The root element's local name, read from the first bytes only."""
    events = etree.iterparse(io.BytesIO(data), events=("start",), **_SAFE)
    try:
        _, element = next(events)
    except etree.XMLSyntaxError as error:
        raise BadInput(_syntax_message(error)) from None
    except StopIteration:
        raise BadInput("body holds no XML element") from None
    return etree.QName(element).localname


def _syntax_message(error: etree.XMLSyntaxError) -> str:
    message = str(error.msg or error).splitlines()[0]
    if "depth" in message.lower():
        return "XML nested too deeply (libxml2 stops at 256 levels)"
    return f"not well-formed XML: {message}"
