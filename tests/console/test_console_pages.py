"""Every console page: login, navigation per role, rendering for each role, 403s."""

import pytest
from django.urls import reverse

from backend.common.roles import Role
from tests.console.console_html import text
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def static_text(client, path: str) -> str:
    response = client.get(path)
    try:
        assert response.status_code == 200
        return b"".join(response.streaming_content).decode()
    finally:
        response.close()


def test_site_root_sends_anonymous_users_to_the_login_page(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_login_page_renders_the_standard_form(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert 'name="username"' in text(response)
    assert 'name="password"' in text(response)


def test_logging_in_opens_the_console_at_the_root(client, front_desk_user, world, now):
    response = client.post(
        "/accounts/login/",
        {"username": "frontdesk", "password": "kap-test-password"},
        follow=True,
    )

    assert response.redirect_chain == [("/", 302)]
    assert "Day board" in text(response)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        pytest.param(Role.FRONT_DESK, ["New course"], ["Utilization", "Admin"], id="front-desk"),
        pytest.param(Role.CLINICIAN, [], ["New course", "Utilization", "Admin"], id="clinician"),
        pytest.param(Role.MANAGER, ["New course", "Utilization", "Admin"], [], id="manager"),
    ],
)
def test_navigation_offers_what_the_role_may_use(client, clinic, now, role, shown, hidden):
    user = UserFactory(roles=[role], is_staff=role == Role.MANAGER)
    client.force_login(user)

    nav = text(client.get("/")).split('<nav class="nav"', 1)[1].split("</nav>", 1)[0]

    for label in ["Day board", "Patients", "API docs", *shown]:
        assert label in nav
    for label in hidden:
        assert label not in nav


def test_utilization_link_points_at_the_report_page(manager, clinic, now):
    page = text(manager.get("/"))

    assert '/reports/utilization/"' in page


def test_clinic_picker_appears_only_with_several_clinics(front_desk, clinic, now):
    assert 'name="clinic"' not in text(front_desk.get("/"))

    from tests.factories import ClinicFactory

    second = ClinicFactory(name="Second Site")
    page = text(front_desk.get(f"/?clinic={second.id}"))

    assert 'name="clinic"' in page
    assert "Second Site" in page
    assert f'<option value="{second.id}" selected>' in page


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER])
def test_every_page_renders_for_every_role(browsers, world, now, role):
    client = browsers[role]
    appointment = world.book(world.at(now.date(), 11))
    urls = [
        "/",
        "/patients/",
        f"/patients/{world.patient.id}/",
        f"/appointments/{appointment.id}/",
    ]

    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url


def test_a_user_without_a_clinic_role_is_refused(no_role, world, now):
    for url in ["/", "/patients/", f"/patients/{world.patient.id}/"]:
        response = no_role.get(url)

        assert response.status_code == 403
        assert "no clinic role" in text(response)


@pytest.mark.parametrize(
    "url_name",
    ["console:board", "console:patients", "console:course-new"],
)
def test_pages_need_a_login(client, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_pages_load_the_console_stylesheet_and_a_print_stylesheet(front_desk, clinic, now):
    page = text(front_desk.get("/"))
    css = static_text(front_desk, "/static/console/console.css")
    printed = static_text(front_desk, "/static/console/print.css")

    assert '<link rel="stylesheet" href="/static/console/console.css">' in page
    assert '<link rel="stylesheet" href="/static/console/print.css" media="print">' in page
    assert "@media (max-width: 900px)" in css
    assert "display: none" in printed


def test_logging_out_returns_to_the_login_page(front_desk, clinic, now):
    response = front_desk.post("/accounts/logout/", {"next": "/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert front_desk.get("/").status_code == 302


def test_every_page_links_to_the_two_step_login_set_up(front_desk, world):
    page = front_desk.get("/").content.decode()

    assert 'href="/security/two-factor/"' in page
