from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Plumbing shared by every app; no models."""

    name = "backend.common"
    label = "common"

    def ready(self) -> None:
        from backend.common import strict

        strict.install()
