"""Every table of the interop app, for Django to find; code imports from the topic."""

from backend.interop.webhooks.models import WebhookDelivery, WebhookEndpoint
from backend.interop.worker.models import ScheduledRun

__all__ = ["ScheduledRun", "WebhookDelivery", "WebhookEndpoint"]
