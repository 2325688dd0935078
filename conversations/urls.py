"""HTTP routes of the conversations app: the chat page and account pages, SSE
endpoints (ours and AG-UI's) and the API."""

from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy

from conversations import sse, views
from conversations.agui import views as agui

urlpatterns = [
    path("", views.chat_page, name="chat"),
    path("accounts/login/", views.SignInView.as_view(), name="sign-in"),
    path("accounts/signup/", views.sign_up, name="sign-up"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(
            template_name="registration/password_change.html",
            success_url=reverse_lazy("password-changed"),
        ),
        name="password-change",
    ),
    path(
        "accounts/password/changed/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_changed.html"
        ),
        name="password-changed",
    ),
    # Django's LogoutView answers only POST, so no link or prefetch signs out.
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="sign-out"),
    path("chat", sse.chat, name="chat-stream"),
    path(
        "api/sessions/<str:session_id>/stream/",
        sse.session_stream,
        name="session-stream",
    ),
    path("api/agui/", agui.run_agent, name="agui-run"),
    path("api/agui/<str:thread_id>/stream/", agui.run_stream, name="agui-stream"),
    path("api/", include("conversations.api.urls")),
]
