from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "backend.interop"
    label = "interop"
    verbose_name = "Integrations"

    def ready(self) -> None:
        # Wake a worker as soon as a change with outbox events commits.
        from backend.interop.webhooks.tasks import webhooks_wake
        from backend.scheduling.outbox.services import events_committed

        events_committed.connect(webhooks_wake, dispatch_uid="interop.webhooks_wake")
