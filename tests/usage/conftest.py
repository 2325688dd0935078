"""The admin's superuser and Alice's and Bob's API clients, for the usage tests."""

from tests.admin.conftest import superuser  # noqa: F401 - fixtures
from tests.api.conftest import api, bob_api  # noqa: F401 - fixtures
