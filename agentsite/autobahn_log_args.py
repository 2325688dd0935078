"""Stop autobahn colouring the arguments of debug log lines that nobody reads.

autobahn's WebSocket protocol (under daphne) builds the arguments of its debug log
calls even when debug logging is off, and its `hl()` helpers colour them with
`click.style` whenever click can be imported (uvicorn and schemathesis install it
here). That is four `click.style` calls for every frame sent: on a flood of ten
runs, a quarter of the event loop's CPU (py-spy; see docs/benchmarks.md). Without
click, autobahn formats plain strings, and that is what this asks for.
"""

from __future__ import annotations

import autobahn.util


def plain_autobahn_log_arguments() -> None:
    """Make autobahn format its log arguments as if click were not installed."""
    autobahn.util._HAS_CLICK = False
