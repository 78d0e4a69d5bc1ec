"""Pure scheduling rules: intervals, clinic calendars and the placement check.

Nothing in this package touches Django, the database, settings or the system clock. Callers
load the world into plain objects (see ``availability.Board``) and pass the time zone and
"now" in, which keeps the rules fast and testable without a database.

Import names from the module that holds them (``intervals``, ``calendar``, ``availability``).
"""
