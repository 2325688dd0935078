"""The admin's users and Alice's API client, for the privacy tests."""

from tests.admin.conftest import decider, superuser, viewer  # noqa: F401 - fixtures
from tests.api.conftest import api  # noqa: F401 - fixture
