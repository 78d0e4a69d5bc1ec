"""The import contracts in pyproject.toml hold, and a broken one fails `lint-imports`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": str(LINT_IMPORTS.parent), "PYTHONPATH": str(cwd)},
    )


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the code and its contracts, to break on purpose."""
    shutil.copytree(ROOT / "backend", tmp_path / "backend", ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(f"{line}\n{path.read_text()}")


def test_the_contracts_hold(tree):
    result = lint_imports(tree)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "backend.scheduling.booking.availability",
            "from django.db import models",
            "Pure rules import no Django",
        ),
        ("backend.plans.engine.rules", "import django.conf", "Pure rules import no Django"),
        (
            "backend.scheduling.booking.services",
            "from backend.plans.models import TreatmentPlan",
            "Apps depend downwards",
        ),
        ("backend.common.errors", "import backend.scheduling.models", "Apps depend downwards"),
        (
            "backend.scheduling.resources.views",
            "from backend.scheduling.feeds import views as feed_views",
            "Scheduling topics depend downwards",
        ),
        (
            "backend.console.views.board",
            "from backend.scheduling.day.views import BoardView",
            "The console calls services, never API views",
        ),
    ],
    ids=[
        "pure-imports-django",
        "engine-imports-django",
        "scheduling-imports-plans",
        "common-imports-an-app",
        "resources-imports-feeds",
        "console-imports-a-view",
    ],
)
def test_a_broken_contract_fails(tree, module, line, contract):
    add_import(tree, module, line)

    result = lint_imports(tree)

    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(contract in row for row in broken), result.stdout
