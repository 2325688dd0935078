"""Facts about countries, capital cities and planets, from a small shipped data set.

The data (`agents/data/facts.json`) says where each figure comes from. Lookups
forgive case, accents, a leading "the" and common alternative names ("UK",
"Kiev"); a known subject asked for a fact it cannot have (the population of
Mars) gets an explanation rather than an error, so the agent can pass it on.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

from agents.tools import tool

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "facts.json"

Attribute = Literal["capital", "population", "moons"]


def normalise(name: str) -> str:
    """A lookup key: no accents, no case, no punctuation, no leading "the"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


@functools.cache
def _index() -> dict[str, tuple[str, dict[str, Any]]]:
    """Every known name and alias, to its kind (country, city, body) and record."""
    data = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    index: dict[str, tuple[str, dict[str, Any]]] = {}
    for country in data["countries"]:
        capital = country["capital"]
        for name in (capital["name"], *capital["aliases"]):
            index[normalise(name)] = ("city", country)
        # Countries come last so that a city-state's name means the country.
        for name in (country["name"], *country["aliases"]):
            index[normalise(name)] = ("country", country)
    for body in data["bodies"]:
        index[normalise(body["name"])] = ("body", body)
    return index


@tool
def lookup_fact(subject: str, attribute: Attribute) -> dict[str, Any]:
    """Look up the capital or population of a country, the population of a
    capital city, or the number of moons of a planet.

    Args:
        subject: A country, capital city or planet, e.g. "France", "Paris", "Mars".
        attribute: Which fact to look up.
    """
    try:
        kind, record = _index()[normalise(subject)]
    except KeyError:
        raise LookupError(f"I have no facts about {subject!r}") from None
    match kind:
        case "country":
            return _country_fact(record, attribute)
        case "city":
            return _city_fact(record, attribute)
        case _:
            return _body_fact(record, attribute)


def _country_fact(country: dict[str, Any], attribute: Attribute) -> dict[str, Any]:
    fact = {"subject": country["name"], "kind": "country", "attribute": attribute}
    match attribute:
        case "capital":
            return {**fact, "value": country["capital"]["name"]}
        case "population":
            return {
                **fact,
                "value": country["population"],
                "year": country["population_year"],
            }
        case "moons":
            return {
                **fact,
                "value": None,
                "note": f"{country['name']} is a country, not a planet: it has no moons.",
            }


def _city_fact(country: dict[str, Any], attribute: Attribute) -> dict[str, Any]:
    city = country["capital"]
    fact = {
        "subject": city["name"],
        "kind": "city",
        "country": country["name"],
        "attribute": attribute,
    }
    match attribute:
        case "population":
            return {
                **fact,
                "value": city["population"],
                "year": city["population_year"],
            }
        case "capital":
            return {
                **fact,
                "value": None,
                "note": f"{city['name']} is a city, the capital of {country['name']}.",
            }
        case "moons":
            return {
                **fact,
                "value": None,
                "note": f"{city['name']} is a city, not a planet: it has no moons.",
            }


def _body_fact(body: dict[str, Any], attribute: Attribute) -> dict[str, Any]:
    fact = {"subject": body["name"], "kind": body["kind"], "attribute": attribute}
    match attribute:
        case "moons":
            return {**fact, "value": body["moons"], "named": body["named"]}
        case "population":
            return {
                **fact,
                "value": None,
                "note": f"{body['name']} is a {body['kind']}: nobody lives there, so it has no population.",
            }
        case "capital":
            return {
                **fact,
                "value": None,
                "note": f"{body['name']} is a {body['kind']}, not a country: it has no capital.",
            }


FACT_TOOLS = (lookup_fact,)
