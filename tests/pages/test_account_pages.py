"""The account pages and the chat page's shell, through Django's test client."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_sign_up_creates_the_user_and_signs_them_in(client):
    response = client.post(
        reverse("sign-up"),
        {
            "username": "carol",
            "password1": "a-Long-pass-phrase-41",
            "password2": "a-Long-pass-phrase-41",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("chat")
    assert get_user_model().objects.filter(username="carol").exists()
    assert client.get(reverse("chat")).status_code == 200


def test_sign_up_shows_errors_and_creates_nobody_on_bad_input(client):
    response = client.post(
        reverse("sign-up"),
        {"username": "carol", "password1": "short", "password2": "other"},
    )

    assert response.status_code == 200
    assert b'role="alert"' in response.content
    assert not get_user_model().objects.filter(username="carol").exists()


def test_sign_up_does_not_follow_next_to_another_site(client):
    response = client.post(
        reverse("sign-up") + "?next=https://evil.example/",
        {
            "username": "carol",
            "password1": "a-Long-pass-phrase-41",
            "password2": "a-Long-pass-phrase-41",
        },
    )

    assert response["Location"] == reverse("chat")


def test_chat_page_sends_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("chat"))

    assert response.status_code == 302
    assert response["Location"] == reverse("sign-in") + "?next=/"


def test_sign_in_page_signs_in_and_returns_to_the_chat(client, alice):
    page = client.get(reverse("sign-in") + "?next=/")
    assert b"Sign in" in page.content

    response = client.post(
        reverse("sign-in"),
        {"username": "alice", "password": "pw-alice", "next": "/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_out_refuses_get_and_signs_out_on_post(client, alice):
    client.force_login(alice)

    assert client.get(reverse("sign-out")).status_code == 405
    assert client.get(reverse("chat")).status_code == 200
    response = client.post(reverse("sign-out"))

    assert response.status_code == 302
    assert response["Location"] == reverse("sign-in")
    assert client.get(reverse("chat")).status_code == 302


def test_chat_page_gives_a_signed_in_user_the_socket_path_and_csrf(client, alice):
    client.force_login(alice)

    response = client.get(reverse("chat"))

    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    assert b'name="csrfmiddlewaretoken"' in response.content  # the sign-out form
    script = re.search(
        rb'id="chat-config" type="application/json">(.*?)</script>', response.content
    )
    config = json.loads(script.group(1))
    assert config["wsPath"] == "/ws/sessions/"
    assert config["signInUrl"] == reverse("sign-in")
    assert b'type="module"' in response.content
    assert b"alice" in response.content


def test_chat_page_links_to_the_password_change_form(client, alice):
    client.force_login(alice)

    response = client.get(reverse("chat"))

    assert f'href="{reverse("password-change")}"'.encode() in response.content


def test_with_sign_up_closed_nobody_can_create_an_account(client, settings):
    settings.SIGNUP_OPEN = False
    response = client.post(
        reverse("sign-up"),
        {
            "username": "eve",
            "password1": "a-Long-pass-41",
            "password2": "a-Long-pass-41",
        },
    )
    assert response.status_code == 403
    assert b"Sign-up is closed" in response.content
    assert not get_user_model().objects.filter(username="eve").exists()
    assert b"Create an account" not in client.get(reverse("sign-in")).content
    settings.SIGNUP_OPEN = True
    assert b"Create an account" in client.get(reverse("sign-in")).content


def test_a_user_changes_their_password_and_signs_in_with_the_new_one(client):
    user = get_user_model().objects.create_user("dana", password="old-Pass-phrase-7")
    assert client.get(reverse("password-change")).status_code == 302  # signed out
    client.force_login(user)
    response = client.post(
        reverse("password-change"),
        {
            "old_password": "old-Pass-phrase-7",
            "new_password1": "new-Pass-phrase-8",
            "new_password2": "new-Pass-phrase-8",
        },
    )
    assert response["Location"] == reverse("password-changed")
    assert client.get(reverse("chat")).status_code == 200  # still signed in
    client.logout()
    assert client.login(username="dana", password="new-Pass-phrase-8")
