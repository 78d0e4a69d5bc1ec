import shutil

import pytest
from django.conf import settings

from tests.resilience.kit import Site, prepare_site

ON_SQLITE = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"


@pytest.fixture(scope="session")
def prepared_site(tmp_path_factory) -> Site:
    """The demo clinic in a SQLite database, migrated once per session; tests copy it.

    These tests run servers on SQLite files of their own whatever the suite's database,
    so the PostgreSQL run (which repeats the suite) skips them rather than run them twice.
    """
    if not ON_SQLITE:
        pytest.skip("runs on its own SQLite database: covered by the SQLite run")
    return prepare_site(tmp_path_factory.mktemp("prepared-site"))


@pytest.fixture(scope="session")
def prepared_pg_site(tmp_path_factory):
    """The demo clinic in a PostgreSQL database of its own (beside the suite's test
    database, named after it), for the PostgreSQL run; dropped at the end."""
    if ON_SQLITE:
        pytest.skip("needs PostgreSQL; run with DATABASE_URL=postgres:///...")
    if shutil.which("createdb") is None:
        pytest.skip("needs createdb")
    name = f"{settings.DATABASES['default']['NAME']}_site"
    site = prepare_site(tmp_path_factory.mktemp("prepared-pg-site"), pg_name=name)
    yield site
    site.drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def demo_site(request, tmp_path) -> Site:
    """A fresh copy of the demo site on the suite's own kind of database."""
    if request.param == "sqlite":
        prepared = request.getfixturevalue("prepared_site")
    else:
        prepared = request.getfixturevalue("prepared_pg_site")
    site = prepared.copy_to(tmp_path / "var")
    yield site
    site.drop()
