from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "backend.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
