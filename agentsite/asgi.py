"""ASGI entry point: HTTP to Django, WebSockets to the conversations routing.

`get_asgi_application()` runs first so that the app registry is ready before any
module that touches models is imported.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from agentsite.autobahn_log_args import plain_autobahn_log_arguments  # noqa: E402
from conversations.engine.service import ServerLifecycle  # noqa: E402
from conversations.routing import websocket_urlpatterns  # noqa: E402
from conversations.ws_auth import SessionOrTokenAuthMiddlewareStack  # noqa: E402

plain_autobahn_log_arguments()
application = ServerLifecycle(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                SessionOrTokenAuthMiddlewareStack(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
