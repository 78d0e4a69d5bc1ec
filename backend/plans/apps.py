from django.apps import AppConfig


def _reschedule_cascade(**kwargs):
    # Imported on first use: the services pull in the engine and models, which must not
    # load while the app registry is still being populated.
    from backend.plans.services.cascade import plan_reschedule_cascade

    return plan_reschedule_cascade(**kwargs)


class PlansConfig(AppConfig):
    name = "backend.plans"
    label = "plans"
    verbose_name = "Treatment plans"

    def ready(self) -> None:
        # Scheduling never imports plans; plans plugs its cascade into reschedule here.
        from backend.scheduling.booking.services import reschedule_cascade_register

        reschedule_cascade_register(_reschedule_cascade)
