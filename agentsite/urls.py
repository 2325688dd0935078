"""Top-level URL map: admin, the API, the chat page, health."""

from django.contrib import admin
from django.urls import include, path

from agentsite.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("", include("conversations.urls")),
]
