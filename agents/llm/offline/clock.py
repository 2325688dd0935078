"""The offline model tells the time with an MCP time server's tools.

"What time is it in Tokyo?", "current time in Europe/Paris", "convert 9:30
from London to New York", "when it is 3pm in Sydney, what time is it in
Berlin?": it asks `get_current_time` or `convert_time` of whichever server the
agent connects to (the tools are found by their names on the server, e.g.
`mcp_clock__get_current_time`, the way the reference `mcp-server-time`
declares them), with IANA zone names read from the places people say.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import Answer, Outcome, Plan, Request, Step, reason

NOW, CONVERT = "get_current_time", "convert_time"

# The places people name, by the IANA zone the server knows them by.
ZONES = {
    "utc": "UTC", "gmt": "UTC", "london": "Europe/London", "uk": "Europe/London",
    "england": "Europe/London", "dublin": "Europe/Dublin", "ireland": "Europe/Dublin",
    "lisbon": "Europe/Lisbon", "portugal": "Europe/Lisbon", "paris": "Europe/Paris",
    "france": "Europe/Paris", "berlin": "Europe/Berlin", "germany": "Europe/Berlin",
    "madrid": "Europe/Madrid", "spain": "Europe/Madrid", "rome": "Europe/Rome",
    "italy": "Europe/Rome", "amsterdam": "Europe/Amsterdam", "brussels": "Europe/Brussels",
    "zurich": "Europe/Zurich", "vienna": "Europe/Vienna", "stockholm": "Europe/Stockholm",
    "oslo": "Europe/Oslo", "copenhagen": "Europe/Copenhagen", "helsinki": "Europe/Helsinki",
    "warsaw": "Europe/Warsaw", "prague": "Europe/Prague", "athens": "Europe/Athens",
    "istanbul": "Europe/Istanbul", "turkey": "Europe/Istanbul", "moscow": "Europe/Moscow",
    "kyiv": "Europe/Kyiv", "cairo": "Africa/Cairo", "egypt": "Africa/Cairo",
    "lagos": "Africa/Lagos", "nigeria": "Africa/Lagos", "nairobi": "Africa/Nairobi",
    "kenya": "Africa/Nairobi", "johannesburg": "Africa/Johannesburg",
    "south africa": "Africa/Johannesburg", "dubai": "Asia/Dubai", "tehran": "Asia/Tehran",
    "karachi": "Asia/Karachi", "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata", "india": "Asia/Kolkata", "kathmandu": "Asia/Kathmandu",
    "nepal": "Asia/Kathmandu", "dhaka": "Asia/Dhaka", "bangkok": "Asia/Bangkok",
    "thailand": "Asia/Bangkok", "jakarta": "Asia/Jakarta", "singapore": "Asia/Singapore",
    "hong kong": "Asia/Hong_Kong", "beijing": "Asia/Shanghai", "shanghai": "Asia/Shanghai",
    "china": "Asia/Shanghai", "taipei": "Asia/Taipei", "seoul": "Asia/Seoul",
    "korea": "Asia/Seoul", "tokyo": "Asia/Tokyo", "japan": "Asia/Tokyo",
    "sydney": "Australia/Sydney", "melbourne": "Australia/Melbourne",
    "brisbane": "Australia/Brisbane", "perth": "Australia/Perth",
    "auckland": "Pacific/Auckland", "new zealand": "Pacific/Auckland",
    "honolulu": "Pacific/Honolulu", "hawaii": "Pacific/Honolulu",
    "anchorage": "America/Anchorage", "los angeles": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "vancouver": "America/Vancouver", "denver": "America/Denver",
    "chicago": "America/Chicago", "mexico city": "America/Mexico_City",
    "mexico": "America/Mexico_City", "new york": "America/New_York",
    "boston": "America/New_York", "washington": "America/New_York",
    "toronto": "America/Toronto", "montreal": "America/Toronto",
    "bogota": "America/Bogota", "lima": "America/Lima", "peru": "America/Lima",
    "santiago": "America/Santiago", "buenos aires": "America/Argentina/Buenos_Aires",
    "argentina": "America/Argentina/Buenos_Aires", "sao paulo": "America/Sao_Paulo",
    "são paulo": "America/Sao_Paulo", "rio de janeiro": "America/Sao_Paulo",
    "brazil": "America/Sao_Paulo",
}  # fmt: skip
_IANA = r"[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_+-]+){1,2}"
_PLACES = "|".join(re.escape(p) for p in sorted(ZONES, key=len, reverse=True))


def _place(group: str) -> str:
    return rf"(?P<{group}>{_IANA}|{_PLACES})"


_CLOCK = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<half>am|pm|a\.m\.|p\.m\.)?"
_NOW = re.compile(
    r"^(?:(?:what|wat)\s*(?:is|'s)?\s+(?:the\s+)?(?:current\s+|local\s+)?time"
    r"(?:\s+is\s+it)?(?:\s+(?:right\s+)?now)?|what\s+time\s+is\s+it(?:\s+now)?|"
    r"(?:the\s+)?(?:current|local)\s+time|time|tell\s+me\s+the\s+time)"
    rf"(?:\s+(?:in|for|at)\s+{_place('place')})?(?:\s+(?:right\s+)?now)?$",
    re.I,
)
_CONVERTS = (
    re.compile(
        rf"^(?:convert\s+|what\s+is\s+|what's\s+)?{_CLOCK}\s+(?:in|from)\s+"
        rf"{_place('source')}(?:\s+time)?\s+(?:to|in|into)\s+"
        rf"{_place('target')}(?:\s+time)?$",
        re.I,
    ),
    re.compile(
        rf"^(?:when\s+|if\s+)?it\s+is\s+{_CLOCK}\s+in\s+{_place('source')}"
        r",?\s+(?:what\s+time\s+is\s+it|what\s+is\s+the\s+time)\s+in\s+"
        rf"{_place('target')}$",
        re.I,
    ),
)


def plan(request: Request) -> Plan | None:
    """None unless the agent has a time server and the message asks the time
    (without one, the model's fallback says the question is out of reach)."""
    if _tool(request, NOW) is None and _tool(request, CONVERT) is None:
        return None
    text = re.sub(r"[?!.\s]+$", "", request.text.strip())
    text = re.sub(r"^(?:please|can\s+you\s+tell\s+me|and)\s+", "", text, flags=re.I)
    if match := _NOW.match(text):
        place = match["place"] or "UTC"
        return replace(_now(request, place, zone(place)), topic="time")
    for pattern in _CONVERTS:
        if match := pattern.match(text):
            return replace(_converted(request, match), topic="time")
    return None


def zone(place: str) -> str:
    """The IANA zone of a place as written ("tokyo", "Europe/Paris")."""
    return ZONES.get(place.lower(), place)


def _tool(request: Request, name: str) -> str | None:
    """The agent's tool that is `name` on its server (`mcp_<server>__<name>`)."""
    return next(
        (tool for tool in sorted(request.tools) if tool.endswith(f"__{name}")), None
    )


def _no_tool(name: str, request: Request) -> Answer:
    return Answer(
        f"The time server here has no {name} tool.",
        f"I can't do that with this time server. {what_i_can_do(request)}",
    )


def _ask(
    request: Request, name: str, thought: str, failed: str, **args: Any
) -> Plan | Outcome:
    """The call of the server's `name` tool, its failure told, or its outcome."""
    tool = _tool(request, name)
    if tool is None:
        return _no_tool(name, request)
    outcome = request.outcome(0)
    if outcome is None:
        return Step(thought, (request.call(0, tool, **args),))
    if outcome.error is not None:
        return Answer(
            f"{name} failed: {outcome.error}. I'll tell the user.",
            f"{failed}: {reason(outcome.error)}.",
        )
    return outcome


def _now(request: Request, place: str, iana: str) -> Plan:
    outcome = _ask(
        request,
        NOW,
        f"The user wants the current time in {place}; the time server's {NOW} "
        f"gives it for the zone {iana}.",
        f"I can't tell the time in {place}",
        timezone=iana,
    )
    if not isinstance(outcome, Outcome):
        return outcome
    said = _time(outcome.result)
    if said is None:
        return Answer("The time server answered in words.", f"{outcome.result}")
    return Answer(
        "The time server has answered, so I can reply.",
        f"It is {said['time']} on {said['day']} {said['date']} in {place} ({iana}).",
    )


def _converted(request: Request, match: re.Match) -> Plan:
    source, target = match["source"], match["target"]
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    half = (match["half"] or "").replace(".", "").lower()
    if half == "pm" and hour < 12:
        hour += 12
    elif half == "am" and hour == 12:
        hour = 0
    clock = f"{hour:02d}:{minute:02d}"
    outcome = _ask(
        request,
        CONVERT,
        f"The user wants {clock} in {source} as the time in {target}; the time "
        f"server's {CONVERT} converts between the zones {zone(source)} and "
        f"{zone(target)}.",
        f"I can't convert {clock} from {source} to {target}",
        source_timezone=zone(source),
        time=clock,
        target_timezone=zone(target),
    )
    if not isinstance(outcome, Outcome):
        return outcome
    result = outcome.result if isinstance(outcome.result, dict) else {}
    there = _time(result.get("target"))
    if there is None:
        return Answer("The time server answered in words.", f"{outcome.result}")
    difference = result.get("time_difference", "")
    return Answer(
        "The time server has converted it, so I can reply.",
        f"{clock} in {source} is {there['time']} on {there['day']} in {target}"
        + (f" ({difference})." if difference else "."),
    )


def _time(result: Any) -> dict[str, str] | None:
    """The time, day and date of a time server's answer, if it is one."""
    if not isinstance(result, dict) or not isinstance(result.get("datetime"), str):
        return None
    stamp = result["datetime"]
    return {
        "time": stamp[11:16],
        "date": stamp[:10],
        "day": str(result.get("day_of_week", "")),
    }
