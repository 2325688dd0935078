from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    """Durable sessions, runs, events and agent state, and their live delivery."""

    name = "conversations"
    default_auto_field = "django.db.models.BigAutoField"
