"""The managers' utilization page at /reports/utilization/."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import Client

from backend.common.roles import Role
from backend.console.views.reports import default_range
from backend.scheduling.booking.models import AppointmentStatus
from tests.console.console_html import field_errors
from tests.factories import ClinicFactory, UserFactory
from tests.scheduling.reports.world import NEW_YORK_DAY

pytestmark = pytest.mark.django_db

URL = "/reports/utilization/"


def client_for(*roles: str) -> Client:
    client = Client()
    client.force_login(UserFactory(roles=list(roles)))
    return client


def page_query(world, **overrides):
    return {
        "clinic": world.clinic.id,
        "date_from": NEW_YORK_DAY.isoformat(),
        "date_to": (NEW_YORK_DAY + timedelta(days=6)).isoformat(),
        "granularity": "day",
        **overrides,
    }


def picker(response) -> str:
    """The console's clinic picker, in the top bar."""
    html = response.content.decode()
    return html.split('id="clinic-picker"', 1)[1].split("</select>", 1)[0]


@pytest.fixture
def booked_world(world):
    world.book(world.recliners[0], world.at(9), world.at(10), world.at(11))
    world.book(
        world.recliners[1],
        world.at(9),
        world.at(9, 30),
        world.at(11, 30),
        recovery_seat=world.lounge_chairs[0],
    )
    world.book(world.recliners[1], world.at(13), world.at(14), status=AppointmentStatus.NO_SHOW)
    return world


def test_utilization_page_renders_heatmaps_table_and_csv_link_for_a_manager(booked_world):
    response = client_for(Role.MANAGER).get(URL, page_query(booked_world))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<svg") >= 4  # rooms x days, weekday x hour, one per room, legend
    assert "Dosing Room" in html and "Recovery Lounge" in html
    assert 'class="heatmap"' in html
    assert f"clinic={booked_world.clinic.id}" in html and "format=csv" in html
    assert "What the numbers mean" in html
    assert (
        "<title>Dosing Room, 2026-05-04: 12% in use (150 of 1,200 seat-minutes; "
        "recovery 40%, no-show 60, peak 2 seats)</title>"
    ) in html


def test_utilization_page_shows_the_numbers_of_the_report(booked_world):
    response = client_for(Role.MANAGER).get(URL, page_query(booked_world))

    rows = response.context["rows"]
    assert [row.name for row in rows] == ["Dosing Room", "Recovery Lounge", "All rooms"]
    dosing = rows[0]
    assert (dosing.usage.session_seat_minutes, dosing.usage.recovery_seat_minutes) == (90, 60)
    assert dosing.usage.no_show_seat_minutes == 60
    assert dosing.utilization == "2.5%"  # 150 of 2 x 600 x 5 seat-minutes
    assert rows[1].recovery_share == "100.0%"


def test_utilization_page_weekly(booked_world):
    response = client_for(Role.MANAGER).get(
        URL, page_query(booked_world, granularity="week", date_to="2026-05-24")
    )

    assert response.status_code == 200
    assert [row.name[:8] for row in response.context["period_rows"]] == [
        "2026-W19",
        "2026-W20",
        "2026-W21",
    ]


def test_utilization_page_defaults_to_the_last_four_full_weeks(world, time_machine):
    now = datetime(2026, 5, 7, 15, tzinfo=UTC)  # Thursday in New York

    time_machine.move_to(now, tick=False)
    response = client_for(Role.MANAGER).get(URL)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.date_from, report.date_to) == (date(2026, 4, 6), date(2026, 5, 3))
    assert report.granularity == "day"
    assert response.context["result"].clinic == world.clinic


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 5, 4), (date(2026, 4, 6), date(2026, 5, 3))),  # a Monday
        (date(2026, 5, 10), (date(2026, 4, 6), date(2026, 5, 3))),  # a Sunday
    ],
    ids=["monday", "sunday"],
)
def test_default_range_is_four_full_weeks_before_this_one(today, expected):
    assert default_range(today) == expected


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"date_to": "2026-05-01"}, "date_to"),
        ({"date_to": "2027-06-01"}, "date_to"),
        ({"date_from": "not-a-date"}, "date_from"),
        ({"clinic": "999999"}, "clinic"),
        ({"granularity": "month"}, "granularity"),
    ],
    ids=["backwards", "too-long", "bad-date", "unknown-clinic", "bad-granularity"],
)
def test_utilization_page_explains_bad_input_without_a_report(world, overrides, field):
    response = client_for(Role.MANAGER).get(URL, page_query(world, **overrides))

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "report" not in response.context
    assert 'class="errorlist"' in response.content.decode()
    assert field_errors(response.content, field)  # the message sits next to its field


def test_utilization_page_redirects_anonymous_users_to_login():
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={URL}"


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN], ids=["front-desk", "clinician"])
def test_utilization_page_is_forbidden_to_other_roles(world, role):
    response = client_for(role).get(URL, page_query(world))

    assert response.status_code == 403
    html = response.content.decode()
    assert "Managers only" in html
    assert "<svg" not in html
    nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert "Day board" in nav  # the console around it, without a link it may not follow
    assert "Utilization" not in nav


def test_utilization_page_is_forbidden_to_users_without_a_role(world):
    response = client_for().get(URL, page_query(world))

    assert response.status_code == 403
    assert "<svg" not in response.content.decode()


def test_utilization_page_without_clinics_says_so(db):
    response = client_for(Role.MANAGER).get(URL)

    assert response.status_code == 200
    assert "There is no clinic yet" in response.content.decode()


def test_utilization_page_csv_link_downloads_the_same_report(booked_world):
    client = client_for(Role.MANAGER)
    page = client.get(URL, page_query(booked_world))

    csv_url = re.search(r'href="([^"]*format=csv[^"]*)"', page.content.decode()).group(1)
    response = client.get(csv_url.replace("&amp;", "&"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "Dosing Room" in response.content.decode()


def test_utilization_page_escapes_room_names(world):
    world.dosing_room.name = "<script>alert(1)</script>"
    world.dosing_room.save()

    response = client_for(Role.MANAGER).get(URL, page_query(world))

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_utilization_page_is_a_console_page(booked_world):
    response = client_for(Role.MANAGER).get(URL, page_query(booked_world))

    html = response.content.decode()
    nav = html.split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/">Day board</a>' in nav  # the way back to the console
    assert f'<a href="{URL}" aria-current="page">Utilization</a>' in nav
    assert nav.count('aria-current="page"') == 1
    assert "console/console.css" in html
    assert "<style" not in html  # the page's look lives in the console's stylesheet
    assert f"Times are shown in {booked_world.clinic.timezone}." in html
    assert f"<title>Room utilization · {booked_world.clinic.name}</title>" in html


def test_utilization_page_shows_the_clinic_the_console_shows(world, time_machine):
    time_machine.move_to(datetime(2026, 5, 7, 15, tzinfo=UTC), tick=False)
    other = ClinicFactory(name="Zz Other Site")
    client = client_for(Role.MANAGER)
    client.get("/", {"clinic": other.id})  # picked in the console's clinic picker

    response = client.get(URL)

    assert response.status_code == 200
    assert response.context["result"].clinic == other
    assert f'<option value="{other.id}" selected>' in picker(response)

    response = client.get(URL, page_query(world))  # the report's own clinic field wins

    assert response.context["result"].clinic == world.clinic
    assert f'<option value="{world.clinic.id}" selected>' in picker(response)


def test_utilization_page_reports_only_on_clinics_the_user_manages(world):
    # A manager at one clinic who works the desk at another sees only the first's report.
    desk_clinic = ClinicFactory(with_hours=True, name="Desk Only Clinic")
    user = UserFactory(memberships=[(world.clinic, Role.MANAGER), (desk_clinic, Role.FRONT_DESK)])
    browser = Client()
    browser.force_login(user)
    params = {"date_from": NEW_YORK_DAY.isoformat(), "date_to": NEW_YORK_DAY.isoformat()}

    asked_other = browser.get(URL, {**params, "clinic": desk_clinic.id})
    own = browser.get(URL, {**params, "clinic": world.clinic.id})

    assert own.status_code == 200
    assert own.context["report"] is not None
    assert "report" not in asked_other.context or asked_other.context["report"] is None
    offered = [label for _, label in asked_other.context["form"].fields["clinic"].choices]
    assert offered == [world.clinic.name]


def nurses_keep(world, count: int) -> None:
    """Only the first ``count`` of the world's nurses stay on staff."""
    for nurse in world.nurses[count:]:
        nurse.active = False
        nurse.save()


def test_utilization_page_shows_the_monitor_load(booked_world):
    nurses_keep(booked_world, 1)
    booked_world.clinic.recovering_per_monitor = 3
    booked_world.clinic.save()

    page = client_for(Role.MANAGER).get(URL, page_query(booked_world)).content.decode()

    section = page.split('id="monitoring"', 1)[1].split("</section>", 1)[0]
    assert "at most 3 recovering patients per working nurse" in section
    # Both patients recover from 10:00 to 11:00, with the one nurse left on shift.
    assert '<dd id="monitoring-peak">2</dd>' in section
    assert '<dd id="monitoring-monitors">1</dd>' in section
    assert '<dd id="monitoring-per-monitor">2</dd>' in section
    assert 'id="monitoring-over"' not in section


def test_utilization_page_warns_when_the_peak_broke_the_clinic_ratio(booked_world):
    nurses_keep(booked_world, 1)
    booked_world.clinic.recovering_per_monitor = 1
    booked_world.clinic.save()

    page = client_for(Role.MANAGER).get(URL, page_query(booked_world)).content.decode()

    section = page.split('id="monitoring"', 1)[1].split("</section>", 1)[0]
    assert 'id="monitoring-over"' in section
    assert '<dd id="monitoring-per-monitor">2</dd>' in section


def test_utilization_page_says_when_patients_recovered_with_no_nurse_working(booked_world):
    nurses_keep(booked_world, 0)
    page = client_for(Role.MANAGER).get(URL, page_query(booked_world)).content.decode()

    section = page.split('id="monitoring"', 1)[1].split("</section>", 1)[0]
    assert '<dd id="monitoring-monitors">0</dd>' in section
    assert '<dd id="monitoring-per-monitor">no nurse</dd>' in section
    assert 'id="monitoring-over"' in section
