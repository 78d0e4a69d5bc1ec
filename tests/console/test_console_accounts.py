"""Staff accounts in the console: the list, a new account with its invitation, roles and
email, deactivation and a new link, for managers of the clinics concerned only."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from backend.common.roles import Role
from backend.scheduling.resources.models import Membership
from tests.console.console_html import field_errors, forms_on, text
from tests.factories import ClinicFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
DOWN = "tests.scheduling.day.mail_backends.DownBackend"


@pytest.fixture
def aster(db):
    return ClinicFactory(name="Aster Clinic")


@pytest.fixture
def birch(db):
    return ClinicFactory(name="Birch Clinic")


@pytest.fixture
def manager_a(aster):
    return UserFactory(username="manager_a", memberships=[(aster, Role.MANAGER)])


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def browser(manager_a) -> Client:
    return browser_for(manager_a)


def memberships_of(user) -> set[tuple[int | None, str]]:
    return set(Membership.objects.filter(user=user).values_list("clinic_id", "role"))


def checkbox_names(html: str) -> set[str]:
    return set(re.findall(r'<input type="checkbox" name="([^"]+)"', html))


def new_account_post(aster, **extra) -> dict:
    return {
        "username": "nurse.joy",
        "email": "joy@example.org",
        f"roles_{aster.id}": [Role.CLINICIAN, Role.FRONT_DESK],
        **extra,
    }


# --- Who sees what -----------------------------------------------------------------------


def test_the_nav_link_is_for_managers(aster, browser):
    front_desk = browser_for(UserFactory(memberships=[(aster, Role.FRONT_DESK)]))

    assert 'href="/staff-accounts/"' in text(browser.get("/"))
    assert 'href="/staff-accounts/"' not in text(front_desk.get("/"))


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_other_roles_are_refused(aster, manager_a, role):
    client = browser_for(UserFactory(memberships=[(aster, role)]))

    assert client.get("/staff-accounts/").status_code == 403
    assert client.get("/staff-accounts/new/").status_code == 403
    assert client.get(f"/staff-accounts/{manager_a.pk}/").status_code == 403
    assert client.post(f"/staff-accounts/{manager_a.pk}/deactivate/").status_code == 403


def test_the_list_shows_the_managed_clinics_accounts_and_their_roles(aster, birch, browser):
    joy = UserFactory(username="joy", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=joy, clinic=aster, role=Role.CLINICIAN)
    MembershipFactory(user=joy, clinic=birch, role=Role.MANAGER)
    UserFactory(username="birch_only", memberships=[(birch, Role.CLINICIAN)])

    page = text(browser.get("/staff-accounts/"))

    assert "joy" in page and "manager_a" in page
    assert "birch_only" not in page
    row = page.split(f'id="account-{joy.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Aster Clinic</strong>: Front desk, Clinician" in row
    assert "Birch" not in row  # a clinic the manager does not work in is not shown


def test_an_account_of_another_clinic_is_404(birch, browser):
    stranger = UserFactory(memberships=[(birch, Role.FRONT_DESK)])

    assert browser.get(f"/staff-accounts/{stranger.pk}/").status_code == 404
    assert browser.post(f"/staff-accounts/{stranger.pk}/deactivate/").status_code == 404
    assert browser.post(f"/staff-accounts/{stranger.pk}/invite/").status_code == 404
    assert browser.get("/staff-accounts/999999/").status_code == 404
    assert User.objects.get(pk=stranger.pk).is_active


# --- Creating ------------------------------------------------------------------------------


def test_the_form_offers_only_the_managed_clinics(aster, birch, browser):
    MembershipFactory(user=User.objects.get(username="manager_a"), clinic=birch, role="clinician")

    page = text(browser.get("/staff-accounts/new/"))

    assert checkbox_names(page) == {f"roles_{aster.id}"}
    assert 'type="password"' not in page


def test_create_makes_the_account_and_emails_the_invitation(aster, browser, mailoutbox):
    response = browser.post("/staff-accounts/new/", new_account_post(aster))

    joy = User.objects.get(username="nurse.joy")
    assert response.status_code == 302
    assert response["Location"] == f"/staff-accounts/{joy.pk}/"
    assert memberships_of(joy) == {(aster.id, Role.CLINICIAN), (aster.id, Role.FRONT_DESK)}
    assert not joy.has_usable_password()
    assert mailoutbox[0].to == ["joy@example.org"]
    assert "/accounts/reset/" in mailoutbox[0].body
    page = text(browser.get(response["Location"]))
    assert "emailed to joy@example.org" in page
    assert "invited" in page


def test_a_hand_made_post_naming_another_clinic_gives_no_role_there(aster, birch, browser):
    browser.post(
        "/staff-accounts/new/", new_account_post(aster, **{f"roles_{birch.id}": "manager"})
    )

    assert memberships_of(User.objects.get(username="nurse.joy")) == {
        (aster.id, Role.CLINICIAN),
        (aster.id, Role.FRONT_DESK),
    }


def test_a_taken_username_is_shown_next_to_the_field(aster, browser, mailoutbox):
    response = browser.post("/staff-accounts/new/", new_account_post(aster, username="MANAGER_A"))

    assert response.status_code == 400
    assert field_errors(response.content, "username") == ["This username is taken: choose another."]
    assert mailoutbox == []


def test_no_role_at_all_is_refused(aster, browser):
    body = new_account_post(aster)
    del body[f"roles_{aster.id}"]

    response = browser.post("/staff-accounts/new/", body)

    assert response.status_code == 400
    assert "at least one role" in text(response)
    assert not User.objects.filter(username="nurse.joy").exists()


def test_a_failed_email_still_creates_the_account_and_says_so(aster, browser, settings):
    settings.EMAIL_BACKEND = DOWN

    response = browser.post("/staff-accounts/new/", new_account_post(aster), follow=True)

    assert "the email could not be sent" in text(response)
    assert User.objects.filter(username="nurse.joy").exists()


# --- Editing ----------------------------------------------------------------------------------


def test_saving_replaces_the_roles_in_the_managed_clinics_only(aster, birch, manager_a):
    MembershipFactory(user=manager_a, clinic=birch, role=Role.CLINICIAN)
    browser = browser_for(manager_a)
    joy = UserFactory(username="joy", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=joy, clinic=birch, role=Role.MANAGER)
    url = f"/staff-accounts/{joy.pk}/"

    page = text(browser.get(url))
    form = next(f["fields"] for f in forms_on(page) if f["method"] == "post" and not f["action"])
    assert form[f"roles_{aster.id}"] == Role.FRONT_DESK  # checked now
    assert f"roles_{birch.id}" not in checkbox_names(page)
    assert "Birch Clinic</strong>: Manager" in page  # shown, not editable

    response = browser.post(url, {"email": joy.email, f"roles_{aster.id}": [Role.CLINICIAN]})

    assert response.status_code == 302
    assert memberships_of(joy) == {(aster.id, Role.CLINICIAN), (birch.id, Role.MANAGER)}


def test_the_email_cannot_be_changed_on_an_account_shared_with_other_clinics(aster, birch, browser):
    joy = UserFactory(username="joy", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=joy, clinic=birch, role=Role.FRONT_DESK)

    browser.post(
        f"/staff-accounts/{joy.pk}/",
        {"email": "other@example.org", f"roles_{aster.id}": [Role.FRONT_DESK]},
    )

    joy.refresh_from_db()
    assert joy.email == "joy@example.org"


def test_a_manager_cannot_drop_their_own_manager_role_here_either(aster, browser, manager_a):
    response = browser.post(
        f"/staff-accounts/{manager_a.pk}/",
        {"email": manager_a.email, f"roles_{aster.id}": [Role.CLINICIAN]},
    )

    assert response.status_code == 409
    assert "your own manager role" in text(response)
    assert memberships_of(manager_a) == {(aster.id, Role.MANAGER)}


# --- Deactivating and inviting again ---------------------------------------------------------


def test_deactivate_is_offered_and_works_for_an_account_wholly_managed(aster, browser):
    joy = UserFactory(username="joy", memberships=[(aster, Role.FRONT_DESK)])
    action = f"/staff-accounts/{joy.pk}/deactivate/"

    assert action in [
        f["action"] for f in forms_on(browser.get(f"/staff-accounts/{joy.pk}/").content)
    ]
    response = browser.post(action)

    assert response.status_code == 302
    joy.refresh_from_db()
    assert joy.is_active is False
    assert "deactivated" in text(browser.get(f"/staff-accounts/{joy.pk}/"))


def test_deactivate_is_not_offered_for_a_shared_account_nor_oneself(
    aster, birch, browser, manager_a
):
    shared = UserFactory(username="shared", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=shared, clinic=birch, role=Role.FRONT_DESK)
    shared_page = text(browser.get(f"/staff-accounts/{shared.pk}/"))
    own_page = text(browser.get(f"/staff-accounts/{manager_a.pk}/"))

    assert "/deactivate/" not in shared_page
    assert "clinics you do not manage" in shared_page
    assert "/deactivate/" not in own_page

    refused = browser.post(f"/staff-accounts/{shared.pk}/deactivate/")
    self_refused = browser.post(f"/staff-accounts/{manager_a.pk}/deactivate/")

    assert refused.status_code == 403
    assert self_refused.status_code == 409
    assert User.objects.get(pk=shared.pk).is_active
    assert User.objects.get(pk=manager_a.pk).is_active


def test_send_the_link_again(aster, browser, mailoutbox):
    joy = UserFactory(username="joy", memberships=[(aster, Role.FRONT_DESK)])

    response = browser.post(f"/staff-accounts/{joy.pk}/invite/", follow=True)

    assert response.status_code == 200
    assert "was emailed to joy@example.org" in text(response)
    assert mailoutbox[0].to == ["joy@example.org"]


def test_a_link_that_cannot_be_sent_says_so(aster, browser, settings):
    joy = UserFactory(username="joy", memberships=[(aster, Role.FRONT_DESK)])
    settings.EMAIL_BACKEND = DOWN

    response = browser.post(f"/staff-accounts/{joy.pk}/invite/")

    assert response.status_code == 503
    assert "could not be sent" in text(response)


# --- The set-password pages ------------------------------------------------------------------


def test_the_set_password_pages_are_the_consoles(aster, browser, mailoutbox):
    browser.post("/staff-accounts/new/", new_account_post(aster))
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/reset/" in line)
    visitor = Client()

    form_page = visitor.get(link.strip().removeprefix("http://testserver"), follow=True)
    assert form_page.status_code == 200
    page = text(form_page)
    assert "console/console.css" in page
    assert "Choose a password" in page and "nurse.joy" in page

    done = visitor.post(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a long Harbor passphrase 7",
            "new_password2": "a long Harbor passphrase 7",
        },
        follow=True,
    )
    assert "Your password is set" in text(done)
    assert "console/console.css" in text(done)
    assert visitor.login(username="nurse.joy", password="a long Harbor passphrase 7")

    used = text(Client().get(link.strip().removeprefix("http://testserver"), follow=True))
    assert "This link no longer works" in used
    assert len(mail.outbox) == 1
