"""The app as `make run` serves it: a real daphne process, static files included."""

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.servers import PROJECT_DIR, ServerProcess

pytestmark = pytest.mark.slow


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str) -> tuple[int, dict[str, str], bytes]:
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_home_redirects_anonymous_visitor_to_sign_in(live_server_process):
    status, headers, _ = fetch(live_server_process.base_url + "/")
    assert status == 302
    assert "login" in headers["Location"]


def test_static_files_are_served_in_debug_mode(live_server_process):
    status, headers, body = fetch(live_server_process.base_url + "/static/css/site.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert b"color-scheme" in body


def test_static_files_are_served_in_production_mode(server_env, tmp_path):
    """With DEBUG off, pages link hashed static names that WhiteNoise serves cached."""
    env = {
        **server_env,
        "DEBUG": "0",
        "SECRET_KEY": "a-long-random-test-secret-" + "Zq8!" * 12,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=PROJECT_DIR,
        env={**os.environ, **env},
        check=True,
        timeout=120,
    )
    server = ServerProcess(env=env).start()
    try:
        status, _, page = fetch(server.base_url + "/admin/login/")
        assert status == 200
        href = re.search(rb'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', page)
        assert href, "the page should link the hashed stylesheet"
        css_status, headers, body = fetch(server.base_url + href.group(1).decode())
        assert css_status == 200
        assert "immutable" in headers["Cache-Control"]
        assert body
    finally:
        server.stop()
