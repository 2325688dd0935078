"""Top-level URL map: admin, the API, the chat page, health, the favicon."""

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from agentsite.health import healthz


class FaviconRedirect(RedirectView):
    """Browsers ask for `/favicon.ico` whatever a page links; send them to the SVG.

    The address is looked up per request, not at import, since the manifest
    storage names the file by its hash; and the redirect is temporary, so a new
    icon's new name is followed rather than a cached old one.
    """

    permanent = False

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", FaviconRedirect.as_view(), name="favicon"),
    path("", include("conversations.urls")),
]
