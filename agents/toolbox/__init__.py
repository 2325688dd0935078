"""The tools agents can be given by name in their definitions."""

from __future__ import annotations

from agents.toolbox.arithmetic import MATH_TOOLS
from agents.toolbox.facts import FACT_TOOLS
from agents.toolbox.memory import MEMORY_TOOLS
from agents.toolbox.notes import NOTE_TOOLS
from agents.toolbox.units import UNIT_TOOLS
from agents.tools import Tool

BUILTIN_TOOLS: dict[str, Tool] = {
    tool.name: tool
    for tool in (
        *MATH_TOOLS,
        *UNIT_TOOLS,
        *FACT_TOOLS,
        *MEMORY_TOOLS,
        *NOTE_TOOLS,
    )
}
