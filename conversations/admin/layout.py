"""Room for the admin's wide lists."""

from __future__ import annotations

from django.http import HttpRequest


class WithoutNavSidebar:
    """A `ModelAdmin` whose list drops the admin's navigation sidebar. Beside it
    and the filters, the sessions list's nine columns got about 630px of a
    1280px-wide window: the table scrolled sideways inside its box and the last
    column was cut off at the edge. Breadcrumbs still lead to the other lists."""

    def changelist_view(self, request: HttpRequest, extra_context=None):
        context = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        return super().changelist_view(request, context)
