"""The staff console, mounted at the site root."""

from django.urls import path

from backend.console.views import (
    accounts,
    appointments,
    auth,
    board,
    courses,
    patients,
    reports,
    schedule,
    staffing,
    visits,
    waitlist,
)

app_name = "console"

urlpatterns = [
    path("", board.board, name="board"),
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.patient_new, name="patient-new"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="patient-edit"),
    path("patients/<int:pk>/active/", patients.patient_active, name="patient-active"),
    path("patients/<int:pk>/feed/", patients.patient_feed_issue, name="patient-feed"),
    path("reports/utilization/", reports.utilization_page, name="utilization"),
    path("security/two-factor/", auth.two_factor_setup, name="two-factor"),
    path("staff-accounts/", accounts.account_list_page, name="accounts"),
    path("staff-accounts/new/", accounts.account_new, name="account-new"),
    path("staff-accounts/<int:pk>/", accounts.account_detail, name="account"),
    path(
        "staff-accounts/<int:pk>/deactivate/",
        accounts.account_deactivate_view,
        name="account-deactivate",
    ),
    path("staff-accounts/<int:pk>/invite/", accounts.account_invite_view, name="account-invite"),
    path("schedule/", schedule.schedule, name="schedule"),
    path("visits/new/", visits.visit_new, name="visit-new"),
    path("staff/", staffing.staff_list, name="staff"),
    path("staff/<int:pk>/absences/", staffing.staff_absences, name="staff-absences"),
    path("absences/<int:pk>/delete/", staffing.absence_delete, name="absence-delete"),
    path("attention/", staffing.attention, name="attention"),
    path("waitlist/", waitlist.waitlist_page, name="waitlist"),
    path("waitlist/<int:pk>/accept/", waitlist.waitlist_accept_view, name="waitlist-accept"),
    path("waitlist/<int:pk>/decline/", waitlist.waitlist_decline_view, name="waitlist-decline"),
    path("waitlist/<int:pk>/withdraw/", waitlist.waitlist_withdraw_view, name="waitlist-withdraw"),
    path("authorizations/", waitlist.authorizations_page, name="authorizations"),
    path("appointments/<int:pk>/reassign/", staffing.appointment_reassign, name="reassign"),
    path("courses/new/", courses.course_new, name="course-new"),
    path("courses/<int:pk>/", courses.course_detail, name="course"),
    path("courses/<int:pk>/book/", courses.course_book, name="course-book"),
    path("appointments/<int:pk>/", appointments.appointment_detail, name="appointment"),
    path(
        "appointments/<int:pk>/reschedule/",
        appointments.appointment_reschedule_view,
        name="appointment-reschedule",
    ),
    path(
        "appointments/<int:pk>/cancel/",
        appointments.appointment_cancel_view,
        name="appointment-cancel",
    ),
    path(
        "appointments/<int:pk>/escort/",
        appointments.appointment_escort_view,
        name="appointment-escort",
    ),
    path(
        "appointments/<int:pk>/discharge/",
        appointments.appointment_discharge_view,
        name="appointment-discharge",
    ),
    path(
        "appointments/<int:pk>/<slug:step>/",
        appointments.appointment_step_view,
        name="appointment-step",
    ),
]
