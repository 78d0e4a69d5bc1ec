"""Django admin of the interop app; each topic registers its own models."""

from backend.interop.webhooks import admin as webhooks_admin

__all__ = ["webhooks_admin"]
