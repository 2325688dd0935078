"""WSGI entry point, for admin-only or management deployments; the app itself is ASGI."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
application = get_wsgi_application()
