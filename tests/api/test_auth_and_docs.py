"""Who may call the API and how; the agent list; the schema and its docs page."""

import pytest
import yaml
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.agent_factory import agent_names
from tests.api.conftest import token_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/agents/"),
        ("get", "/api/sessions/"),
        ("post", "/api/sessions/"),
        ("get", "/api/token/"),
        ("post", "/api/token/"),
        ("post", "/api/me/erase/"),
    ],
)
def test_anonymous_callers_get_401_with_a_token_challenge(method, path):
    response = getattr(APIClient(), method)(path)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "detail": "Authentication credentials were not provided."
    }


def test_an_unknown_token_is_a_401():
    response = token_client("0" * 40).get("/api/sessions/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_signed_in_page_needs_the_csrf_token_to_change_anything(alice):
    page = APIClient(enforce_csrf_checks=True)
    page.login(username="alice", password="pw-alice")
    assert page.get("/api/sessions/").status_code == 200
    refused = page.post("/api/sessions/", {"agent": "math"}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    csrf = page.get("/").cookies["csrftoken"].value
    created = page.post(
        "/api/sessions/", {"agent": "math"}, format="json", HTTP_X_CSRFTOKEN=csrf
    )
    assert created.status_code == 201


def test_signed_in_user_gets_their_token_and_rotating_it_retires_the_old_one(alice):
    page = APIClient()
    page.force_authenticate(alice)
    key = page.get("/api/token/").json()["token"]
    assert page.get("/api/token/").json()["token"] == key == Token.objects.get().key
    assert token_client(key).get("/api/sessions/").status_code == 200
    rotated = page.post("/api/token/")
    assert rotated.status_code == 201
    new_key = rotated.json()["token"]
    assert new_key != key
    assert token_client(key).get("/api/sessions/").status_code == 401
    assert token_client(new_key).get("/api/sessions/").status_code == 200


def test_agents_are_listed_with_tools_capabilities_and_policy(api):
    agents = {agent["name"]: agent for agent in api.get("/api/agents/").json()}
    assert set(agents) == set(agent_names())
    math = agents["math"]
    assert set(math) == {
        *("name", "description", "tools", "capabilities", "policy", "examples"),
        *("steering", "mcp"),
    }
    assert "multiply" in math["tools"]
    assert math["capabilities"] == ["sessions", "state"]
    assert math["policy"] == "reject"
    assert math["mcp"] == []
    clock = agents["clock"]
    assert clock["tools"] == ["mcp_clock__get_current_time", "mcp_clock__convert_time"]
    assert clock["mcp"] == [
        {
            "name": "clock",
            "transport": "stdio",
            "tools": ["get_current_time", "convert_time"],
        }
    ]


def test_schema_describes_every_endpoint_of_the_contract():
    response = APIClient().get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/agents/",
        "/api/me/erase/",
        "/api/usage/",
        "/api/search/",
        "/api/sessions/",
        "/api/sessions/{id}/",
        "/api/sessions/{id}/events/",
        "/api/sessions/{id}/events/{seq}/feedback/",
        "/api/sessions/{id}/feedback/",
        "/api/sessions/{id}/messages/",
        "/api/sessions/{id}/cancel/",
        "/api/sessions/{id}/export/",
        "/api/sessions/{id}/fork/",
        "/api/sessions/{id}/edit/",
        "/api/sessions/{id}/regenerate/",
        "/api/sessions/{id}/versions/",
        "/api/runs/{id}/",
        "/api/approvals/",
        "/api/approvals/{id}/",
        "/api/approvals/{id}/resolve/",
        "/api/grants/",
        "/api/grants/{id}/",
        "/api/token/",
        "/chat",
        "/api/sessions/{id}/stream/",
        "/api/agui/",
        "/api/agui/{threadId}/stream/",
    }
    chat = schema["paths"]["/chat"]["post"]
    assert "text/event-stream" in chat["responses"]["200"]["content"]
    assert set(chat["responses"]) == {"200", "400", "401", "404", "409", "429"}
    assert "/ws/sessions/{id}/" in schema["info"]["description"]
    schemes = schema["components"]["securitySchemes"]
    assert {name for item in chat["security"] for name in item} <= set(schemes)
    messages = schema["paths"]["/api/sessions/{id}/messages/"]["post"]["responses"]
    assert set(messages) == {"202", "400", "401", "404", "409", "413", "415", "429"}


def test_docs_page_loads_its_assets_from_this_server_not_a_cdn():
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    )
    assert "cdn" not in html.lower()
    assert "<script>" not in html  # its set-up script is a file too, for the CSP
    assert "/api/schema/" in APIClient().get("/api/docs/?script=").content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert APIClient().get(bundle).status_code == 200
