"""The browser's way in: the chat page and the account pages around it.

Signing in and out and changing a password are Django's own auth views; only
signing up needs a view of its own, because Django ships the form
(`UserCreationForm`) but not the page.
"""

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from conversations.agent_factory import default_agent
from conversations.inputs import MAX_TEXT_LENGTH
from conversations.ratelimit import retry_after, sign_in_limit


@login_required
@ensure_csrf_cookie
def chat_page(request: HttpRequest) -> HttpResponse:
    """Serve the chat page to a signed-in user.

    Its scripts call the REST API with the session cookie, so the CSRF cookie must
    be set before their first unsafe request.
    """
    config = {
        "wsPath": "/ws/sessions/",
        "signInUrl": resolve_url(settings.LOGIN_URL),
        "defaultAgent": default_agent(),
    }
    return render(
        request,
        "conversations/chat.html",
        {"chat_config": config, "max_text": MAX_TEXT_LENGTH},
    )


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account and sign its owner in at once, while SIGNUP_OPEN."""
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    if not settings.SIGNUP_OPEN:
        return render(request, "registration/sign_up_closed.html", status=403)
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect(_safe_next(request) or settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "registration/sign_up.html",
        {"form": form, "next": _safe_next(request)},
    )


def _safe_next(request: HttpRequest) -> str:
    """The `next` page to return to, if it is on this site."""
    target = request.POST.get("next") or request.GET.get("next", "")
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form that refuses, before checking any password, while
    its caller has failed too often (`wait`: seconds until it may try again)."""

    wait: float | None = None

    def clean(self) -> dict:
        if self.wait is not None:
            raise ValidationError(
                "Too many failed sign-ins. Try again in %(seconds)s seconds.",
                code="throttled",
                params={"seconds": retry_after(self.wait)},
            )
        return super().clean()


class SignInView(LoginView):
    """Django's sign-in, with failed attempts limited per username and per
    client address: past the limit the form answers 429 without checking the
    password, so guessing is as slow for one account as across many."""

    template_name = "registration/sign_in.html"
    redirect_authenticated_user = True
    form_class = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs) -> dict:
        return {
            **super().get_context_data(**kwargs),
            "signup_open": settings.SIGNUP_OPEN,
        }

    def _keys(self) -> list[str]:
        username = self.request.POST.get("username", "").strip().lower()[:150]
        return [f"user:{username}", f"address:{self.request.META.get('REMOTE_ADDR')}"]

    def get_form(self, form_class=None) -> ThrottledAuthenticationForm:
        form = super().get_form(form_class)
        if self.request.method == "POST":
            limit = sign_in_limit()
            waits = [wait for key in self._keys() if (wait := limit.exceeded(key))]
            form.wait = max(waits, default=None)
        return form

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.wait is not None:
            response.status_code = 429
            response["Retry-After"] = retry_after(form.wait)
        else:
            for key in self._keys():
                sign_in_limit().hit(key)
        return response
