"""The report tests' small clinic, for the console's utilization page."""

from tests.scheduling.reports.conftest import world

__all__ = ["world"]
