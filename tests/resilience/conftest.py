import pytest
from django.conf import settings

from tests.resilience.kit import Site, prepare_site


@pytest.fixture(scope="session")
def prepared_site(tmp_path_factory) -> Site:
    """The demo clinic in a SQLite database, migrated once per session; tests copy it.

    These tests run servers on SQLite files of their own whatever the suite's database,
    so the PostgreSQL run (which repeats the suite) skips them rather than run them twice.
    """
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("runs on its own SQLite database: covered by the SQLite run")
    return prepare_site(tmp_path_factory.mktemp("prepared-site"))
