"""The shipped fact data: well formed, unambiguous, complete, and right where checked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents.toolbox.facts import DATA_FILE, lookup_fact, normalise


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _names(record: dict[str, Any]) -> list[str]:
    return [record["name"], *record.get("aliases", [])]


def test_about_says_where_each_kind_of_figure_comes_from(data: dict[str, Any]) -> None:
    about = data["about"]
    for key in ("countries", "capitals", "moons"):
        assert isinstance(about[key], str) and about[key]
    assert set(data) == {"about", "countries", "bodies"}


def test_every_country_has_every_field_of_the_right_type(
    data: dict[str, Any],
) -> None:
    for country in data["countries"]:
        assert set(country) == {
            "name",
            "aliases",
            "population",
            "population_year",
            "capital",
        }, country["name"]
        capital = country["capital"]
        assert set(capital) == {
            "name",
            "aliases",
            "population",
            "population_year",
        }, country["name"]
        for record in (country, capital):
            assert isinstance(record["name"], str) and record["name"].strip()
            assert isinstance(record["aliases"], list)
            assert all(isinstance(a, str) and a.strip() for a in record["aliases"])
            assert _is_int(record["population"]) and record["population"] > 0
            assert _is_int(record["population_year"])
            assert 2000 <= record["population_year"] <= 2025, record["name"]
        assert capital["population"] <= country["population"], country["name"]


def test_every_body_has_every_field_of_the_right_type(data: dict[str, Any]) -> None:
    for body in data["bodies"]:
        assert set(body) == {"name", "kind", "moons", "named"}, body["name"]
        assert isinstance(body["name"], str) and body["name"]
        assert body["kind"] in {"planet", "dwarf planet"}
        assert _is_int(body["moons"]) and body["moons"] >= 0
        assert isinstance(body["named"], list)
        assert all(isinstance(m, str) and m for m in body["named"])
        assert len(body["named"]) <= body["moons"], body["name"]
        assert len(set(body["named"])) == len(body["named"]), body["name"]


def test_no_name_or_alias_means_two_things(data: dict[str, Any]) -> None:
    """A key may repeat within one record (Singapore, the city-state and its
    capital) but never point at two records."""
    owners: dict[str, str] = {}
    records = [
        (f"country {c['name']}", name)
        for c in data["countries"]
        for name in (*_names(c), *_names(c["capital"]))
    ] + [(f"body {b['name']}", b["name"]) for b in data["bodies"]]
    for owner, name in records:
        key = normalise(name)
        assert key, f"{name!r} of {owner} has no lookup key"
        assert owners.setdefault(key, owner) == owner, (
            f"{name!r} means both {owners[key]} and {owner}"
        )


def test_every_country_is_there(data: dict[str, Any]) -> None:
    """193 UN members, two observer states, Taiwan and Kosovo."""
    names = [c["name"] for c in data["countries"]]
    assert len(names) == len(set(names))
    assert len(names) >= 197
    for name in ("Vatican City", "Palestine", "Taiwan", "Kosovo", "Tuvalu", "Chad"):
        assert name in names


def test_the_eight_planets_are_there(data: dict[str, Any]) -> None:
    planets = [b["name"] for b in data["bodies"] if b["kind"] == "planet"]
    assert planets == [
        "Mercury",
        "Venus",
        "Earth",
        "Mars",
        "Jupiter",
        "Saturn",
        "Uranus",
        "Neptune",
    ]


async def _fact(subject: str, attribute: str) -> dict[str, Any]:
    return await lookup_fact.invoke({"subject": subject, "attribute": attribute})


@pytest.mark.parametrize(
    ("subject", "capital"),
    [
        ("Chile", "Santiago"),
        ("Peru", "Lima"),
        ("USA", "Washington, D.C."),
        ("United States of America", "Washington, D.C."),
        ("Ivory Coast", "Yamoussoukro"),
        ("Côte d'Ivoire", "Yamoussoukro"),
        ("cote d ivoire", "Yamoussoukro"),
        ("Burma", "Naypyidaw"),
        ("DRC", "Kinshasa"),
        ("Congo-Brazzaville", "Brazzaville"),
        ("East Timor", "Dili"),
        ("Swaziland", "Mbabane"),
        ("Macedonia", "Skopje"),
        ("Holland", "Amsterdam"),
        ("Korea, Republic of", "Seoul"),
        ("North Korea", "Pyongyang"),
        ("Czechia", "Prague"),
        ("Bolivia", "Sucre"),
        ("Guinea", "Conakry"),
        ("Guinea-Bissau", "Bissau"),
        ("the Gambia", "Banjul"),
        ("Taiwan", "Taipei"),
        ("Kosovo", "Pristina"),
        ("Holy See", "Vatican City"),
    ],
)
async def test_capitals(subject: str, capital: str) -> None:
    fact = await _fact(subject, "capital")
    assert fact["kind"] == "country"
    assert fact["value"] == capital


async def test_a_city_state_name_means_the_country() -> None:
    fact = await _fact("Vatican City", "population")
    assert (fact["kind"], fact["subject"]) == ("country", "Vatican City")
    fact = await _fact("Monaco", "capital")
    assert fact["value"] == "Monaco"


async def test_capital_aliases_find_the_city() -> None:
    fact = await _fact("Nur-Sultan", "population")
    assert (fact["kind"], fact["subject"], fact["country"]) == (
        "city",
        "Astana",
        "Kazakhstan",
    )


async def test_populations() -> None:
    fact = await _fact("Nigeria", "population")
    assert 200_000_000 < fact["value"] < 240_000_000
    assert fact["year"] == 2022
    fact = await _fact("Tuvalu", "population")
    assert 10_000 < fact["value"] < 13_000


async def test_moons() -> None:
    mars = await _fact("Mars", "moons")
    assert (mars["value"], mars["named"]) == (2, ["Phobos", "Deimos"])
    jupiter = await _fact("Jupiter", "moons")
    assert "Ganymede" in jupiter["named"]
    assert jupiter["named"][0] == "Ganymede"  # the largest first
    earth = await _fact("Earth", "moons")
    assert earth["value"] == 1
    neptune = await _fact("Neptune", "moons")
    assert neptune["named"][0] == "Triton"
