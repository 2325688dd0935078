"""The offline model does arithmetic the honest way: parse, then one tool per step.

Natural language ("add 2 and 2", "subtract 3 from 10", "17% of 2,340", "the
average of 3, 5 and 10", "two plus two") and symbols ("(3 + 4) * 5") become an
expression tree. Steps chain ("add 2 and 2 then multiply by 10") and refer back
("now multiply that by 3"): "that" is the last number of the conversation the
model was given. The model never computes anything itself: each operation is a
tool call, innermost first, and operations that do not depend on each other are
asked for in the same turn. Call ids number the operations, so a later turn
knows which results it already has from the messages alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from agents.llm.offline.generic import what_i_can_do
from agents.llm.offline.plan import (
    Answer,
    Outcome,
    Plan,
    Request,
    Step,
    joined,
    number,
    reason,
)

Value = int | float


@dataclass(frozen=True)
class Op:
    """One operation; `said` is how the person put it ("17% of 2340"), `unit`
    what its result is written with ("%")."""

    tool: str
    args: tuple[Expr, ...]
    said: str | None = field(default=None, compare=False)
    unit: str = field(default="", compare=False)


Expr = Value | Op

# What "that" stands for when the conversation holds no earlier number.
EARLIER = Op("earlier", ())

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
    r"^(?:what\s+is|what's|whats|what\s+are|how\s+much\s+is|how\s+much\s+are|"
    r"calculate|compute|work\s+out|figure\s+out|evaluate|solve|please|pls|"
    r"can\s+you|could\s+you|would\s+you|will\s+you|tell\s+me|give\s+me|"
    r"i\s+need|and|now|ok|okay|so|also|then|next|hey|hi|a(?=\s+\d)|"
    r"start(?:ing)?\s+with|begin\s+with|"
    r"(?:what\s+(?:do|would)\s+(?:you|i)\s+get\s+)?(?:if|when)\s+(?:you|i)|"
    r"the\s+(?:result|answer)\s+(?:of|to))\s+"
)
_TRAILING = re.compile(r"\s+(?:please|for\s+me|exactly)$")
# A reference to an earlier result; replaced by "§", bound to that result.
_REFERENCE = re.compile(
    r"\b(?:the\s+(?:previous\s+|last\s+)?(?:result|answer|total|number)|"
    r"that\s+(?:number|result|answer)|that|it|this)\b"
)
# Where one step of a chain ends and the next, working on its result, begins.
_CHAIN = re.compile(
    r"\s*(?:,\s*|\s)(?:and\s+)?then\s+"
    r"|\s*,\s*(?:and\s+)?(?=(?:add|subtract|multiply|divide|double|halve|square"
    r"|take|times|plus|minus|raise)\b)"
)
# (opening words, separators between the operands, tool, operands swapped)
_VERBS = (
    (r"add", (" and ", " to "), "add", False),
    (r"(?:the )?sum of", (" and ",), "add", False),
    (r"increase", (" by ",), "add", False),
    (r"subtract|take away|take|deduct", (" from ",), "subtract", True),
    (r"(?:the )?difference between", (" and ",), "subtract", False),
    (r"decrease|reduce|lower", (" by ",), "subtract", False),
    (r"multiply", (" by ", " and ", " with "), "multiply", False),
    (r"(?:the )?product of", (" and ",), "multiply", False),
    (r"divide", (" by ", " into "), "divide", False),
    (r"(?:the )?quotient of", (" and ",), "divide", False),
    (r"raise", (" to the power of ", " to "), "power", False),
)
# Verbs that take a whole list: "add 1, 2 and 3", "the average of 3, 5 and 10".
_LISTS = (
    (r"add|(?:the )?sum of|(?:the )?total of", "add"),
    (r"multiply|(?:the )?product of", "multiply"),
    (r"(?:the )?(?:average|mean) of", "average"),
)
_LIST_SEPARATOR = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
# Verbs of one operand; without one they work on "that" ("double it", "halve").
_UNARY: tuple[tuple[str, Callable[[Expr], Op]], ...] = (
    (r"double|twice", lambda x: Op("multiply", (x, 2))),
    (r"triple|thrice", lambda x: Op("multiply", (x, 3))),
    (r"halve|half of|half", lambda x: Op("divide", (x, 2))),
    (r"(?:the )?square of|square(?! root)", lambda x: Op("power", (x, 2))),
    (r"(?:the )?cube of|cube(?! root)", lambda x: Op("power", (x, 3))),
    (r"(?:take )?(?:the )?square root(?: of §)?$", lambda x: Op("sqrt", (x,))),
)
_PERCENT = r"(?:%|percent(?:age)?|per cent)"
# "What percent of 120 is 30?": x as a percentage of y.
_SHARES = (
    rf"what {_PERCENT} of (?P<y>.+?) is (?P<x>.+)",
    rf"what {_PERCENT} is (?P<x>.+?) of (?P<y>.+)",
    rf"(?P<x>.+?) is what {_PERCENT} of (?P<y>.+)",
    rf"(?P<x>.+?) (?:as a|in) {_PERCENT} of (?P<y>.+)",
    rf"(?P<x>.+?) out of (?P<y>.+?) as a {_PERCENT}",
)
_WORDS = (
    (r"\b(?:raised )?to the power(?: of)?\b", "^"),
    (r"\braised to\b", "^"),
    (r"\bsquared\b", "^ 2"),
    (r"\bcubed\b", "^ 3"),
    (r"\b(?:the )?square root of\b|\bsqrt of\b|√", " sqrt "),
    (r"\bmultiplied by\b|\btimes\b|\u00d7", "*"),
    (r"\bdivided by\b|\bover\b|÷", "/"),
    (r"\bplus\b", "+"),
    (r"\b(?:tip|discount|tax|commission)\s+(?:on|of)\b", "of"),
    (r"\bminus\b|\bless\b", "-"),
    (r"\*\*", "^"),
    (rf"\s*\b{_PERCENT}(?=\s|$)|\s*%", " % "),
    (r"(?<=[\d)§])\s*x\s*(?=[\d(§])", "*"),
)
# A step that starts with its operator works on "that": "times 3", "plus 4".
_OPERATOR_FIRST = re.compile(
    r"^(?:plus|minus|times|multiplied by|divided by|over|to the power of|squared|"
    r"cubed|[-+*/^\u00d7÷x](?=\s|\d))"
)
# The same with a verb: "add 5", "multiply by 3", "divide by 2".
_VERB_FIRST = (
    (r"add (?P<x>.+)", "§ + ({x})"),
    (r"(?:subtract|take away|take off|deduct) (?P<x>.+)", "§ - ({x})"),
    (r"multiply (?:by )?(?P<x>.+)", "§ * ({x})"),
    (r"divide (?:by )?(?P<x>.+)", "§ / ({x})"),
    (r"raise (?:to )?(?:the power of )?(?P<x>.+)", "§ ^ ({x})"),
    (r"increase by (?P<x>.+)", "increase § by {x}"),
    (r"(?:decrease|reduce|lower) by (?P<x>.+)", "decrease § by {x}"),
)
_TOKEN = re.compile(r"\d+(?:\.\d+)?|\.\d+|sqrt|§|[-+*/^()%]|\S+")

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000}
_NUMBER_WORD = (
    rf"(?:{'|'.join(_ONES + _TENS + list(_SCALES))}|a(?= (?:{'|'.join(_SCALES)})))"
)
_NUMERAL = re.compile(rf"\b{_NUMBER_WORD}(?:[\s-]+{_NUMBER_WORD})*\b")


def _numerals(text: str) -> str:
    """Numbers in words as digits: "two hundred and five" stays out of scope,
    "twenty-five" and "a hundred" become 25 and 100."""

    def value(match: re.Match[str]) -> str:
        total = current = 0
        for word in re.split(r"[\s-]+", match[0]):
            if word in _SCALES:
                if _SCALES[word] == 100:
                    current = (current or 1) * 100
                else:
                    total += (current or 1) * _SCALES[word]
                    current = 0
            elif word == "a":
                current = 1
            else:
                current += (
                    _ONES.index(word) if word in _ONES else 20 + 10 * _TENS.index(word)
                )
        return str(total + current)

    return _NUMERAL.sub(value, text)


def _normalised(text: str) -> str:
    phrase = _numerals(text.lower().strip().replace("\u2019", "'"))
    phrase = re.sub(r"(?<=\d),(?=\d{3}\b)", "", phrase)
    phrase = re.sub(r"[?!=.]+\s*$", "", phrase).strip()
    return re.sub(r"\s+", " ", phrase)


def _stripped(phrase: str) -> str:
    while match := _FILLER.match(phrase):
        phrase = phrase[match.end() :]
    return _TRAILING.sub("", phrase)


def parse(text: str, earlier: Value | None = None) -> Op | None:
    """The operation a message asks for, or `None` when it is not arithmetic.

    `earlier` is what "that" means: the last number of the conversation; with
    none, a reference parses to `EARLIER` so the caller can say it cannot tell.
    """
    first, *rest = _CHAIN.split(_normalised(text))
    expr = _phrase(_stripped(first), None)
    if expr is None:
        expr = _continued(first, EARLIER if earlier is None else earlier)
    for step in rest:
        if expr is None:
            return None
        expr = _continued(step, _plain(expr))
    expr = _plain(expr) if expr is not None else None
    return expr if isinstance(expr, Op) else None


def _continued(text: str, prior: Expr) -> Expr | _Percent | None:
    """A step that works on `prior`: "multiply that by 3", "times 3", "double it"."""
    text = _stripped(re.sub(r"\s+", " ", _REFERENCE.sub(" § ", text)).strip())
    if "§" not in text:
        if _OPERATOR_FIRST.match(text):
            text = f"§ {text}"
        else:
            for pattern, template in _VERB_FIRST:
                if match := re.fullmatch(pattern, text):
                    text = template.format(x=match["x"])
                    break
    return _phrase(text, prior)


@dataclass(frozen=True)
class _Percent:
    """ "10%" before it is known what it is a percentage of."""

    rate: Expr


def _plain(expr: Expr | _Percent) -> Expr:
    """A percentage standing alone is a fraction: 10% is 10 ÷ 100."""
    if isinstance(expr, _Percent):
        return Op("divide", (expr.rate, 100), said=f"{shown(expr.rate)}%")
    return expr


def _percent_of(rate: Expr, whole: Expr) -> Op:
    return Op(
        "divide",
        (Op("multiply", (rate, whole)), 100),
        said=f"{shown(rate)}% of {shown(whole)}",
    )


def _combine(tool: str, left: Expr | _Percent, right: Expr | _Percent) -> Op:
    """`left tool right`, where a percentage on the right is one of the left,
    as on a calculator: 200 + 10% is 220, 50 - 20% is 40, 80 times 25% is 20."""
    left = _plain(left)
    if isinstance(right, _Percent):
        share = _percent_of(right.rate, left)
        if tool in ("add", "subtract"):
            said = f"{shown(left, 1)} {_SHOWN[tool]} {shown(right.rate)}%"
            return Op(tool, (left, share), said=said)
        if tool == "multiply":
            return share
    return Op(tool, (left, _plain(right)))


def _phrase(text: str, prior: Expr | None) -> Expr | _Percent | None:
    """A verb phrase ("add X and Y"), trying each split, or else symbols."""
    text = text.strip()
    for pattern in _SHARES:
        if match := re.fullmatch(pattern, text):
            x, y = _phrase(match["x"], prior), _phrase(match["y"], prior)
            if x is not None and y is not None:
                x, y = _plain(x), _plain(y)
                return Op(
                    "divide",
                    (Op("multiply", (x, 100)), y),
                    said=f"{shown(x)} as a percentage of {shown(y)}",
                    unit="%",
                )
    for opening, tool in _LISTS:
        if expr := _listed(opening, tool, text, prior):
            return expr
    for opening, make in _UNARY:
        if match := re.fullmatch(rf"(?:{opening})(?: (?P<x>.+))?", text):
            operand = _phrase(match["x"] or "§", prior)
            if operand is not None:
                return make(_plain(operand))
    for opening, separators, tool, swapped in _VERBS:
        if not (match := re.fullmatch(rf"(?:{opening})\s+(.+)", text)):
            continue
        rest = match[1]
        for separator in separators:
            for found in re.finditer(re.escape(separator), rest):
                left = _phrase(rest[: found.start()], prior)
                right = _phrase(rest[found.end() :], prior)
                if left is not None and right is not None:
                    return _combine(
                        tool, *((right, left) if swapped else (left, right))
                    )
    for pattern, symbol in _WORDS:
        text = re.sub(pattern, symbol, text)
    return _Parser(_TOKEN.findall(text), prior).parse()


def _listed(opening: str, tool: str, text: str, prior: Expr | None) -> Op | None:
    """ "add 1, 2 and 3" as one operation after another; the average divides."""
    if not (match := re.fullmatch(rf"(?:{opening})\s+(.+)", text)):
        return None
    items = _LIST_SEPARATOR.split(match[1])
    if len(items) < (2 if tool == "average" else 3):
        return None
    values = [_phrase(item, prior) for item in items]
    if any(value is None for value in values):
        return None
    terms = [_plain(value) for value in values]
    total = terms[0]
    for term in terms[1:]:
        total = Op("multiply" if tool == "multiply" else "add", (total, term))
    if tool != "average":
        return total
    said = f"the average of {joined([shown(term) for term in terms])}"
    return Op("divide", (total, len(terms)), said=said)


class _Parser:
    """Precedence climbing over tokens: + - below * / below ^ below unary, sqrt.

    "§" is `prior`, the result a step works on; "%" makes a percentage, which
    "of" applies to what follows ("17% of 2340") and + - * to what precedes.
    """

    def __init__(self, tokens: list[str], prior: Expr | None) -> None:
        self.tokens = tokens
        self.prior = prior
        self.at = 0

    def parse(self) -> Expr | _Percent | None:
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

    def _sum(self) -> Expr | _Percent:
        expr = self._product()
        while self._peek() in ("+", "-"):
            expr = _combine(_INFIX[self._take()], expr, self._product())
        return expr

    def _product(self) -> Expr | _Percent:
        expr = self._unary()
        while self._peek() in ("*", "/"):
            expr = _combine(_INFIX[self._take()], expr, self._unary())
        return expr

    def _unary(self) -> Expr | _Percent:
        if self._peek() == "-":
            self._take()
            operand = _plain(self._unary())
            if isinstance(operand, Op):
                return Op("subtract", (0, operand))
            return -operand
        if self._peek() == "sqrt":
            self._take()
            return Op("sqrt", (_plain(self._unary()),))
        return self._power()

    def _power(self) -> Expr | _Percent:
        base = self._atom()
        if self._peek() == "%":
            self._take()
            if self._peek() == "of":
                self._take()
                return _percent_of(base, _plain(self._unary()))
            if self._peek() == "off":
                self._take()
                return _combine("subtract", _plain(self._unary()), _Percent(base))
            return _Percent(base)
        if self._peek() == "^":
            self._take()
            return Op("power", (base, _plain(self._unary())))
        return base

    def _atom(self) -> Expr:
        token = self._take()
        if token == "(":
            expr = _plain(self._sum())
            if self._take() != ")":
                raise ValueError("unbalanced parenthesis")
            return expr
        if token == "§" and self.prior is not None:
            return self.prior
        if re.fullmatch(r"\d+|\d*\.\d+", token):
            return float(token) if "." in token else int(token)
        raise ValueError(f"not arithmetic: {token!r}")


def shown(expr: Expr, outer: int = 0) -> str:
    """An expression as people write it, parenthesised only where needed."""
    if not isinstance(expr, Op):
        return number(expr)
    if expr.said is not None:
        return f"({expr.said})" if outer else expr.said
    if expr.tool == "earlier":
        return "that"
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
    earlier = last_number(request.history)
    expr = parse(request.text, earlier)
    if expr is None:
        return None
    if _mentions(expr, EARLIER):
        worked = _no_earlier(request)
    else:
        worked = _worked(request, expr, earlier)
    return replace(worked, topic="arithmetic")


def last_number(history: tuple[Outcome, ...]) -> Value | None:
    """What "that" means: the last number a tool gave in this conversation."""
    for outcome in reversed(history):
        if outcome.error is not None:
            continue
        if outcome.name in ARGUMENTS and isinstance(outcome.result, int | float):
            return _tidy(outcome.result)
        if outcome.name == "lookup_fact" and isinstance(outcome.result, dict):
            value = outcome.result.get("value")
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
    return None


def _mentions(expr: Expr, part: Op) -> bool:
    return isinstance(expr, Op) and (
        expr == part or any(_mentions(arg, part) for arg in expr.args)
    )


def _no_earlier(request: Request) -> Answer:
    where = (
        "nothing earlier in this conversation is a number"
        if request.had_history
        else "I have no earlier messages to go on (an agent without history "
        "sees each message on its own)"
    )
    return Answer(
        f"The user refers to an earlier result, but {where}. I must ask.",
        f"I can't tell what “that” is: {where}. Send the whole calculation, "
        "for example “multiply 89 by 3”.",
    )


def _worked(request: Request, expr: Op, earlier: Value | None) -> Plan:
    operations: list[tuple[str, tuple[Value | _Ref, ...]]] = []
    _flatten(expr, operations)
    missing = sorted({tool for tool, _ in operations} - request.tools)
    if missing:
        return Answer(
            f"This is arithmetic ({shown(expr)}), but I have no {joined(missing)} tool.",
            f"I can't work out {shown(expr)} here: I have no {joined(missing)} tool. "
            f"{what_i_can_do(request)}",
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
            else f"The user wants {shown(expr)}.{_referred(request, earlier)} I'll work it out "
            "one operation at a time, innermost first. "
        )
        todo = joined(
            [f"{_step(c.name, list(c.args.values()))} with {c.name}" for c in calls]
        )
        return Step(f"{opening}{so_far}Next: {todo}.", tuple(calls))
    answer = number(results[len(operations) - 1])
    steps = f" Step by step: {', then '.join(done)}." if len(done) > 1 else ""
    return Answer(
        f"{so_far}That was the last operation, so the answer is {answer}.",
        f"{_capitalised(shown(expr))} = {answer}{expr.unit}.{steps}",
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _referred(request: Request, earlier: Value | None) -> str:
    """A thought's note on what "that" stood for, when the message used it."""
    unbound = parse(request.text)
    if earlier is None or unbound is None or not _mentions(unbound, EARLIER):
        return ""
    return f" “That” is {number(earlier)}, the last result in this conversation."


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
