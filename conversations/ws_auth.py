"""WebSocket handshakes: the Origin check, and authentication by the Django
session cookie or by `?token=` for scripts.

Browsers cannot set headers on a WebSocket handshake, so non-browser clients pass
their DRF API token in the query string. The cookie wins when both are present.
"""

from urllib.parse import parse_qs, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http.request import validate_host


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
                # The key is kept so that replacing the token closes the socket.
                user = await user_for_token(keys[0])
                scope = dict(scope, user=user, token_key=keys[0])
        return await self.inner(scope, receive, send)


def SessionOrTokenAuthMiddlewareStack(inner):  # noqa: N802 - named like Channels' stacks
    """Channels' cookie/session stack with token authentication inside it."""
    return AuthMiddlewareStack(TokenAuthMiddleware(inner))


DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_and_port(netloc: str, scheme: str) -> tuple[str, int] | None:
    parsed = urlsplit(f"//{netloc}")
    try:
        port = parsed.port or DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return (parsed.hostname or "", port)


def _is_secure(scope: dict, headers: dict[bytes, bytes]) -> bool:
    if scope.get("scheme") == "wss":
        return True
    header, value = settings.SECURE_PROXY_SSL_HEADER or (None, None)
    if header is None:
        return False
    name = header.removeprefix("HTTP_").replace("_", "-").lower().encode()
    return headers.get(name, b"").decode("latin-1") == value


def origin_allowed(scope: dict) -> bool:
    """A handshake's Origin is this very site (scheme, host and port, the host
    in ALLOWED_HOSTS) or one of CSRF_TRUSTED_ORIGINS, as Django's CSRF check
    judges an unsafe request's Origin. Channels' validator compared only host
    names, so a page on another port or over plain HTTP passed."""
    headers = dict(scope.get("headers", []))
    origin = headers.get(b"origin", b"").decode("latin-1")
    host = headers.get(b"host", b"").decode("latin-1")
    if not origin or origin == "null":
        return False
    if origin in settings.CSRF_TRUSTED_ORIGINS:
        return True
    parsed = urlsplit(origin)
    expected = "https" if _is_secure(scope, headers) else "http"
    if parsed.scheme != expected or not host:
        return False
    origin_address = _host_and_port(parsed.netloc, parsed.scheme)
    return (
        origin_address is not None
        and origin_address == _host_and_port(host, parsed.scheme)
        and validate_host(origin_address[0], settings.ALLOWED_HOSTS)
    )


class SameOriginValidator:
    """Refuses a WebSocket handshake from another origin (before any consumer)."""

    def __init__(self, inner) -> None:
        self.inner = inner

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.inner(scope, receive, send)
