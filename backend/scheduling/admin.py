"""Django admin for clinic managers: resources are editable, bookings are read-only.

Each topic registers its own models; Django's admin autodiscovery imports this module.
"""

from backend.scheduling.authorizations import admin as authorizations_admin
from backend.scheduling.booking import admin as booking_admin
from backend.scheduling.groups import admin as groups_admin
from backend.scheduling.resources import admin as resources_admin
from backend.scheduling.waitlist import admin as waitlist_admin

__all__ = [
    "authorizations_admin",
    "booking_admin",
    "groups_admin",
    "resources_admin",
    "waitlist_admin",
]
