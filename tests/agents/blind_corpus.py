"""What ordinary people ask a small assistant, and what a good answer holds.

A corpus for measuring honestly what share of everyday questions the bundled
offline model answers correctly. It was written blind: from what people type
to a small assistant (informal, lower case, symbols and words, typos-free but
loose), from the agents' tool definitions (`agents/toolbox/`) and the shipped
data (`agents/data/facts.json`) -- never from the model's code or its tests, so
it is not tuned to what the model happens to understand.

Each `Case` is one conversation: the messages are sent one after another in a
single session and the last one is graded. Expected arithmetic results were
worked out by hand and checked; expected capitals and moon names are the
data's own. Populations are expected only to name their subject, since how a
figure is rounded is the answer's business. Tool calls list every tool the
graded turn should use (arithmetic by tool only, any operand order);
arguments are given only where they are unambiguous (a subject typed as an
alias, like "the UK", may reach the tool in either spelling).
"""

from __future__ import annotations

from tests.agents.corpus import Case

ADD = ("add", {})
SUB = ("subtract", {})
MUL = ("multiply", {})
DIV = ("divide", {})
POW = ("power", {})
SQRT = ("sqrt", {})
RECALL = ("recall", {})


def fact(subject: str | None = None, attribute: str | None = None) -> tuple[str, dict]:
    """An expected lookup_fact call with the arguments that matter."""
    args = {}
    if subject is not None:
        args["subject"] = subject
    if attribute is not None:
        args["attribute"] = attribute
    return ("lookup_fact", args)


def capital(subject: str | None = None) -> tuple[str, dict]:
    return fact(subject, "capital")


def population(subject: str | None = None) -> tuple[str, dict]:
    return fact(subject, "population")


def moons(subject: str | None = None) -> tuple[str, dict]:
    return fact(subject, "moons")


def remember(value: str | None = None) -> tuple[str, dict]:
    return ("remember", {} if value is None else {"value": value})


def convert(value: float | None = None) -> tuple[str, dict]:
    return ("convert", {} if value is None else {"value": value})


BLIND_CASES: list[Case] = [
    # ------------------------------------------------------------------
    # Arithmetic: single operations and simple expressions
    # ------------------------------------------------------------------
    Case(("what is 2 + 2",), agent="calculator", calls=(ADD,), answer=("4",)),
    Case(("two plus two",), calls=(ADD,), answer=("4",)),
    Case(("what's 12 x 7 + 5",), calls=(MUL, ADD), answer=("89",)),
    Case(("sqrt 144",), agent="calculator", calls=(SQRT,), answer=("12",)),
    Case(("what is 144 divided by 12?",), calls=(DIV,), answer=("12",)),
    Case(("7 times 8",), agent="calculator", calls=(MUL,), answer=("56",)),
    Case(("1000 - 1",), agent="calculator", calls=(SUB,), answer=("999",)),
    Case(("what's 2 to the power of 10",), calls=(POW,), answer=("1024",)),
    Case(("2^16",), agent="calculator", calls=(POW,), answer=("65536",)),
    Case(("square root of 2",), calls=(SQRT,), answer=("1.414",)),
    Case(("what is 15 squared",), calls=(POW,), answer=("225",)),
    Case(("what's 4 cubed?",), agent="math", calls=(POW,), answer=("64",)),
    Case(("100 divided by 8",), agent="calculator", calls=(DIV,), answer=("12.5",)),
    Case(("22/7",), agent="calculator", calls=(DIV,), answer=("3.14",)),
    Case(("how much is 1,250 + 3,780",), calls=(ADD,), answer=("5030",)),
    Case(("subtract 45 from 100",), calls=(SUB,), answer=("55",)),
    Case(("multiply 6 by 9",), agent="math", calls=(MUL,), answer=("54",)),
    Case(("what is ten times ten",), calls=(MUL,), answer=("100",)),
    Case(("3.5 * 4",), agent="calculator", calls=(MUL,), answer=("14",)),
    Case(("0.1 + 0.2",), agent="calculator", calls=(ADD,), answer=("0.3",)),
    Case(("what's 9 minus 12",), calls=(SUB,), answer=("-3",)),
    Case(("calculate 365 * 24",), calls=(MUL,), answer=("8760",)),
    Case(("what is 1/3",), agent="calculator", calls=(DIV,), answer=("0.333",)),
    Case(("how much is 45.50 plus 12.25?",), calls=(ADD,), answer=("57.75",)),
    Case(("sqrt of 81",), agent="math", calls=(SQRT,), answer=("9",)),
    Case(("whats 50 divided by zero",), calls=(DIV,), answer=("zero",)),
    Case(("what is the square root of 625?",), calls=(SQRT,), answer=("25",)),
    Case(
        ("what's 5 to the power 3",), agent="calculator", calls=(POW,), answer=("125",)
    ),
    Case(("add 17 and 26",), calls=(ADD,), answer=("43",)),
    Case(("what's 81 / 9",), agent="math", calls=(DIV,), answer=("9",)),
    Case(("half of 250",), calls=(DIV,), answer=("125",)),
    Case(("double 37",), calls=(MUL,), answer=("74",)),
    Case(("what's 999 + 1?",), agent="calculator", calls=(ADD,), answer=("1000",)),
    Case(("2 ** 8",), agent="calculator", calls=(POW,), answer=("256",)),
    Case(("-5 + 12",), agent="calculator", calls=(ADD,), answer=("7",)),
    Case(("what's -8 times 7",), calls=(MUL,), answer=("-56",)),
    Case(
        ("I drove 120 km in 1.5 hours, what was my average speed?",),
        calls=(DIV,),
        answer=("80",),
    ),
    Case(
        ("how many hours are in 3 weeks? 24 x 7 x 3",),
        calls=(MUL, MUL),
        answer=("504",),
    ),
    # ------------------------------------------------------------------
    # Arithmetic: percentages
    # ------------------------------------------------------------------
    Case(("what is 17% of 2,340",), calls=(MUL, DIV), answer=("397.8",)),
    Case(
        ("17 percent of 2340",), agent="calculator", calls=(MUL, DIV), answer=("397.8",)
    ),
    Case(("15% of 200",), agent="calculator", calls=(MUL, DIV), answer=("30",)),
    Case(("what's 30% off 60",), calls=(MUL, DIV, SUB), answer=("42",)),
    Case(("increase 80 by 15%",), calls=(MUL, DIV, ADD), answer=("92",)),
    Case(("decrease 250 by 20 percent",), calls=(MUL, DIV, SUB), answer=("200",)),
    Case(("what percent is 45 of 180?",), calls=(DIV, MUL), answer=("25",)),
    Case(
        ("what percentage of 80 is 12",), agent="math", calls=(DIV, MUL), answer=("15",)
    ),
    Case(("a 20% tip on $45",), calls=(MUL, DIV), answer=("9",)),
    Case(("what's 8.5% of 1200",), calls=(MUL, DIV), answer=("102",)),
    Case(
        ("a jacket is 129.99 with 25% off, what do I pay?",),
        calls=(MUL, DIV, SUB),
        answer=("97.49",),
    ),
    Case(("what is 5% of 3,000,000",), calls=(MUL, DIV), answer=("150000",)),
    Case(
        ("my salary of 42,000 goes up by 3%, what's the new salary?",),
        calls=(MUL, DIV, ADD),
        answer=("43260",),
    ),
    Case(("what's 18 as a percentage of 240",), calls=(DIV, MUL), answer=("7.5",)),
    Case(
        ("how much is 12.5% of 80",),
        agent="calculator",
        calls=(MUL, DIV),
        answer=("10",),
    ),
    Case(("what is 150% of 40?",), calls=(MUL, DIV), answer=("60",)),
    Case(
        ("it used to cost 80 and now it's 60, what's the percentage decrease?",),
        calls=(SUB, DIV, MUL),
        answer=("25",),
    ),
    # ------------------------------------------------------------------
    # Arithmetic: chained and multistep
    # ------------------------------------------------------------------
    Case(("add 2 and 2 then multiply by 10",), calls=(ADD, MUL), answer=("40",)),
    Case(
        ("take 100, subtract 37, then divide by 3",),
        agent="calculator",
        calls=(SUB, DIV),
        answer=("21",),
    ),
    Case(("multiply 6 by 7 and then add 8",), calls=(MUL, ADD), answer=("50",)),
    Case(("what's the average of 3, 5 and 10",), calls=(ADD, ADD, DIV), answer=("6",)),
    Case(("average of 4, 8, 15, 16",), calls=(ADD, ADD, ADD, DIV), answer=("10.75",)),
    Case(("(3 + 4) * 5",), agent="calculator", calls=(ADD, MUL), answer=("35",)),
    Case(("the square root of (16 + 9)",), calls=(ADD, SQRT), answer=("5",)),
    Case(
        ("what is 2 to the power of 5, then minus 2",), calls=(POW, SUB), answer=("30",)
    ),
    Case(
        ("start with 50, double it, then subtract 15",),
        calls=(MUL, SUB),
        answer=("85",),
    ),
    Case(
        ("10 + 20 + 30 + 40",),
        agent="calculator",
        calls=(ADD, ADD, ADD),
        answer=("100",),
    ),
    Case(
        ("7 squared then divide by 2",),
        agent="math",
        calls=(POW, DIV),
        answer=("24.5",),
    ),
    Case(
        ("I have 3 boxes of 12 eggs and I use 7, how many are left?",),
        calls=(MUL, SUB),
        answer=("29",),
    ),
    Case(
        (
            "pizzas are 12.50 each, we ordered 4 and split the bill 5 ways. how much each?",
        ),
        calls=(MUL, DIV),
        answer=("10",),
    ),
    Case(
        ("what is 1000 divided by 4, then divided by 5",),
        calls=(DIV, DIV),
        answer=("50",),
    ),
    Case(("2 + 3 * 4",), agent="calculator", calls=(MUL, ADD), answer=("14",)),
    Case(
        ("square root of 3 squared plus 4 squared",),
        calls=(POW, POW, ADD, SQRT),
        answer=("5",),
    ),
    Case(
        ("what's 100 minus 64, then the square root of that",),
        calls=(SUB, SQRT),
        answer=("6",),
    ),
    # ------------------------------------------------------------------
    # Arithmetic: references to earlier results
    # ------------------------------------------------------------------
    Case(
        ("what's 12 times 4", "now multiply that by 3"), calls=(MUL,), answer=("144",)
    ),
    Case(
        ("100 divided by 4", "divide it by 2"),
        agent="math",
        calls=(DIV,),
        answer=("12.5",),
    ),
    Case(("what is 250 + 175", "add 10 to the result"), calls=(ADD,), answer=("435",)),
    Case(("what's 19 * 3", "double it"), calls=(MUL,), answer=("114",)),
    Case(("what's 3,600 divided by 4", "half of that"), calls=(DIV,), answer=("450",)),
    Case(("what's 7 + 6", "what's that squared"), calls=(POW,), answer=("169",)),
    Case(
        ("sqrt 256", "and the square root of that?"),
        agent="math",
        calls=(SQRT,),
        answer=("4",),
    ),
    Case(
        ("what's 45 times 12", "subtract 40 from that"), calls=(SUB,), answer=("500",)
    ),
    Case(
        ("add 2 and 3", "times 10", "minus 7"),
        agent="math",
        calls=(SUB,),
        answer=("43",),
    ),
    Case(
        ("what is 1200 minus 300", "what's 15% of that?"),
        calls=(MUL, DIV),
        answer=("135",),
    ),
    Case(
        ("what's 50 plus 31", "now take the square root of it"),
        calls=(SQRT,),
        answer=("9",),
    ),
    Case(
        ("what's 9 times 9", "plus 19", "and divide the answer by 4"),
        agent="math",
        calls=(DIV,),
        answer=("25",),
    ),
    Case(
        ("2 to the power of 8", "now subtract 6 from it"), calls=(SUB,), answer=("250",)
    ),
    Case(
        ("what is 48 / 6", "multiply the answer by itself"),
        calls=(MUL,),
        answer=("64",),
    ),
    Case(
        (
            "I spent 23.40 on lunch and 9.60 on coffee, what's the total?",
            "and if we split that 3 ways?",
        ),
        calls=(DIV,),
        answer=("11",),
    ),
    Case(
        ("what's 15 + 27", "then multiply it by 2, then add 6"),
        calls=(MUL, ADD),
        answer=("90",),
    ),
    Case(
        ("what's 10 times 10", "increase that by 10%"),
        agent="math",
        calls=(MUL, DIV, ADD),
        answer=("110",),
    ),
    Case(
        ("what is 64 divided by 8", "what's 2 to the power of that"),
        calls=(POW,),
        answer=("256",),
    ),
    # ------------------------------------------------------------------
    # Facts: capitals
    # ------------------------------------------------------------------
    Case(
        ("What is the capital of Japan?",), calls=(capital("Japan"),), answer=("Tokyo",)
    ),
    Case(("capital of france",), calls=(capital("France"),), answer=("Paris",)),
    Case(
        ("what's the capital of australia",),
        calls=(capital("Australia"),),
        answer=("Canberra",),
    ),
    Case(
        ("capital of Canada?",),
        agent="geo",
        calls=(capital("Canada"),),
        answer=("Ottawa",),
    ),
    Case(
        ("whats the capital city of brazil",),
        calls=(capital("Brazil"),),
        answer=("Brasília",),
    ),
    Case(("capital of chile",), calls=(capital("Chile"),), answer=("Santiago",)),
    Case(("What's Peru's capital?",), calls=(capital("Peru"),), answer=("Lima",)),
    Case(
        ("capital of Bhutan",),
        agent="geo",
        calls=(capital("Bhutan"),),
        answer=("Thimphu",),
    ),
    Case(
        ("what is the capital of côte d'ivoire",),
        calls=(capital(),),
        answer=("Yamoussoukro",),
    ),
    Case(("capital of the Ivory Coast",), calls=(capital(),), answer=("Yamoussoukro",)),
    Case(("what's the capital of Burma",), calls=(capital(),), answer=("Naypyidaw",)),
    Case(("capital of Myanmar?",), calls=(capital("Myanmar"),), answer=("Naypyidaw",)),
    Case(("capital of czechia",), calls=(capital(),), answer=("Prague",)),
    Case(
        ("what's the capital of the Czech Republic",),
        calls=(capital(),),
        answer=("Prague",),
    ),
    Case(("capital of the UK",), calls=(capital(),), answer=("London",)),
    Case(
        ("what is the capital of the USA",), calls=(capital(),), answer=("Washington",)
    ),
    Case(("capital of turkey",), calls=(capital("Turkey"),), answer=("Ankara",)),
    Case(
        ("what's the capital of New Zealand",),
        calls=(capital("New Zealand"),),
        answer=("Wellington",),
    ),
    Case(
        ("capital of switzerland",),
        agent="geo",
        calls=(capital("Switzerland"),),
        answer=("Bern",),
    ),
    Case(
        ("what is the capital of south africa",),
        calls=(capital("South Africa"),),
        answer=("Pretoria",),
    ),
    Case(("capital of nigeria",), calls=(capital("Nigeria"),), answer=("Abuja",)),
    Case(
        ("What's the capital of Kazakhstan?",),
        calls=(capital("Kazakhstan"),),
        answer=("Astana",),
    ),
    Case(("capital of Sri Lanka",), calls=(capital("Sri Lanka"),), answer=("Kotte",)),
    Case(("where is Canberra",), calls=(fact("Canberra"),), answer=("Australia",)),
    Case(
        ("which country is Nairobi the capital of?",),
        calls=(fact("Nairobi"),),
        answer=("Kenya",),
    ),
    # ------------------------------------------------------------------
    # Facts: populations
    # ------------------------------------------------------------------
    Case(
        ("what's the population of Japan",),
        calls=(population("Japan"),),
        answer=("Japan",),
    ),
    Case(
        ("how many people live in india",),
        calls=(population("India"),),
        answer=("India",),
    ),
    Case(
        ("population of Tokyo",),
        agent="geo",
        calls=(population("Tokyo"),),
        answer=("Tokyo",),
    ),
    Case(("how many people live in the US?",), calls=(population(),)),
    Case(("pop of germany",), calls=(population("Germany"),), answer=("Germany",)),
    Case(
        ("what's the population of Canberra?",),
        calls=(population("Canberra"),),
        answer=("Canberra",),
    ),
    Case(
        ("what's the population of mars",),
        calls=(population("Mars"),),
        answer=("Mars",),
    ),
    # ------------------------------------------------------------------
    # Facts: moons
    # ------------------------------------------------------------------
    Case(("How many moons does Mars have?",), calls=(moons("Mars"),), answer=("2",)),
    Case(
        ("how many moons does jupiter have",), calls=(moons("Jupiter"),), answer=("95",)
    ),
    Case(("moons of saturn",), agent="geo", calls=(moons("Saturn"),), answer=("146",)),
    Case(
        ("what's the largest moon of Jupiter",),
        calls=(moons("Jupiter"),),
        answer=("Ganymede",),
    ),
    Case(("biggest moon of saturn?",), calls=(moons("Saturn"),), answer=("Titan",)),
    Case(("how many moons does earth have",), calls=(moons("Earth"),), answer=("1",)),
    Case(("does venus have any moons",), calls=(moons("Venus"),), answer=("Venus",)),
    Case(("How many moons has Pluto got?",), calls=(moons("Pluto"),), answer=("5",)),
    Case(
        ("name the moons of mars",), calls=(moons("Mars"),), answer=("Phobos", "Deimos")
    ),
    Case(
        ("what is neptune's largest moon",),
        calls=(moons("Neptune"),),
        answer=("Triton",),
    ),
    Case(
        ("how many moons does uranus have",),
        agent="geo",
        calls=(moons("Uranus"),),
        answer=("27",),
    ),
    Case(
        ("how many moons does France have?",),
        calls=(moons("France"),),
        answer=("France",),
    ),
    # ------------------------------------------------------------------
    # Facts: "tell me about X"
    # ------------------------------------------------------------------
    Case(("tell me about Mars",), calls=(moons("Mars"),), answer=("2",)),
    Case(
        ("tell me about Portugal",),
        calls=(capital("Portugal"), population("Portugal")),
        answer=("Lisbon", "Portugal"),
    ),
    # ------------------------------------------------------------------
    # Facts: follow-ups across turns
    # ------------------------------------------------------------------
    Case(
        ("How many moons does Mars have?", "What are their names?"),
        calls=(moons("Mars"),),
        answer=("Phobos", "Deimos"),
    ),
    Case(
        ("What's the capital of France?", "and the population of the country?"),
        calls=(population("France"),),
        answer=("France",),
    ),
    Case(("capital of France?", "and its population?"), calls=(population(),)),
    Case(
        ("capital of France?", "and its population?", "what about Spain?"),
        calls=(population("Spain"),),
        answer=("Spain",),
    ),
    Case(
        ("what's the population of France", "what about Spain?"),
        calls=(population("Spain"),),
        answer=("Spain",),
    ),
    Case(
        ("capital of italy?", "what about spain?"),
        calls=(capital("Spain"),),
        answer=("Madrid",),
    ),
    Case(
        ("capital of Peru", "how many people live in that city?"),
        calls=(population("Lima"),),
        answer=("Lima",),
    ),
    Case(
        ("how many moons does jupiter have", "which is the biggest?"),
        calls=(moons("Jupiter"),),
        answer=("Ganymede",),
    ),
    Case(
        ("how many moons does saturn have", "and uranus?"),
        calls=(moons("Uranus"),),
        answer=("27",),
    ),
    Case(
        ("what's the capital of Norway", "and Sweden?", "and Finland?"),
        calls=(capital("Finland"),),
        answer=("Helsinki",),
    ),
    Case(
        ("how many moons does Neptune have?", "name them"),
        calls=(moons("Neptune"),),
        answer=("Triton", "Proteus"),
    ),
    Case(
        ("What's the capital of Germany?", "and how many people live in Berlin?"),
        calls=(population("Berlin"),),
        answer=("Berlin",),
    ),
    Case(
        ("population of Brazil", "and its capital?"),
        calls=(capital("Brazil"),),
        answer=("Brasília",),
    ),
    Case(
        ("how many moons does pluto have", "what's the biggest one called?"),
        calls=(moons("Pluto"),),
        answer=("Charon",),
    ),
    Case(
        ("what's the capital of Australia", "and New Zealand's?"),
        calls=(capital("New Zealand"),),
        answer=("Wellington",),
    ),
    Case(
        ("Largest moon of Uranus?", "what about Neptune?"),
        calls=(moons("Neptune"),),
        answer=("Triton",),
    ),
    Case(
        ("capital of Chile", "and Argentina?"),
        agent="geo",
        calls=(capital("Argentina"),),
        answer=("Buenos Aires",),
    ),
    Case(
        ("what's the population of Canada", "and its capital?"),
        agent="geo",
        calls=(capital("Canada"),),
        answer=("Ottawa",),
    ),
    Case(
        ("How many moons does Mars have?", "and Earth?"),
        agent="geo",
        calls=(moons("Earth"),),
        answer=("1",),
    ),
    Case(
        ("capital of Vietnam?", "and Thailand?"),
        calls=(capital("Thailand"),),
        answer=("Bangkok",),
    ),
    Case(
        ("how many moons does jupiter have", "and saturn?"),
        calls=(moons("Saturn"),),
        answer=("146",),
    ),
    Case(
        ("what's the capital of Mongolia?", "and how many people live in the country?"),
        agent="geo",
        calls=(population("Mongolia"),),
        answer=("Mongolia",),
    ),
    # ------------------------------------------------------------------
    # Several questions in one message
    # ------------------------------------------------------------------
    Case(
        ("What is the capital of Japan, and what is 12 times 7 plus 5?",),
        calls=(capital("Japan"), MUL, ADD),
        answer=("Tokyo", "89"),
    ),
    Case(
        ("capital of france and capital of germany",),
        calls=(capital("France"), capital("Germany")),
        answer=("Paris", "Berlin"),
    ),
    Case(
        ("how many moons do mars and jupiter have",),
        calls=(moons("Mars"), moons("Jupiter")),
        answer=("2", "95"),
    ),
    Case(
        ("what's 15% of 80 and what's the capital of Peru?",),
        calls=(MUL, DIV, capital("Peru")),
        answer=("12", "Lima"),
    ),
    Case(
        ("what's the square root of 169? also how many moons does neptune have",),
        calls=(SQRT, moons("Neptune")),
        answer=("13", "14"),
    ),
    Case(
        ("capital of canada? and 100 divided by 8?",),
        calls=(capital("Canada"), DIV),
        answer=("Ottawa", "12.5"),
    ),
    Case(
        ("what's 6 times 7 and what's 100 minus 57",),
        calls=(MUL, SUB),
        answer=("42", "43"),
    ),
    Case(
        ("remember my favourite city is Rome, and tell me the population of Italy",),
        calls=(remember("Rome"), population("Italy")),
        answer=("Italy",),
    ),
    Case(
        ("what are the capitals of spain, portugal and italy",),
        calls=(capital("Spain"), capital("Portugal"), capital("Italy")),
        answer=("Madrid", "Lisbon", "Rome"),
    ),
    Case(
        ("How many moons does Saturn have and which is the biggest?",),
        calls=(moons("Saturn"),),
        answer=("146", "Titan"),
    ),
    Case(
        ("capital and population of Chile?",),
        calls=(capital("Chile"), population("Chile")),
        answer=("Santiago", "Chile"),
    ),
    Case(
        ("what is 2 to the 10th and the square root of 1024",),
        calls=(POW, SQRT),
        answer=("1024", "32"),
    ),
    Case(
        ("what's 12 + 30, and what's the capital of Egypt",),
        calls=(ADD, capital("Egypt")),
        answer=("42", "Cairo"),
    ),
    Case(
        ("which has more moons, uranus or neptune?",),
        calls=(moons("Uranus"), moons("Neptune")),
        answer=("Uranus",),
    ),
    Case(
        ("what's the population of India and of China",),
        calls=(population("India"), population("China")),
        answer=("India", "China"),
    ),
    Case(
        ("capital of Bhutan, capital of Nepal",),
        agent="geo",
        calls=(capital("Bhutan"), capital("Nepal")),
        answer=("Thimphu", "Kathmandu"),
    ),
    Case(
        ("tell me the capital of Morocco and how many moons Mars has",),
        calls=(capital("Morocco"), moons("Mars")),
        answer=("Rabat", "2"),
    ),
    Case(
        ("What's 9 squared and what's 9 cubed?",),
        agent="calculator",
        calls=(POW, POW),
        answer=("81", "729"),
    ),
    Case(
        ("convert 10 km to miles and tell me the capital of Ireland",),
        calls=(convert(10), capital("Ireland")),
        answer=("6.2", "Dublin"),
    ),
    Case(
        ("what's 25% of 360 and what's the largest moon of Saturn?",),
        calls=(MUL, DIV, moons("Saturn")),
        answer=("90", "Titan"),
    ),
    Case(
        ("how many moons do Earth and Pluto have in total",),
        calls=(moons("Earth"), moons("Pluto"), ADD),
        answer=("6",),
    ),
    # ------------------------------------------------------------------
    # Memory about the user
    # ------------------------------------------------------------------
    Case(("remember my dog's name is Rex",), calls=(remember("Rex"),)),
    Case(
        ("remember my dog's name is Rex", "what's my dog's name?"),
        calls=(RECALL,),
        answer=("Rex",),
    ),
    Case(("my favourite colour is green, remember that",), calls=(remember("green"),)),
    Case(
        ("my favourite colour is green, remember that", "what's my favourite colour?"),
        calls=(RECALL,),
        answer=("green",),
    ),
    Case(
        ("please remember that I live in Lisbon", "where do I live?"),
        calls=(RECALL,),
        answer=("Lisbon",),
    ),
    Case(("remember my name is Sam",), calls=(remember("Sam"),)),
    Case(
        ("remember my name is Sam", "hi, do you know my name?"),
        calls=(RECALL,),
        answer=("Sam",),
    ),
    Case(("what's my cat called?",), calls=(RECALL,)),
    Case(("what's my favourite colour?",), calls=(RECALL,)),
    Case(
        (
            "remember that my favourite number is 7",
            "what's my favourite number times 6?",
        ),
        calls=(RECALL, MUL),
        answer=("42",),
    ),
    Case(
        ("my wife's birthday is 14 May, can you remember that?",),
        calls=(remember("14 May"),),
    ),
    Case(
        (
            "my wife's birthday is 14 May, can you remember that?",
            "when is my wife's birthday?",
        ),
        calls=(RECALL,),
        answer=("14 May",),
    ),
    Case(
        ("remember my favorite color is blue", "what is my favourite colour"),
        calls=(RECALL,),
        answer=("blue",),
    ),
    Case(("remember that I'm allergic to peanuts",), calls=(remember(),)),
    Case(
        (
            "remember my favourite colour is green",
            "actually it's purple now, remember that instead",
            "what's my favourite colour?",
        ),
        calls=(RECALL,),
        answer=("purple",),
    ),
    Case(
        (
            "remember that my favourite food is sushi",
            "remember that my favourite drink is tea",
            "what's my favourite food?",
        ),
        calls=(RECALL,),
        answer=("sushi",),
    ),
    Case(
        ("my parrot's name is Polly, remember it",),
        agent="pirate",
        calls=(remember("Polly"),),
    ),
    Case(
        ("remember my height is 180 cm", "what's my height in feet?"),
        calls=(RECALL, convert(180)),
        answer=("5.9",),
    ),
    Case(("remember that my flight number is BA117",), calls=(remember("BA117"),)),
    Case(
        ("i was born in 1990, remember that", "how old will I be in 2030?"),
        calls=(RECALL, SUB),
        answer=("40",),
    ),
    Case(
        ("remember my budget is 500", "I spent 320, how much of my budget is left?"),
        calls=(RECALL, SUB),
        answer=("180",),
    ),
    Case(("call me Alex from now on",), calls=(remember("Alex"),)),
    # ------------------------------------------------------------------
    # Declines (tools the agent lacks, instructions that limit it) and
    # instructions that leave the answer unchanged
    # ------------------------------------------------------------------
    Case(("What is the capital of Japan?",), agent="calculator", declines=True),
    Case(("how many moons does mars have",), agent="calculator", declines=True),
    Case(("remember my dog's name is Rex",), agent="calculator", declines=True),
    Case(("now times 3",), agent="calculator", declines=True),
    Case(("what's 5 times 4", "now times 3"), agent="calculator", declines=True),
    Case(("add 10 to that",), agent="calculator", declines=True),
    Case(("what's 12 times 7",), agent="geo", declines=True),
    Case(("sqrt 144",), agent="geo", declines=True),
    Case(("capital of France?",), agent="math", declines=True),
    Case(("remember my name is Sam",), agent="math", declines=True),
    Case(("what's the capital of France?",), agent="moons_only", declines=True),
    Case(("what is 17% of 2340",), agent="moons_only", declines=True),
    Case(("remember my dog's name is Rex",), agent="moons_only", declines=True),
    Case(("tell me the population of Japan",), agent="moons_only", declines=True),
    Case(
        ("how many moons does Saturn have?",),
        agent="moons_only",
        calls=(moons("Saturn"),),
        answer=("146",),
    ),
    Case(
        ("what's the largest moon of Uranus",),
        agent="moons_only",
        calls=(moons("Uranus"),),
        answer=("Titania",),
    ),
    Case(
        ("How many moons does Jupiter have?",),
        agent="pirate",
        calls=(moons("Jupiter"),),
        answer=("95",),
    ),
    Case(("what's 12 times 12",), agent="pirate", calls=(MUL,), answer=("144",)),
    Case(
        ("capital of chile",),
        agent="pirate",
        calls=(capital("Chile"),),
        answer=("Santiago",),
    ),
    Case(
        ("ahoy! what be 17% of 2340?",),
        agent="pirate",
        calls=(MUL, DIV),
        answer=("397.8",),
    ),
    Case(
        ("What's the capital of Cuba and what's 3 times 11?",),
        agent="pirate",
        calls=(capital("Cuba"), MUL),
        answer=("Havana", "33"),
    ),
    # ------------------------------------------------------------------
    # Out of reach: nothing in the tools answers these
    # ------------------------------------------------------------------
    Case(("what's the weather like today?",), out_of_reach=True),
    Case(("write me a poem about the sea",), out_of_reach=True),
    Case(("translate 'good morning' into French",), out_of_reach=True),
    Case(("who won the world cup",), out_of_reach=True),
    Case(("what's Apple's stock price right now",), out_of_reach=True),
    Case(("what time is it",), out_of_reach=True),
    Case(("tell me a joke",), out_of_reach=True),
    Case(("who is the president of France?",), out_of_reach=True),
    Case(("what's in the news today",), out_of_reach=True),
    Case(("give me a recipe for pancakes",), out_of_reach=True),
    Case(("how far is Paris from Berlin",), out_of_reach=True),
    Case(("what's the currency of Japan?",), out_of_reach=True),
    Case(("how tall is Mount Everest",), out_of_reach=True),
    Case(("book me a table for two tonight",), out_of_reach=True),
    Case(("what day of the week is it",), out_of_reach=True),
    Case(("what's the area of France?",), out_of_reach=True),
    Case(("what language do they speak in Brazil",), out_of_reach=True),
    Case(("will it rain in London tomorrow?",), agent="geo", out_of_reach=True),
    # ------------------------------------------------------------------
    # Unit conversion (graded only where a convert tool exists)
    # ------------------------------------------------------------------
    Case(
        ("convert 100 celsius to fahrenheit",), calls=(convert(100),), answer=("212",)
    ),
    Case(("what's 0 °C in F",), calls=(convert(0),), answer=("32",)),
    Case(("how many pounds is 1 kg",), calls=(convert(1),), answer=("2.2",)),
    Case(("10 km in metres",), calls=(convert(10),), answer=("10000",)),
    Case(("1 foot in cm",), calls=(convert(1),), answer=("30.48",)),
    Case(("how many yards in a mile?",), calls=(convert(1),), answer=("1760",)),
    Case(("2 litres to ml",), calls=(convert(2),), answer=("2000",)),
    Case(("how many ounces in a pound",), calls=(convert(1),), answer=("16",)),
    Case(("98.6 F in celsius",), calls=(convert(98.6),), answer=("37",)),
    Case(("5 km to miles",), calls=(convert(5),), answer=("3.1",)),
    Case(("300 kelvin in celsius?",), calls=(convert(300),), answer=("26.85",)),
    Case(("how many feet in a mile",), calls=(convert(1),), answer=("5280",)),
    Case(
        ("convert 10 miles to km", "and what's that in metres?"),
        calls=(convert(),),
        answer=("16093.44",),
    ),
    Case(("how many gallons is 10 litres",), calls=(convert(10),), answer=("2.64",)),
    # ------------------------------------------------------------------
    # Greetings and help
    # ------------------------------------------------------------------
    Case(("hi",)),
    Case(("hello there!",)),
    Case(("what can you do?",), answer=("capital", "moon", "remember")),
    Case(("help",), answer=("moon",)),
    Case(("thanks!",)),
    Case(("good morning",)),
    Case(("what can you do?",), agent="calculator", answer=("multiply",)),
    Case(("what can you do",), agent="geo", answer=("capital",)),
    Case(("hi, what are you for?",), agent="math", answer=("multiply",)),
    Case(("what can you do?",), agent="moons_only", answer=("moon",)),
    Case(("who are you?",)),
    Case(("hi", "what's 2 + 2?"), calls=(ADD,), answer=("4",)),
    Case(("thank you, bye",)),
]
