"""WebSocket authentication: the Django session cookie, or `?token=` for scripts.

Browsers cannot set headers on a WebSocket handshake, so non-browser clients pass
their DRF API token in the query string. The cookie wins when both are present.
"""

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def user_for_token(key: str):
    """Return the active user owning API token `key`, or an anonymous user."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.select_related("user").filter(key=key).first()
    if token is None or not token.user.is_active:
        return AnonymousUser()
    return token.user


class TokenAuthMiddleware:
    """Sets scope["user"] from `?token=` when the session cookie gave no user."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        user = scope.get("user")
        if user is None or not user.is_authenticated:
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            keys = query.get("token")
            if keys:
                scope = dict(scope, user=await user_for_token(keys[0]))
        return await self.inner(scope, receive, send)


def SessionOrTokenAuthMiddlewareStack(inner):  # noqa: N802 - named like Channels' stacks
    """Channels' cookie/session stack with token authentication inside it."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))
