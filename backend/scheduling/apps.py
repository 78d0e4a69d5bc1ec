from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "backend.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        # Connects the signals that change a clinic's configuration stamp.
        from backend.scheduling.resources import config  # noqa: F401
