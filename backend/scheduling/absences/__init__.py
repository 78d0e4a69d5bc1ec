"""Staff absences and extra shifts: recording them, the appointments they leave without
their staff member, and the proposal that fixes each one.

The rows live in the resources topic (``StaffAbsence``) because booking's fetch reads them
when it builds working windows; this topic sits above booking, since finding the
appointments an absence hits and proposing a fix both need bookings.
"""
