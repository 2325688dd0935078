"""JSON request bodies decoded by the shared input rule (conversations.inputs)."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from conversations.inputs import BadInput, decode_json


class JSONBodyParser(JSONParser):
    """DRF's JSON parser, but deep nesting is a 400 rather than a RecursionError."""

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            return decode_json(stream.read())
        except BadInput as exc:
            raise ParseError(f"JSON parse error: {exc}") from None
