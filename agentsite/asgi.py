"""ASGI entry point: HTTP to Django, WebSockets to the conversations routing.

`get_asgi_application()` runs first so that the app registry is ready before any
module that touches models is imported.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from agentsite.lifecycle import ServerLifecycle, patch_server_libraries  # noqa: E402
from conversations.routing import websocket_urlpatterns  # noqa: E402
from conversations.ws_auth import (  # noqa: E402
    SameOriginValidator,
    SessionOrTokenAuthMiddlewareStack,
)

patch_server_libraries()
application = ServerLifecycle(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": SameOriginValidator(
                SessionOrTokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
