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

        # A change that may have freed a seat wakes the waitlist's offers.
        from backend.interop.worker.waitlist import waitlist_wake
        from backend.scheduling.waitlist.services import offers_released

        events_committed.connect(waitlist_wake, dispatch_uid="interop.waitlist_wake_events")
        offers_released.connect(waitlist_wake, dispatch_uid="interop.waitlist_wake_released")
