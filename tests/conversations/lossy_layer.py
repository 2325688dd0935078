"""A channel layer that loses news on purpose, like channels-redis past capacity."""

from channels.layers import InMemoryChannelLayer


class LossyInMemoryChannelLayer(InMemoryChannelLayer):
    """Drops every `drop_every`-th group message it is asked to send."""

    def __init__(self, drop_every: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.drop_every = drop_every
        self.sent = 0

    async def group_send(self, group, message):
        self.sent += 1
        if message.get("type") == "session.events" and self.sent % self.drop_every == 0:
            return
        await super().group_send(group, message)
