"""The offline model does arithmetic the honest way: parse, then one tool per step.

Natural language ("add 2 and 2", "subtract 3 from 10", "the square root of
81", "2 to the power of 10") and symbols ("(3 + 4) * 5") become an expression
tree. The model never computes anything itself: each operation is a tool call,
innermost first, and operations that do not depend on each other are asked for
in the same turn. Call ids number the operations, so a later turn knows which
results it already has from the messages alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import Answer, Plan, Request, Step, joined, number, reason

Value = int | float


@dataclass(frozen=True)
class Op:
    tool: str
    args: tuple[Expr, ...]


Expr = Value | Op

ARGUMENTS = {
    "add": ("a", "b"),
    "subtract": ("a", "b"),
    "multiply": ("a", "b"),
    "divide": ("a", "b"),
    "power": ("base", "exponent"),
    "sqrt": ("x",),
}
_INFIX = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "^": "power"}
_SHOWN = {
    "add": "+",
    "subtract": "-",
    "multiply": "\u00d7",
    "divide": "÷",
    "power": "^",
}

_FILLER = re.compile(
    r"^(?:what\s+is|what's|whats|how\s+much\s+is|calculate|compute|work\s+out|"
    r"evaluate|solve|please|can\s+you|could\s+you|tell\s+me|and)\s+"
)
# (opening words, separators between the operands, tool, operands swapped)
_VERBS = (
    (r"add", (" and ", " to "), "add", False),
    (r"(?:the )?sum of", (" and ",), "add", False),
    (r"subtract", (" from ",), "subtract", True),
    (r"(?:the )?difference between", (" and ",), "subtract", False),
    (r"multiply", (" by ", " and ", " with "), "multiply", False),
    (r"(?:the )?product of", (" and ",), "multiply", False),
    (r"divide", (" by ",), "divide", False),
    (r"(?:the )?quotient of", (" and ",), "divide", False),
    (r"raise", (" to the power of ", " to "), "power", False),
)
_WORDS = (
    (r"\b(?:raised )?to the power of\b", "^"),
    (r"\braised to\b", "^"),
    (r"\bsquared\b", "^ 2"),
    (r"\bcubed\b", "^ 3"),
    (r"\b(?:the )?square root of\b|\bsqrt of\b|√", " sqrt "),
    (r"\bmultiplied by\b|\btimes\b|\u00d7", "*"),
    (r"\bdivided by\b|\bover\b|÷", "/"),
    (r"\bplus\b", "+"),
    (r"\bminus\b", "-"),
    (r"\*\*", "^"),
    (r"(?<=[\d)])\s*x\s*(?=[\d(])", "*"),
)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|\.\d+|sqrt|[-+*/^()]|\S+")


def parse(text: str) -> Op | None:
    """The operation a message asks for, or `None` when it is not arithmetic."""
    phrase = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text.lower().strip())
    phrase = re.sub(r"[?!=.]+\s*$", "", phrase).strip()
    while match := _FILLER.match(phrase):
        phrase = phrase[match.end() :]
    expr = _phrase(phrase)
    return expr if isinstance(expr, Op) else None


def _phrase(text: str) -> Expr | None:
    """A verb phrase ("add X and Y"), trying each split, or else symbols."""
    text = text.strip()
    for opening, separators, tool, swapped in _VERBS:
        if not (match := re.fullmatch(rf"{opening}\s+(.+)", text)):
            continue
        rest = match[1]
        for separator in separators:
            for found in re.finditer(re.escape(separator), rest):
                left = _phrase(rest[: found.start()])
                right = _phrase(rest[found.end() :])
                if left is not None and right is not None:
                    return Op(tool, (right, left) if swapped else (left, right))
    for pattern, symbol in _WORDS:
        text = re.sub(pattern, symbol, text)
    return _Parser(_TOKEN.findall(text)).parse()


class _Parser:
    """Precedence climbing over tokens: + - below * / below ^ below unary, sqrt."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def parse(self) -> Expr | None:
        try:
            expr = self._sum()
        except ValueError:
            return None
        return expr if self.at == len(self.tokens) else None

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("unexpected end")
        self.at += 1
        return token

    def _sum(self) -> Expr:
        expr = self._product()
        while self._peek() in ("+", "-"):
            expr = Op(_INFIX[self._take()], (expr, self._product()))
        return expr

    def _product(self) -> Expr:
        expr = self._unary()
        while self._peek() in ("*", "/"):
            expr = Op(_INFIX[self._take()], (expr, self._unary()))
        return expr

    def _unary(self) -> Expr:
        if self._peek() == "-":
            self._take()
            operand = self._unary()
            if isinstance(operand, Op):
                return Op("subtract", (0, operand))
            return -operand
        if self._peek() == "sqrt":
            self._take()
            return Op("sqrt", (self._unary(),))
        return self._power()

    def _power(self) -> Expr:
        base = self._atom()
        if self._peek() == "^":
            self._take()
            return Op("power", (base, self._unary()))
        return base

    def _atom(self) -> Expr:
        token = self._take()
        if token == "(":
            expr = self._sum()
            if self._take() != ")":
                raise ValueError("unbalanced parenthesis")
            return expr
        if re.fullmatch(r"\d+|\d*\.\d+", token):
            return float(token) if "." in token else int(token)
        raise ValueError(f"not arithmetic: {token!r}")


def shown(expr: Expr, outer: int = 0) -> str:
    """An expression as people write it, parenthesised only where needed."""
    if not isinstance(expr, Op):
        return number(expr)
    if expr.tool == "sqrt":
        return f"√{shown(expr.args[0], 4)}"
    rank = {"add": 1, "subtract": 1, "multiply": 2, "divide": 2, "power": 3}[expr.tool]
    left, right = expr.args
    # Right operands of - ÷ and left of ^ need brackets at equal rank.
    text = (
        f"{shown(left, rank + (expr.tool == 'power'))} {_SHOWN[expr.tool]} "
        f"{shown(right, rank + (expr.tool in ('subtract', 'divide')))}"
    )
    return f"({text})" if rank < outer else text


@dataclass(frozen=True)
class _Ref:
    """An operand that is the result of an earlier operation."""

    index: int


def _flatten(
    expr: Expr, operations: list[tuple[str, tuple[Value | _Ref, ...]]]
) -> Value | _Ref:
    """Operations in evaluation order (post-order); returns how to reach `expr`."""
    if not isinstance(expr, Op):
        return expr
    operands = tuple(_flatten(arg, operations) for arg in expr.args)
    operations.append((expr.tool, operands))
    return _Ref(len(operations) - 1)


def _step(tool: str, values: list[Value]) -> str:
    return shown(Op(tool, tuple(values)))


def plan(request: Request) -> Plan | None:
    expr = parse(request.text)
    if expr is None:
        return None
    operations: list[tuple[str, tuple[Value | _Ref, ...]]] = []
    _flatten(expr, operations)
    missing = sorted({tool for tool, _ in operations} - request.tools)
    if missing:
        return Answer(
            f"This is arithmetic ({shown(expr)}), but I have no {joined(missing)} tool.",
            f"I can't work out {shown(expr)} here: I have no {joined(missing)} tool. "
            f"{what_i_can_do(request.tools)}",
        )
    results: dict[int, Value] = {}
    done: list[str] = []
    calls = []
    for index, (tool, operands) in enumerate(operations):
        values = [
            results.get(operand.index) if isinstance(operand, _Ref) else operand
            for operand in operands
        ]
        if any(value is None for value in values):
            continue  # waits for an operation still to be done
        outcome = request.outcome(index)
        if outcome is None:
            calls.append(
                request.call(
                    index, tool, **dict(zip(ARGUMENTS[tool], values, strict=True))
                )
            )
        elif outcome.error is not None:
            return _failed(expr, tool, values, outcome.error)
        else:
            results[index] = _tidy(outcome.result)
            done.append(f"{_step(tool, values)} = {number(results[index])}")
    so_far = f"So far: {joined(done)}. " if done else ""
    if calls:
        opening = (
            ""
            if done
            else f"The user wants {shown(expr)}. I'll work it out one operation at a time, innermost first. "
        )
        todo = joined(
            [f"{_step(c.name, list(c.args.values()))} with {c.name}" for c in calls]
        )
        return Step(f"{opening}{so_far}Next: {todo}.", tuple(calls))
    answer = number(results[len(operations) - 1])
    steps = f" Step by step: {', then '.join(done)}." if len(done) > 1 else ""
    return Answer(
        f"{so_far}That was the last operation, so the answer is {answer}.",
        f"{shown(expr)} = {answer}.{steps}",
    )


def _tidy(value: Value) -> Value:
    """9.0 -> 9, so the next call and the answer read naturally."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _failed(expr: Op, tool: str, values: list[Value], error: str) -> Answer:
    step = _step(tool, values)
    needs = "" if step == shown(expr) else f"it needs {step}, and "
    if tool == "divide" and values[1] == 0:
        why = (
            "0 ÷ 0 has no single answer: every number times 0 gives 0"
            if values[0] == 0
            else f"no number multiplied by 0 gives {number(values[0])}"
        )
        return Answer(
            f"The divide tool refused {step}: division by zero. I'll explain why "
            "there is no answer instead of making one up.",
            f"I can't work out {shown(expr)}: {needs}dividing by zero is undefined "
            f"— {why}, so there is no answer.",
        )
    return Answer(
        f"The {tool} tool failed on {step}: {error}. I'll tell the user.",
        f"I can't work out {shown(expr)}: {step} failed ({reason(error)}).",
    )
