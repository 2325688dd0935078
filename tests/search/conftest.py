"""Alice's and Bob's API clients and the admin's superuser, for the search tests."""

from tests.admin.conftest import superuser  # noqa: F401 - fixtures
from tests.api.conftest import api, bob_api  # noqa: F401 - fixtures
