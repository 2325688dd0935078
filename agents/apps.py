from django.apps import AppConfig


class AgentsConfig(AppConfig):
    """Django's view of the plain-Python agent framework: its system checks.

    Nothing in `agents/` imports Django except this module and `checks.py`; the
    framework itself runs in plain scripts too.
    """

    name = "agents"

    def ready(self) -> None:
        from agents import checks  # noqa: F401 - registers the system check
