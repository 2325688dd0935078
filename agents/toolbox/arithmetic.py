"""Arithmetic tools: one operation each, so an agent shows its work step by step."""

from __future__ import annotations

import math

from agents.tools import tool

# 2 ** 10_000_000 would keep a worker thread busy long after the time limit.
MAX_EXPONENT = 10_000


@tool
def add(a: float, b: float) -> float:
    """Add two numbers.

    Args:
        a: The first number.
        b: The number to add to it.
    """
    return a + b


@tool
def subtract(a: float, b: float) -> float:
    """Subtract b from a.

    Args:
        a: The number to subtract from.
        b: The number to subtract.
    """
    return a - b


@tool
def multiply(a: float, b: float) -> float:
    """Multiply two numbers.

    Args:
        a: The first factor.
        b: The second factor.
    """
    return a * b


@tool
def divide(a: float, b: float) -> float:
    """Divide a by b. Dividing by zero is an error.

    Args:
        a: The dividend.
        b: The divisor.
    """
    return a / b


@tool
def power(base: float, exponent: float) -> float:
    """Raise base to the power of exponent.

    Args:
        base: The number to raise.
        exponent: The power to raise it to.
    """
    if abs(exponent) > MAX_EXPONENT:
        raise ValueError(f"exponents beyond {MAX_EXPONENT} are not supported")
    return base**exponent


@tool
def sqrt(x: float) -> float:
    """The square root of a non-negative number.

    Args:
        x: The number to take the square root of.
    """
    if x < 0:
        raise ValueError("a negative number has no real square root")
    return math.sqrt(x)


MATH_TOOLS = (add, subtract, multiply, divide, power, sqrt)
