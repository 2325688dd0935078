"""The input rules shared by every way in (WebSocket, SSE, REST, AG-UI, the CLI).

One owner for each rule: what a message's text may be, what a seq cursor may be,
and how a JSON body is decoded. Every edge calls these, so a bad value gets the
same clear refusal everywhere instead of a 500 from the database or the decoder.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

MAX_TEXT_LENGTH = 8_000
MAX_REASON_LENGTH = 2_000
MAX_CLIENT_ID_LENGTH = 100
MAX_FRAME_BYTES = 64 * 1024
# Seqs are bigints; a cursor past this cannot name an event and would overflow.
MAX_SEQ = 2**62

# Lone surrogates cannot be encoded as UTF-8 (both databases refuse them) and
# PostgreSQL refuses NUL in text: neither can be stored, so neither is accepted.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SEQ = re.compile(r"[0-9]{1,19}")


class BadInput(ValueError):
    """A value from a client that the protocol refuses; the message says why."""


def storable_problem(value: str, field: str) -> str | None:
    """What keeps a string from being stored as it is, or None."""
    if _UNSTORABLE.search(value):
        return (
            f"'{field}' contains NUL or an unpaired surrogate, which cannot be stored"
        )
    return None


def text_problem(value: Any, field: str) -> str | None:
    """What is wrong with a user message's text, or None when it is acceptable."""
    if not isinstance(value, str) or not value.strip():
        return f"'{field}' must be a non-empty string"
    if len(value) > MAX_TEXT_LENGTH:
        return f"'{field}' is longer than {MAX_TEXT_LENGTH} characters"
    return storable_problem(value, field)


def steer_problem(value: Any) -> str | None:
    """What is wrong with a message's optional `steer` flag, or None."""
    if value is None or isinstance(value, bool):
        return None
    return "'steer' must be true or false"


def client_id_problem(value: Any) -> str | None:
    """What is wrong with a message's optional `client_id`, or None."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_CLIENT_ID_LENGTH:
        return f"'client_id' must be a string of 1-{MAX_CLIENT_ID_LENGTH} characters"
    return storable_problem(value, "client_id")


def _strings_problem(value: Any, field: str) -> str | None:
    """`storable_problem` for every string (keys too) in decoded JSON."""
    if isinstance(value, str):
        return storable_problem(value, field)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    return next((p for item in items if (p := _strings_problem(item, field))), None)


REMEMBER_SCOPES = ("session", "agent")


def parse_decision(content: dict) -> tuple[bool, dict | None, str, str | None]:
    """A decision on an approval, as the `resolve` frame and the REST body
    spell it: `decision` "approve" or "reject", optional edited `args` (an
    object), `reason`, and `remember` ("session" or "agent", approvals only).
    Returns (approve, args, reason, remember)."""
    decision = content.get("decision")
    if decision not in ("approve", "reject"):
        raise BadInput('\'decision\' must be "approve" or "reject"')
    args = content.get("args")
    if args is not None and not isinstance(args, dict):
        raise BadInput("'args' must be an object of the tool's arguments")
    if args is not None and decision == "reject":
        raise BadInput("'args' edits a call to approve it; a rejection takes none")
    reason = content.get("reason", "") or ""
    if not isinstance(reason, str) or len(reason) > MAX_REASON_LENGTH:
        raise BadInput(
            f"'reason' must be a string of at most {MAX_REASON_LENGTH} characters"
        )
    if problem := storable_problem(reason, "reason") or (
        args is not None and _strings_problem(args, "args")
    ):
        raise BadInput(problem)
    remember = content.get("remember")
    if remember is not None and remember not in REMEMBER_SCOPES:
        raise BadInput('\'remember\' must be "session" or "agent"')
    if remember is not None and decision == "reject":
        raise BadInput("'remember' keeps an approval; a rejection is not remembered")
    return decision == "approve", args, reason, remember


def parse_uuid(raw: Any, field: str) -> uuid.UUID:
    """An id the protocol spells as a UUID string."""
    if isinstance(raw, str) and len(raw) <= 64:
        try:
            return uuid.UUID(raw)
        except ValueError:
            pass
    raise BadInput(f"'{field}' must be an id (a UUID string)")


def parse_seq(raw: Any, field: str = "after") -> int:
    """A seq cursor (`after`, `Last-Event-ID`, a path's seq): a non-negative
    integer, as a JSON number or a string of ASCII digits. `str.isdigit()`
    admits '²' and other digits `int()` refuses, so the rule is spelled here."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _SEQ.fullmatch(raw):
        value = int(raw)
    else:
        raise BadInput(f"'{field}' must be a non-negative integer")
    if not 0 <= value <= MAX_SEQ:
        raise BadInput(f"'{field}' must be a non-negative integer up to {MAX_SEQ}")
    return value


def _refuse_constant(name: str) -> None:
    raise BadInput(f"{name} is not valid JSON")


def decode_json(raw: bytes | str) -> Any:
    """Decode a JSON body or frame, refusing what the standard library would
    crash on or accept against the standard: nesting deeper than the
    interpreter's stack (a RecursionError, which became a 500 or a 1011),
    NaN and Infinity, and bytes that are not UTF-8."""
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadInput("JSON nested too deeply") from None
    except UnicodeDecodeError:
        raise BadInput("the body is not UTF-8") from None
    except BadInput:
        raise
    except ValueError:
        raise BadInput("not valid JSON") from None
