"""Unit conversion: length, mass, volume, time, speed and temperature.

Units are accepted as people write them ("miles", "km", "°F", "degrees
celsius"), so a model can pass the words it read. Every unit but temperature
is a factor of its dimension's base unit; temperatures convert through kelvin.
"""

from __future__ import annotations

import re
from typing import Any

from agents.tools import tool

# unit symbol: (dimension, size in the dimension's base unit, names people use)
_UNITS: dict[str, tuple[str, float, tuple[str, ...]]] = {
    "m": ("length", 1.0, ("metre", "metres", "meter", "meters")),
    "km": (
        "length",
        1000.0,
        ("kilometre", "kilometres", "kilometer", "kilometers", "kms"),
    ),
    "cm": ("length", 0.01, ("centimetre", "centimetres", "centimeter", "centimeters")),
    "mm": ("length", 0.001, ("millimetre", "millimetres", "millimeter", "millimeters")),
    "mi": ("length", 1609.344, ("mile", "miles")),
    "yd": ("length", 0.9144, ("yard", "yards", "yds")),
    "ft": ("length", 0.3048, ("foot", "feet")),
    "in": ("length", 0.0254, ("inch", "inches")),
    "kg": ("mass", 1.0, ("kilogram", "kilograms", "kilo", "kilos", "kgs")),
    "g": ("mass", 0.001, ("gram", "grams", "gramme", "grammes")),
    "mg": ("mass", 1e-6, ("milligram", "milligrams")),
    "lb": ("mass", 0.45359237, ("pound", "pounds", "lbs")),
    "oz": ("mass", 0.028349523125, ("ounce", "ounces")),
    "st": ("mass", 6.35029318, ("stone", "stones")),
    "l": ("volume", 1.0, ("litre", "litres", "liter", "liters")),
    "ml": ("volume", 0.001, ("millilitre", "millilitres", "milliliter", "milliliters")),
    "gal": ("volume", 3.785411784, ("gallon", "gallons", "us gallon", "us gallons")),
    "pt": ("volume", 0.473176473, ("pint", "pints", "us pint", "us pints")),
    "cup": ("volume", 0.2365882365, ("cups",)),
    "s": ("time", 1.0, ("second", "seconds", "sec", "secs")),
    "min": ("time", 60.0, ("minute", "minutes", "mins")),
    "h": ("time", 3600.0, ("hour", "hours", "hr", "hrs")),
    "day": ("time", 86400.0, ("days",)),
    "week": ("time", 604800.0, ("weeks",)),
    "km/h": (
        "speed",
        1 / 3.6,
        ("kph", "kmh", "kilometres per hour", "kilometers per hour"),
    ),
    "mph": ("speed", 0.44704, ("miles per hour",)),
    "m/s": ("speed", 1.0, ("metres per second", "meters per second")),
    "°C": ("temperature", 0.0, ("c", "celsius", "centigrade", "degrees celsius")),
    "°F": ("temperature", 0.0, ("f", "fahrenheit", "degrees fahrenheit")),
    "K": ("temperature", 0.0, ("k", "kelvin", "kelvins")),
}


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower().replace("°", ""))


UNIT_NAMES: dict[str, str] = {
    _key(name): symbol
    for symbol, (_, _, names) in _UNITS.items()
    for name in (symbol, *names)
}


def unit(name: str) -> str:
    """The symbol of a unit named as people write it; `ValueError` if unknown."""
    key = _key(name)
    key = re.sub(r"^degrees? ", "", key) if key not in UNIT_NAMES else key
    try:
        return UNIT_NAMES[key]
    except KeyError:
        raise ValueError(f"I don't know the unit {name!r}") from None


def _kelvin(value: float, symbol: str) -> float:
    return {"K": value, "°C": value + 273.15, "°F": (value - 32) * 5 / 9 + 273.15}[
        symbol
    ]


def _from_kelvin(value: float, symbol: str) -> float:
    return {"K": value, "°C": value - 273.15, "°F": (value - 273.15) * 9 / 5 + 32}[
        symbol
    ]


@tool
def convert(value: float, from_unit: str, to_unit: str) -> dict[str, Any]:
    """Convert a quantity between units of length, mass, volume, time, speed or
    temperature (metric, imperial and US customary).

    Args:
        value: The quantity to convert.
        from_unit: Its unit, e.g. "miles", "kg", "°F".
        to_unit: The unit wanted, e.g. "km", "pounds", "celsius".
    """
    source, target = unit(from_unit), unit(to_unit)
    dimension, size, _ = _UNITS[source]
    other, target_size, _ = _UNITS[target]
    if dimension != other:
        raise ValueError(f"{source} is a {dimension} and {target} a {other}")
    if dimension == "temperature":
        result = _from_kelvin(_kelvin(value, source), target)
    else:
        result = value * size / target_size
    return {"value": result, "unit": target, "from": {"value": value, "unit": source}}


UNIT_TOOLS = (convert,)
