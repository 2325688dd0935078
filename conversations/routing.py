"""WebSocket URL routes of the conversations app."""

from django.urls import path

from conversations.consumers import SessionConsumer

websocket_urlpatterns = [
    path("ws/sessions/<str:session_id>/", SessionConsumer.as_asgi()),
]
