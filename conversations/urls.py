"""HTTP routes of the conversations app: the chat page, SSE endpoints and the API."""

from django.urls import include, path

from conversations import sse, views

urlpatterns = [
    path("", views.chat_page, name="chat"),
    path("chat", sse.chat, name="chat-stream"),
    path(
        "api/sessions/<str:session_id>/stream/",
        sse.session_stream,
        name="session-stream",
    ),
    path("api/", include("conversations.api.urls")),
]
