"""Who may do what: the role names and every role set, in one place.

Roles are Django groups (``front_desk``, ``clinician``, ``manager``). The API's
permission classes and the console's buttons and POST handlers both read the sets below,
so the two front ends can never disagree about an action.
"""


class Role:
    """Django group names; a user's groups are their roles."""

    FRONT_DESK = "front_desk"
    CLINICIAN = "clinician"
    MANAGER = "manager"
    ALL = (FRONT_DESK, CLINICIAN, MANAGER)
    CHOICES = ((FRONT_DESK, "Front desk"), (CLINICIAN, "Clinician"), (MANAGER, "Manager"))


ANY_ROLE = Role.ALL
MANAGER_ONLY = (Role.MANAGER,)
CLINICIAN_ONLY = (Role.CLINICIAN,)
# Booking, moving and cancelling appointments and courses.
BOOKING_ROLES = (Role.FRONT_DESK, Role.MANAGER)
# Steps of the day of treatment: anyone at the desk checks in; clinicians run the session.
DAY_ACTION_ROLES = {
    "check_in": ANY_ROLE,
    "no_show": ANY_ROLE,
    "escort": ANY_ROLE,
    "start": CLINICIAN_ONLY,
    "recover": CLINICIAN_ONLY,
    "discharge": CLINICIAN_ONLY,
}
REMS_FILE_ROLES = CLINICIAN_ONLY
# Calendar feeds: who may issue or revoke the feed of each kind of owner (staff members
# may also manage their own feed, see ``feeds.views.StaffFeedActions``).
PATIENT_FEED_ROLES = BOOKING_ROLES
ROOM_FEED_ROLES = MANAGER_ONLY
STAFF_FEED_ROLES = MANAGER_ONLY
REPORT_ROLES = MANAGER_ONLY
# Staff accounts: creating them, changing their roles, deactivating them (in the clinics the
# caller manages).
ACCOUNT_ROLES = MANAGER_ONLY
# Recording staff absences and extra shifts, and fixing the appointments they hit.
ABSENCE_ROLES = (Role.FRONT_DESK, Role.MANAGER)
# Clinic set-up in the console: hours, closures, rooms, seats, staff and their hours.
SETUP_ROLES = MANAGER_ONLY

# The console's action names -> the roles that may take them.
ACTION_ROLES: dict[str, tuple[str, ...]] = {
    "book": BOOKING_ROLES,
    "reschedule": BOOKING_ROLES,
    "cancel": BOOKING_ROLES,
    "patient_feed": PATIENT_FEED_ROLES,
    "utilization": REPORT_ROLES,
    "accounts": ACCOUNT_ROLES,
    "absences": ABSENCE_ROLES,
    "setup": SETUP_ROLES,
    "patient_edit": BOOKING_ROLES,
    **DAY_ACTION_ROLES,
}
