"""What loading the ASGI app changes in the server libraries under it."""

import autobahn.util


def test_loading_the_app_makes_autobahn_log_arguments_plain():
    """autobahn colours the arguments of every frame's debug log (click.style)
    although nothing logs them; the app switches that off. Fails when autobahn
    moves the switch, so the cost comes back."""
    import agentsite.asgi  # noqa: F401

    assert autobahn.util.hlval(42) == "42"  # no colour codes around it
