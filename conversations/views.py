"""The chat page (the browser's way in)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def chat_page(request: HttpRequest) -> HttpResponse:
    """Serve the chat page to a signed-in user."""
    return render(request, "conversations/chat.html")
