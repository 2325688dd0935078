"""API routes: the DRF router, the token endpoint, the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from conversations.api.approvals import ApprovalViewSet, GrantViewSet
from conversations.api.me import EraseMeView, UsageView
from conversations.api.search import SearchView
from conversations.api.views import AgentViewSet, RunViewSet, SessionViewSet, TokenView

router = DefaultRouter()
router.register("agents", AgentViewSet, basename="agent")
router.register("sessions", SessionViewSet, basename="session")
router.register("runs", RunViewSet, basename="run")
router.register("approvals", ApprovalViewSet, basename="approval")
router.register("grants", GrantViewSet, basename="grant")

urlpatterns = [
    path("token/", TokenView.as_view(), name="api-token"),
    path("me/erase/", EraseMeView.as_view(), name="api-erase-me"),
    path("usage/", UsageView.as_view(), name="api-usage"),
    path("search/", SearchView.as_view(), name="api-search"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"
    ),
    path("", include(router.urls)),
]
