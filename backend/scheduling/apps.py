from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "backend.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # Connects the signals that change a clinic's configuration stamp.
        from backend.scheduling.feeds.stamps import feeds_stamp_triggers_ensure
        from backend.scheduling.resources import config  # noqa: F401

        post_migrate.connect(
            feeds_stamp_triggers_ensure, sender=self, dispatch_uid="feed-stamp-triggers"
        )
