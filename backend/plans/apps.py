from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "backend.plans"
    label = "plans"
    verbose_name = "Treatment plans"

    def ready(self) -> None:
        # Scheduling never imports plans; plans plugs its cascade into reschedule here.
        from backend.plans.services.cascade import plan_reschedule_cascade
        from backend.scheduling.services.booking import reschedule_cascade_register

        reschedule_cascade_register(plan_reschedule_cascade)
