"""AG-UI, the agent-to-UI event protocol (PROTOCOL.md section 7; docs/agui.md).

A thin edge over the engine: `inputs` reads a `RunAgentInput` into the engine's
own calls (a message, or decisions on approvals), `translate` turns a run's
stored events and live deltas into AG-UI events, `history` builds the snapshots
a resumed stream opens with, and `views` serves both endpoints. The run itself
is the same run every other way in sees; only its spelling on the wire differs.
"""
