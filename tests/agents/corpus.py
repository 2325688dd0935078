"""What people ask a small assistant, with what a good answer holds.

Written from how people type (informal, lower case, numbers with commas, words
for numbers, several questions at once, follow-ups that say "it" or "that"),
each case before it was run against the offline model. A case is one
conversation: its messages go to one session in order and the last is graded.
`tests/agents/test_offline_corpus.py` runs them and measures the share answered
correctly; the misses it lists are what the model still gets wrong.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One thing a person asks, in a conversation, and what a good answer holds.

    `calls` are the tool calls of the graded turn as (tool, args that matter);
    arithmetic gives no args, since operand order is the model's choice.
    `answer` holds fragments the answer must contain (case-insensitive, numbers
    without thousands separators). `declines`: the agent should say it cannot
    help here and what it can do; `out_of_reach`: no tool answers it, and the
    answer should say so and name the real-model settings.
    """

    asks: tuple[str, ...]
    agent: str = "assistant"
    calls: tuple[tuple[str, dict], ...] = ()
    answer: tuple[str, ...] = ()
    declines: bool = False
    out_of_reach: bool = False


def ask(*asks: str, agent: str = "assistant", calls=(), answer=(), **flags) -> Case:
    return Case(tuple(asks), agent, tuple(calls), tuple(answer), **flags)


def math(*tools: str) -> tuple[tuple[str, dict], ...]:
    return tuple((tool, {}) for tool in tools)


def fact(subject: str, attribute: str) -> tuple[str, dict]:
    return ("lookup_fact", {"subject": subject, "attribute": attribute})


CASES: list[Case] = [
    # -- arithmetic in symbols and words ---------------------------------------
    ask("add 2 and 2", calls=math("add"), answer=["4"]),
    ask("what is 2+2", calls=math("add"), answer=["4"]),
    ask("whats 12 x 7 + 5", calls=math("multiply", "add"), answer=["89"]),
    ask("What is (3 + 4) * 5?", calls=math("add", "multiply"), answer=["35"]),
    ask("subtract 3 from 10", calls=math("subtract"), answer=["7"]),
    ask("what's 100 minus 37", calls=math("subtract"), answer=["63"]),
    ask("multiply 6 by 7", calls=math("multiply"), answer=["42"]),
    ask("6 times 9", calls=math("multiply"), answer=["54"]),
    ask("divide 144 by 12", calls=math("divide"), answer=["12"]),
    ask("what is 10 divided by 4?", calls=math("divide"), answer=["2.5"]),
    ask("1,250 + 3,750", calls=math("add"), answer=["5000"]),
    ask("square root of 81", calls=math("sqrt"), answer=["9"]),
    ask("sqrt 144", calls=math("sqrt"), answer=["12"]),
    ask("what's 2 to the power of 10", calls=math("power"), answer=["1024"]),
    ask("7 squared", calls=math("power"), answer=["49"]),
    ask("3 cubed", calls=math("power"), answer=["27"]),
    ask("calculate 3 plus 4 times 5", calls=math("multiply", "add"), answer=["23"]),
    ask("2 ** 8", calls=math("power"), answer=["256"]),
    ask("what is 1.5 x 4", calls=math("multiply"), answer=["6"]),
    ask("(10 - 4) / 3", calls=math("subtract", "divide"), answer=["2"]),
    ask("the sum of 15 and 27", calls=math("add"), answer=["42"]),
    ask("the product of 8 and 9", calls=math("multiply"), answer=["72"]),
    ask("difference between 50 and 18", calls=math("subtract"), answer=["32"]),
    ask("how much is 250 times 4", calls=math("multiply"), answer=["1000"]),
    ask("what is 7 * 8 - 6", calls=math("multiply", "subtract"), answer=["50"]),
    ask(
        "can you work out 81 / 9 + 1 please", calls=math("divide", "add"), answer=["10"]
    ),
    ask("add the square root of 16 to 3", calls=math("sqrt", "add"), answer=["7"]),
    ask("-5 + 12", calls=math("add"), answer=["7"]),
    ask("divide 1 by 0", calls=math("divide"), answer=["zero"]),
    ask("sqrt of 2", calls=math("sqrt"), answer=["1.414"]),
    # numbers in words
    ask("two plus two", calls=math("add"), answer=["4"]),
    ask("what is ten times twelve", calls=math("multiply"), answer=["120"]),
    ask("twenty-five minus seven", calls=math("subtract"), answer=["18"]),
    ask("a hundred divided by eight", calls=math("divide"), answer=["12.5"]),
    ask("what's three squared", calls=math("power"), answer=["9"]),
    # lists and averages
    ask("add 1, 2 and 3", calls=math("add", "add"), answer=["6"]),
    ask("the average of 3, 5 and 10", calls=math("add", "add", "divide"), answer=["6"]),
    ask("what's the mean of 4 and 8", calls=math("add", "divide"), answer=["6"]),
    ask("sum of 10, 20, 30 and 40", calls=math("add", "add", "add"), answer=["100"]),
    ask("multiply 2, 3 and 4", calls=math("multiply", "multiply"), answer=["24"]),
    ask("double 21", calls=math("multiply"), answer=["42"]),
    ask("half of 9", calls=math("divide"), answer=["4.5"]),
    ask("what is triple 15", calls=math("multiply"), answer=["45"]),
    # percentages
    ask("what is 17% of 2,340?", calls=math("multiply", "divide"), answer=["397.8"]),
    ask("17 percent of 2340", calls=math("multiply", "divide"), answer=["397.8"]),
    ask("15% of 80", calls=math("multiply", "divide"), answer=["12"]),
    ask("what's 50 per cent of 36", calls=math("multiply", "divide"), answer=["18"]),
    ask("20% off 50", calls=math("multiply", "divide", "subtract"), answer=["40"]),
    ask("200 + 10%", calls=math("multiply", "divide", "add"), answer=["220"]),
    ask("increase 80 by 25%", calls=math("multiply", "divide", "add"), answer=["100"]),
    ask(
        "decrease 120 by 15%",
        calls=math("multiply", "divide", "subtract"),
        answer=["102"],
    ),
    ask("what percent of 120 is 30", calls=math("multiply", "divide"), answer=["25%"]),
    ask("30 is what percent of 200", calls=math("multiply", "divide"), answer=["15%"]),
    ask(
        "what percentage is 45 of 180", calls=math("multiply", "divide"), answer=["25%"]
    ),
    ask(
        "12 out of 48 as a percentage", calls=math("multiply", "divide"), answer=["25%"]
    ),
    ask("what is 8% of 1,500", calls=math("multiply", "divide"), answer=["120"]),
    ask("a 15% tip on 60", calls=math("multiply", "divide"), answer=["9"]),
    ask(
        "reduce 90 by 10 percent",
        calls=math("multiply", "divide", "subtract"),
        answer=["81"],
    ),
    # chains
    ask(
        "add 2 and 2 then multiply by 10", calls=math("add", "multiply"), answer=["40"]
    ),
    ask("add 2 and 2, then times 10", calls=math("add", "multiply"), answer=["40"]),
    ask(
        "take 5 from 20 and then double it",
        calls=math("subtract", "multiply"),
        answer=["30"],
    ),
    ask("multiply 3 by 4 then add 5", calls=math("multiply", "add"), answer=["17"]),
    ask("start with 100, then subtract 30", calls=math("subtract"), answer=["70"]),
    ask("add 7 and 8 then divide by 3", calls=math("add", "divide"), answer=["5"]),
    ask(
        "what's 6 times 7, then minus 2",
        calls=math("multiply", "subtract"),
        answer=["40"],
    ),
    ask("square 5 then add 1", calls=math("power", "add"), answer=["26"]),
    ask(
        "add 10 and 5 then multiply by 2 then subtract 6",
        calls=math("add", "multiply", "subtract"),
        answer=["24"],
    ),
    ask(
        "divide 100 by 4 and then take the square root",
        calls=math("divide", "sqrt"),
        answer=["5"],
    ),
    ask("12 plus 8, then halve it", calls=math("add", "divide"), answer=["10"]),
    # references to earlier results
    ask(
        "add 2 and 2 then multiply by 10",
        "now multiply that by 3",
        calls=math("multiply"),
        answer=["120"],
    ),
    ask("what is 12 times 7", "add 10 to the result", calls=math("add"), answer=["94"]),
    ask("what is 9 * 9", "double it", calls=math("multiply"), answer=["162"]),
    ask("what is 50 + 50", "half of that", calls=math("divide"), answer=["50"]),
    ask("what is 3 + 4", "what's that squared", calls=math("power"), answer=["49"]),
    ask("what's 15 x 4", "divide it by 6", calls=math("divide"), answer=["10"]),
    ask("what is 100 - 1", "and times 2?", calls=math("multiply"), answer=["198"]),
    ask("6 * 7", "now subtract 2", calls=math("subtract"), answer=["40"]),
    ask("6 * 7", "plus 8", calls=math("add"), answer=["50"]),
    ask(
        "what is 2 to the power of 5",
        "take the square root of that",
        calls=math("sqrt"),
        answer=["5.6568"],
    ),
    ask(
        "17% of 2340",
        "round trip: multiply the answer by 100",
        calls=math("multiply"),
        answer=["39780"],
    ),
    ask(
        "what is 10 + 5",
        "multiply the result by the result",
        calls=math("multiply"),
        answer=["225"],
    ),
    ask("add 1 and 1", "what is it times 21", calls=math("multiply"), answer=["42"]),
    ask(
        "what's 25 squared",
        "and the square root of it?",
        calls=math("sqrt"),
        answer=["25"],
    ),
    ask("What is the population of Iceland?", "double that", calls=math("multiply")),
    ask(
        "add 2 and 3",
        "now times 4",
        agent="math",
        calls=math("multiply"),
        answer=["20"],
    ),
    ask("now times 3", agent="calculator", answer=["can't tell"]),
    ask("multiply that by 2", answer=["can't tell"]),
    # -- units -----------------------------------------------------------------
    ask("convert 5 miles to km", calls=[("convert", {"value": 5})], answer=["8.047"]),
    ask(
        "how many feet in 3 metres", calls=[("convert", {"value": 3})], answer=["9.843"]
    ),
    ask("100 F in celsius", calls=[("convert", {"value": 100})], answer=["37.778"]),
    ask(
        "what is 30 degrees celsius in fahrenheit",
        calls=[("convert", {"value": 30})],
        answer=["86"],
    ),
    ask("10 kg to pounds", calls=[("convert", {"value": 10})], answer=["22.046"]),
    ask("how many cm in an inch", calls=[("convert", {"value": 1})], answer=["2.54"]),
    ask(
        "convert 2 gallons to litres",
        calls=[("convert", {"value": 2})],
        answer=["7.571"],
    ),
    ask("60 mph in km/h", calls=[("convert", {"value": 60})], answer=["96.561"]),
    ask(
        "how many minutes in 3 hours", calls=[("convert", {"value": 3})], answer=["180"]
    ),
    ask(
        "convert 1,500 metres to miles",
        calls=[("convert", {"value": 1500})],
        answer=["0.932"],
    ),
    ask("5 kg in km", calls=[("convert", {"value": 5})], answer=["can't convert"]),
    ask("convert 5 miles to km", agent="geo", declines=True),
    # -- facts -----------------------------------------------------------------
    ask(
        "What is the capital of France?",
        calls=[fact("France", "capital")],
        answer=["Paris"],
    ),
    ask("capital of peru", calls=[fact("peru", "capital")], answer=["Lima"]),
    ask(
        "what's the capital of Chile?",
        calls=[fact("Chile", "capital")],
        answer=["Santiago"],
    ),
    ask("Bhutan capital?", calls=[fact("Bhutan", "capital")], answer=["Thimphu"]),
    ask(
        "whats the capital city of australia",
        calls=[fact("australia", "capital")],
        answer=["Canberra"],
    ),
    ask(
        "What's Canada's capital?", calls=[fact("Canada", "capital")], answer=["Ottawa"]
    ),
    ask("capital of the UK", calls=[fact("UK", "capital")], answer=["London"]),
    ask(
        "what is the capital of the USA",
        calls=[fact("USA", "capital")],
        answer=["Washington"],
    ),
    ask(
        "capital of Ivory Coast",
        calls=[fact("Ivory Coast", "capital")],
        answer=["Yamoussoukro"],
    ),
    ask(
        "what's the capital of Côte d'Ivoire",
        calls=[fact("Côte d'Ivoire", "capital")],
        answer=["Yamoussoukro"],
    ),
    ask("capital of burma", calls=[fact("burma", "capital")], answer=["Naypyidaw"]),
    ask(
        "what is the capital of czechia",
        calls=[fact("czechia", "capital")],
        answer=["Prague"],
    ),
    ask(
        "tell me the capital of Mongolia",
        calls=[fact("Mongolia", "capital")],
        answer=["Ulaanbaatar"],
    ),
    ask(
        "which city is the capital of Nigeria?",
        calls=[fact("Nigeria", "capital")],
        answer=["Abuja"],
    ),
    ask(
        "do you know the capital of Kenya",
        calls=[fact("Kenya", "capital")],
        answer=["Nairobi"],
    ),
    ask("Capital of Bolivia?", calls=[fact("Bolivia", "capital")], answer=["Sucre"]),
    ask(
        "what is the capital of türkiye",
        calls=[fact("türkiye", "capital")],
        answer=["Ankara"],
    ),
    ask(
        "What is the capital of Atlantis?",
        calls=[fact("Atlantis", "capital")],
        answer=["Atlantis"],
    ),
    ask(
        "where is Canberra?", calls=[fact("Canberra", "capital")], answer=["Australia"]
    ),
    ask(
        "Lima is the capital of which country?",
        calls=[fact("Lima", "capital")],
        answer=["Peru"],
    ),
    ask(
        "what is the population of Japan",
        calls=[fact("Japan", "population")],
        answer=["Japan", "million"],
    ),
    ask(
        "how many people live in brazil?",
        calls=[fact("brazil", "population")],
        answer=["Brazil"],
    ),
    ask("population of Tokyo", calls=[fact("Tokyo", "population")], answer=["Tokyo"]),
    ask(
        "What's Germany's population?",
        calls=[fact("Germany", "population")],
        answer=["Germany"],
    ),
    ask(
        "how many inhabitants does Norway have",
        calls=[fact("Norway", "population")],
        answer=["Norway"],
    ),
    ask(
        "India population",
        calls=[fact("India", "population")],
        answer=["India", "billion"],
    ),
    ask(
        "How many moons does Mars have?",
        calls=[fact("Mars", "moons")],
        answer=["2", "Phobos", "Deimos"],
    ),
    ask(
        "how many moons has jupiter got",
        calls=[fact("jupiter", "moons")],
        answer=["95"],
    ),
    ask("does Earth have a moon?", calls=[fact("Earth", "moons")], answer=["Moon"]),
    ask(
        "How many moons does Venus have?",
        calls=[fact("Venus", "moons")],
        answer=["no moons"],
    ),
    ask(
        "What is the largest moon of Saturn?",
        calls=[fact("Saturn", "moons")],
        answer=["Titan"],
    ),
    ask(
        "what's Jupiter's biggest moon",
        calls=[fact("Jupiter", "moons")],
        answer=["Ganymede"],
    ),
    ask("moons of Neptune", calls=[fact("Neptune", "moons")], answer=["14", "Triton"]),
    ask("how many moons orbit Uranus", calls=[fact("Uranus", "moons")], answer=["27"]),
    ask(
        "how many moons does Pluto have",
        calls=[fact("Pluto", "moons")],
        answer=["5", "Charon"],
    ),
    ask(
        "what is the population of Mars",
        calls=[fact("Mars", "population")],
        answer=["nobody"],
    ),
    ask(
        "tell me about Chile",
        calls=[fact("Chile", "capital"), fact("Chile", "population")],
        answer=["Santiago"],
    ),
    ask(
        "what do you know about Nepal",
        calls=[fact("Nepal", "capital"), fact("Nepal", "population")],
        answer=["Kathmandu"],
    ),
    ask(
        "tell me about Saturn",
        calls=[fact("Saturn", "capital"), fact("Saturn", "moons")],
        answer=["146"],
    ),
    # follow-ups
    ask(
        "How many moons does Mars have?",
        "What are their names?",
        calls=[fact("Mars", "moons")],
        answer=["Phobos", "Deimos"],
    ),
    ask(
        "how many moons does jupiter have",
        "what are they called?",
        calls=[fact("jupiter", "moons")],
        answer=["Ganymede", "Callisto"],
    ),
    ask(
        "How many moons does Saturn have?",
        "which is the largest?",
        calls=[fact("Saturn", "moons")],
        answer=["Titan"],
    ),
    ask(
        "What is the capital of France?",
        "and its population?",
        answer=["Paris", "France"],
    ),
    ask(
        "capital of France?",
        "what about Spain?",
        calls=[fact("Spain", "capital")],
        answer=["Madrid"],
    ),
    ask(
        "What's the capital of Japan?",
        "And Peru?",
        calls=[fact("Peru", "capital")],
        answer=["Lima"],
    ),
    ask(
        "population of Canada",
        "how about Mexico?",
        calls=[fact("Mexico", "population")],
        answer=["Mexico"],
    ),
    ask(
        "How many moons does Mars have?",
        "and Jupiter?",
        calls=[fact("Jupiter", "moons")],
        answer=["95"],
    ),
    ask(
        "What is the capital of Italy?", "how many people live there?", answer=["Rome"]
    ),
    ask(
        "what is the population of Egypt",
        "and what is its capital?",
        calls=[fact("Egypt", "capital")],
        answer=["Cairo"],
    ),
    ask(
        "what's the capital of Portugal",
        "what about Poland",
        "and Ireland?",
        calls=[fact("Ireland", "capital")],
        answer=["Dublin"],
    ),
    ask("And its population?", agent="geo", answer=["which"]),
    ask(
        "How many moons does Neptune have?",
        "what's the biggest one?",
        calls=[fact("Neptune", "moons")],
        answer=["Triton"],
    ),
    ask(
        "tell me about Argentina",
        "and its neighbour Chile?",
        calls=[fact("Chile", "capital")],
        answer=["Santiago"],
    ),
    ask(
        "capital of Switzerland",
        "what about Berne's population",
        calls=[fact("Berne", "population")],
        answer=["Bern"],
    ),
    ask(
        "What is the capital of Vietnam?",
        "What is the capital of Ghana?",
        calls=[fact("Ghana", "capital")],
        answer=["Accra"],
    ),
    ask(
        "How many moons does Earth have?",
        "and Mars?",
        agent="geo",
        calls=[fact("Mars", "moons")],
        answer=["2"],
    ),
    # -- several questions in one message --------------------------------------
    ask(
        "What is the capital of Japan, and what is 12 times 7 plus 5?",
        calls=[fact("Japan", "capital"), *math("multiply", "add")],
        answer=["Tokyo", "89"],
    ),
    ask(
        "What is the capital of France and what is its population?",
        answer=["Paris", "France"],
    ),
    ask(
        "what is 2+2? and what is 3*3?",
        calls=math("add", "multiply"),
        answer=["4", "9"],
    ),
    ask(
        "How many moons does Mars have, and how many does Jupiter have?",
        calls=[fact("Mars", "moons"), fact("Jupiter", "moons")],
        answer=["2", "95"],
    ),
    ask(
        "capital of Peru? capital of Chile?",
        calls=[fact("Peru", "capital"), fact("Chile", "capital")],
        answer=["Lima", "Santiago"],
    ),
    ask(
        "Remember that my name is Sam, and what is 5 times 5?",
        calls=[("remember", {"key": "name", "value": "Sam"}), *math("multiply")],
        answer=["Sam", "25"],
    ),
    ask(
        "convert 10 km to miles and what is the capital of Kenya",
        calls=[("convert", {"value": 10}), fact("Kenya", "capital")],
        answer=["6.214", "Nairobi"],
    ),
    ask(
        "Hi! What is the capital of Norway?",
        calls=[fact("Norway", "capital")],
        answer=["Hello", "Oslo"],
    ),
    ask(
        "what's 15% of 200; what's the capital of Egypt",
        calls=[*math("multiply", "divide"), fact("Egypt", "capital")],
        answer=["30", "Cairo"],
    ),
    ask(
        "What is the population of Peru and what is the population of Chile?",
        calls=[fact("Peru", "population"), fact("Chile", "population")],
        answer=["Peru", "Chile"],
    ),
    ask(
        "add 2 and 3. multiply 4 by 5.",
        calls=math("add", "multiply"),
        answer=["5", "20"],
    ),
    ask(
        "What's my favourite colour, and what is 9 squared?",
        calls=[("recall", {"key": "favourite colour"}), *math("power")],
        answer=["81"],
    ),
    ask(
        "How many moons does Uranus have? Also, what is the capital of Canada?",
        calls=[fact("Uranus", "moons"), fact("Canada", "capital")],
        answer=["27", "Ottawa"],
    ),
    ask(
        "what is the capital of India and how many people live there",
        answer=["New Delhi"],
    ),
    ask(
        "tell me the capital of Brazil, then what is 100 divided by 8",
        calls=[fact("Brazil", "capital"), *math("divide")],
        answer=["Bras", "12.5"],
    ),
    ask(
        "What is the capital of Japan, and what is the weather there?",
        calls=[fact("Japan", "capital")],
        answer=["Tokyo", "LLM_BASE_URL"],
    ),
    # -- memory ----------------------------------------------------------------
    ask(
        "Remember that my favourite colour is green.",
        calls=[("remember", {"value": "green"})],
        answer=["green"],
    ),
    ask(
        "remember that my favorite color is blue",
        "what is my favourite colour?",
        calls=[("recall", {})],
        answer=["blue"],
    ),
    ask("my dog's name is Rex", calls=[("remember", {"value": "Rex"})], answer=["Rex"]),
    ask(
        "my dog's name is Rex",
        "what's my dog's name?",
        calls=[("recall", {})],
        answer=["Rex"],
    ),
    ask(
        "My name is Alice, remember that",
        calls=[("remember", {"value": "Alice"})],
        answer=["Alice"],
    ),
    ask("my name is Alice", "who am i?", calls=[("recall", {})], answer=["Alice"]),
    ask("my name is Bob", "what's my name", calls=[("recall", {})], answer=["Bob"]),
    ask("what is my favourite food?", calls=[("recall", {})], answer=["don't know"]),
    ask("do you remember my birthday?", calls=[("recall", {})], answer=["don't know"]),
    ask(
        "please remember my birthday is 4 May",
        calls=[("remember", {"value": "4 May"})],
        answer=["4 May"],
    ),
    ask(
        "note that my city is Lyon",
        calls=[("remember", {"value": "Lyon"})],
        answer=["Lyon"],
    ),
    ask(
        "keep in mind my team is Arsenal",
        "what is my team?",
        calls=[("recall", {})],
        answer=["Arsenal"],
    ),
    ask(
        "remember: my cat's name is Tom",
        calls=[("remember", {"value": "Tom"})],
        answer=["Tom"],
    ),
    ask(
        "my favourite number is 7",
        "tell me my favourite number",
        calls=[("recall", {})],
        answer=["7"],
    ),
    ask("remember that my name is Alice", agent="geo", declines=True),
    ask("what's my name?", agent="calculator", declines=True),
    ask(
        "remember my shoe size is 42",
        "what was my shoe size",
        calls=[("recall", {})],
        answer=["42"],
    ),
    ask("remind me my dog's name", calls=[("recall", {})], answer=["don't know"]),
    # -- declines: tools and instructions ---------------------------------------
    ask("What is the capital of France?", agent="calculator", declines=True),
    ask("How many moons does Mars have?", agent="math", declines=True),
    ask("add 2 and 2", agent="geo", declines=True),
    ask("What is the capital of France?", agent="moons_only", declines=True),
    ask("what is 17% of 2340", agent="moons_only", declines=True),
    ask("remember that my name is Ann", agent="moons_only", declines=True),
    ask("convert 5 miles to km", agent="moons_only", declines=True),
    ask("what is the population of Peru", agent="moons_only", declines=True),
    ask(
        "How many moons does Jupiter have?",
        agent="moons_only",
        calls=[fact("Jupiter", "moons")],
        answer=["95"],
    ),
    ask(
        "what's the largest moon of Saturn",
        agent="moons_only",
        calls=[fact("Saturn", "moons")],
        answer=["Titan"],
    ),
    ask("what can you do?", agent="moons_only", answer=["moons"]),
    ask("what is 2 + 2", agent="pirate", calls=math("add"), answer=["4"]),
    ask(
        "capital of Chile?",
        agent="pirate",
        calls=[fact("Chile", "capital")],
        answer=["Santiago"],
    ),
    ask("square root of 49", agent="geo", declines=True),
    ask("what is the capital of Spain", agent="math", declines=True),
    # -- out of reach ----------------------------------------------------------
    ask("what's the weather like today?", out_of_reach=True),
    ask("write me a poem about the sea", out_of_reach=True),
    ask("translate 'good morning' into French", out_of_reach=True),
    ask("who won the world cup in 2018?", out_of_reach=True),
    ask("what is the price of Apple stock", out_of_reach=True),
    ask("what time is it?", out_of_reach=True),
    ask("tell me a joke", out_of_reach=True),
    ask("who is the president of France?", out_of_reach=True),
    ask("summarise this article for me", out_of_reach=True),
    ask("what is 5 factorial", out_of_reach=True),
    ask("how far is the Moon from Earth?", out_of_reach=True),
    ask("what's the capital of the moon?", calls=[fact("moon", "capital")]),
    ask("recommend a good book", out_of_reach=True),
    ask("what should I cook tonight", out_of_reach=True),
    # -- greetings and help ----------------------------------------------------
    ask("hello", answer=["Hello", "I can"]),
    ask("hi there!", answer=["Hello"]),
    ask("good morning", answer=["Hello"]),
    ask("what can you do?", answer=["arithmetic", "capitals", "moons", "remember"]),
    ask("help", answer=["I can"]),
    ask("who are you?", answer=["offline"]),
    ask("thanks!", answer=["welcome"]),
    ask("what can you do", agent="calculator", answer=["arithmetic"]),
    ask("hello", agent="geo", answer=["capitals"]),
]
