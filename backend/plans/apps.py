from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "backend.plans"
    label = "plans"
    verbose_name = "Treatment plans"
