"""The favicon: `/favicon.ico` leads to the SVG, and every page links it."""

import pytest
from django.contrib import admin
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_svg_in_static(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")
    with open(finders.find("favicon.svg"), encoding="utf-8") as svg:
        assert svg.read().startswith("<svg")


@pytest.mark.parametrize("page", ["/accounts/login/", "/admin/login/"])
def test_site_and_admin_pages_link_the_icon(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}"' in html


def test_the_admin_keeps_its_own_title_and_branding(client):
    """The override adds the icon to Django's base_site, not in place of it."""
    html = client.get("/admin/login/").content.decode()
    assert f"| {admin.site.site_title}</title>" in html
    assert f">{admin.site.site_header}</a>" in html
