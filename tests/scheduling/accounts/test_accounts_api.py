"""GET me/, and the accounts API for managers: list, create with an emailed set-password
link, change memberships, deactivate, send the link again."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token

from backend.common.roles import Role
from backend.scheduling.resources.models import Membership
from tests.factories import ClinicFactory, MembershipFactory, TokenFactory, UserFactory
from tests.scheduling.accounts.conftest import (
    client_for,
    link_in,
    memberships_of,
    path_of,
    set_password,
)

pytestmark = pytest.mark.django_db

User = get_user_model()
ACCOUNTS = "/api/v1/accounts/"
DOWN = "tests.scheduling.day.mail_backends.DownBackend"


def detail(account) -> str:
    return f"{ACCOUNTS}{account.pk}/"


def written() -> tuple[int, int]:
    return User.objects.count(), Membership.objects.count()


def new_account(clinic_id, *roles, username="nurse.joy", email="joy@example.org") -> dict:
    return {
        "username": username,
        "email": email,
        "memberships": [{"clinic": clinic_id, "roles": list(roles) or [Role.CLINICIAN]}],
    }


# --- me/ --------------------------------------------------------------------------------


def test_me_lists_the_callers_roles_per_clinic_group_wide_first(aster, birch):
    user = UserFactory(
        username="pat",
        memberships=[(birch, Role.MANAGER), (aster, Role.CLINICIAN), (aster, Role.FRONT_DESK)],
    )
    MembershipFactory(user=user, clinic=None, role=Role.CLINICIAN)

    response = client_for(user).get("/api/v1/me/")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.id
    assert body["username"] == "pat"
    assert body["is_superuser"] is False
    assert body["memberships"] == [
        {"clinic": None, "clinic_name": "Every clinic", "roles": [Role.CLINICIAN]},
        {
            "clinic": aster.id,
            "clinic_name": "Aster Clinic",
            "roles": [Role.FRONT_DESK, Role.CLINICIAN],
        },
        {"clinic": birch.id, "clinic_name": "Birch Clinic", "roles": [Role.MANAGER]},
    ]


def test_me_answers_a_user_without_any_role(db):
    response = client_for(UserFactory(username="nobody")).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["memberships"] == []


def test_me_says_when_the_caller_is_a_superuser(db):
    root = UserFactory(username="root", is_superuser=True)

    body = client_for(root).get("/api/v1/me/").json()

    assert body["is_superuser"] is True
    assert body["memberships"] == []


def test_me_needs_a_login(api):
    assert api.get("/api/v1/me/").status_code == 401


# --- Listing and reading ---------------------------------------------------------------


def test_list_shows_the_accounts_of_the_managed_clinics_with_the_roles_the_caller_sees(
    aster, birch, manager_a
):
    both = UserFactory(username="both", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=both, clinic=birch, role=Role.CLINICIAN)
    UserFactory(username="birch_only", memberships=[(birch, Role.MANAGER)])
    roaming = UserFactory(username="roaming")
    MembershipFactory(user=roaming, clinic=None, role=Role.CLINICIAN)
    UserFactory(username="no_role")

    response = client_for(manager_a).get(ACCOUNTS)

    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["results"]}
    assert set(rows) == {"both", "manager_a", "roaming"}
    assert rows["both"]["memberships"] == [
        {
            "clinic": aster.id,
            "clinic_name": "Aster Clinic",
            "roles": [Role.FRONT_DESK],
            "editable": True,
        }
    ]
    assert rows["roaming"]["memberships"] == [
        {
            "clinic": None,
            "clinic_name": "Every clinic",
            "roles": [Role.CLINICIAN],
            "editable": False,
        }
    ]
    assert rows["both"]["password_set"] is True
    assert "password" not in rows["both"]


def test_a_clinic_the_caller_only_works_in_is_shown_but_not_editable(
    aster, birch, manager_a_clinician_b
):
    both = UserFactory(username="both", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=both, clinic=birch, role=Role.CLINICIAN)

    body = client_for(manager_a_clinician_b).get(detail(both)).json()

    assert [(m["clinic_name"], m["editable"]) for m in body["memberships"]] == [
        ("Aster Clinic", True),
        ("Birch Clinic", False),
    ]


def test_a_group_wide_manager_sees_every_account(aster, birch, group_manager):
    UserFactory(username="a", memberships=[(aster, Role.FRONT_DESK)])
    UserFactory(username="b", memberships=[(birch, Role.FRONT_DESK)])
    UserFactory(username="no_role")

    rows = client_for(group_manager).get(ACCOUNTS).json()["results"]

    assert {row["username"] for row in rows} == {"a", "b", "no_role", "group_manager"}


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_only_managers_use_the_accounts_api(aster, manager_a, role):
    user = UserFactory(memberships=[(aster, role)])
    client = client_for(user)

    assert client.get(ACCOUNTS).status_code == 403
    assert client.get(detail(manager_a)).status_code == 403
    assert client.post(ACCOUNTS, new_account(aster.id), format="json").status_code == 403
    assert client.post(f"{detail(manager_a)}deactivate/").status_code == 403


def test_an_account_of_another_clinic_answers_404_like_one_that_exists_nowhere(aster, birch, api_a):
    stranger = UserFactory(memberships=[(birch, Role.FRONT_DESK)])
    before = written()

    for path, method in [
        (detail(stranger), "get"),
        (detail(stranger), "patch"),
        (f"{detail(stranger)}deactivate/", "post"),
        (f"{detail(stranger)}invite/", "post"),
    ]:
        response = getattr(api_a, method)(path, {"memberships": []}, format="json")
        missing = getattr(api_a, method)(
            path.replace(str(stranger.pk), "999999"), {"memberships": []}, format="json"
        )
        assert response.status_code == 404, (method, path)
        assert missing.status_code == 404
        assert response.json()["detail"] == missing.json()["detail"]

    assert written() == before
    assert User.objects.get(pk=stranger.pk).is_active


@pytest.mark.parametrize("count", [1, 3])
def test_listing_costs_the_same_four_queries_for_1_and_3_accounts(
    aster, birch, manager_a, count, django_assert_num_queries
):
    for _ in range(count):
        user = UserFactory(memberships=[(aster, Role.FRONT_DESK), (aster, Role.CLINICIAN)])
        MembershipFactory(user=user, clinic=birch, role=Role.CLINICIAN)
    # A fresh user object: its roles are read once per request, as in production.
    client = client_for(User.objects.get(pk=manager_a.pk))

    # The caller's roles, the page count, the accounts, their memberships with clinics.
    with django_assert_num_queries(4):
        response = client.get(ACCOUNTS)

    assert response.status_code == 200
    assert len(response.json()["results"]) == count + 1  # the caller too


# --- Creating ---------------------------------------------------------------------------


def test_create_writes_the_account_and_emails_a_link_that_sets_the_password(
    aster, api_a, mailoutbox
):
    response = api_a.post(
        ACCOUNTS,
        new_account(aster.id, Role.CLINICIAN, Role.FRONT_DESK, email="Joy@Example.org"),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {"id", "username", "email", "memberships"} <= set(body)
    assert body["username"] == "nurse.joy"
    assert body["email"] == "Joy@example.org"
    assert body["invitation_sent"] is True
    assert body["password_set"] is False
    assert body["memberships"] == [
        {
            "clinic": aster.id,
            "clinic_name": "Aster Clinic",
            "roles": [Role.FRONT_DESK, Role.CLINICIAN],
            "editable": True,
        }
    ]
    account = User.objects.get(username="nurse.joy")
    assert not account.has_usable_password()
    assert memberships_of(account) == {(aster.id, Role.FRONT_DESK), (aster.id, Role.CLINICIAN)}

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["Joy@example.org"]
    assert "nurse.joy" in message.body
    assert "Aster Clinic" in message.body
    link = link_in(message)
    assert link.startswith("http://testserver/accounts/reset/")

    browser = Client()
    done = set_password(browser, link, "a long Harbor passphrase 7")
    assert done.status_code == 302
    assert done["Location"] == "/accounts/reset/done/"
    account.refresh_from_db()
    assert account.check_password("a long Harbor passphrase 7")
    assert browser.login(username="nurse.joy", password="a long Harbor passphrase 7")

    # The link works once.
    again = Client().get(path_of(link), follow=True)
    assert again.context["validlink"] is False


def test_the_link_uses_the_public_base_url_when_set(aster, api_a, mailoutbox, settings):
    settings.PUBLIC_BASE_URL = "https://clinic.example.org"

    api_a.post(ACCOUNTS, new_account(aster.id), format="json")

    assert link_in(mailoutbox[0]).startswith("https://clinic.example.org/accounts/reset/")


def test_no_password_travels_in_the_body(aster, api_a):
    body = {**new_account(aster.id), "password": "chosen-by-the-manager-1"}

    response = api_a.post(ACCOUNTS, body, format="json")

    assert response.status_code == 201
    assert not User.objects.get(username="nurse.joy").has_usable_password()
    assert "chosen-by-the-manager-1" not in response.content.decode()


def test_a_manager_of_a_cannot_create_an_account_in_b_unseen_404(aster, birch, api_a, mailoutbox):
    before = written()
    body = {
        "username": "nurse.joy",
        "email": "joy@example.org",
        "memberships": [
            {"clinic": aster.id, "roles": [Role.CLINICIAN]},
            {"clinic": birch.id, "roles": [Role.CLINICIAN]},
        ],
    }

    response = api_a.post(ACCOUNTS, body, format="json")

    assert response.status_code == 404
    assert "clinic" in response.json()["errors"]
    assert written() == before
    assert mailoutbox == []


def test_a_clinic_where_the_caller_is_not_a_manager_is_refused_403(
    aster, birch, manager_a_clinician_b, mailoutbox
):
    before = written()

    response = client_for(manager_a_clinician_b).post(
        ACCOUNTS, new_account(birch.id), format="json"
    )

    assert response.status_code == 403
    assert "clinic" in response.json()["errors"]
    assert written() == before
    assert mailoutbox == []


def test_a_group_wide_role_is_granted_only_by_a_group_wide_manager_or_superuser(
    aster, api_a, group_manager
):
    before = written()

    refused = api_a.post(ACCOUNTS, new_account(None, Role.MANAGER), format="json")
    by_group = client_for(group_manager).post(
        ACCOUNTS, new_account(None, Role.MANAGER, username="ops"), format="json"
    )
    root = UserFactory(is_superuser=True)
    by_root = client_for(root).post(
        ACCOUNTS, new_account(None, Role.CLINICIAN, username="float"), format="json"
    )

    assert refused.status_code == 403
    assert "clinic" in refused.json()["errors"]
    assert by_group.status_code == 201
    assert by_group.json()["memberships"][0]["clinic"] is None
    assert by_root.status_code == 201
    assert written() == (before[0] + 3, before[1] + 2)  # the superuser has no membership
    assert memberships_of(User.objects.get(username="ops")) == {(None, Role.MANAGER)}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": "MANAGER_A"}, "username"),
        ({"username": "has space"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"memberships": []}, "memberships"),
        ({"memberships": "aster"}, "memberships"),
    ],
    ids=["taken-any-case", "bad-username", "bad-email", "no-membership", "not-a-list"],
)
def test_bad_input_is_400_naming_the_field(aster, api_a, mailoutbox, change, field):
    before = written()

    response = api_a.post(ACCOUNTS, {**new_account(aster.id), **change}, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert written() == before
    assert mailoutbox == []


@pytest.mark.parametrize(
    "memberships",
    [
        lambda a: [{"clinic": a, "roles": []}],
        lambda a: [{"clinic": a, "roles": ["owner"]}],
        lambda a: [{"clinic": a, "roles": ["clinician"]}, {"clinic": a, "roles": ["manager"]}],
    ],
    ids=["no-role", "unknown-role", "clinic-twice"],
)
def test_roles_must_be_known_and_clinics_named_once(aster, api_a, memberships):
    before = written()

    response = api_a.post(
        ACCOUNTS, {**new_account(aster.id), "memberships": memberships(aster.id)}, format="json"
    )

    assert response.status_code == 400, response.json()
    assert "memberships" in response.json()["errors"]
    assert written() == before


def test_when_the_mail_server_is_down_the_account_exists_and_says_so(aster, api_a, settings):
    settings.EMAIL_BACKEND = DOWN

    response = api_a.post(ACCOUNTS, new_account(aster.id), format="json")

    assert response.status_code == 201
    assert response.json()["invitation_sent"] is False
    assert User.objects.filter(username="nurse.joy").exists()


# --- Changing memberships ---------------------------------------------------------------


@pytest.fixture
def shared(aster, birch):
    """Front desk at Aster, clinician at Birch, and a clinician in every clinic."""
    user = UserFactory(username="shared", memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=user, clinic=birch, role=Role.CLINICIAN)
    MembershipFactory(user=user, clinic=None, role=Role.CLINICIAN)
    return user


def test_patch_replaces_only_the_memberships_in_the_callers_clinics(aster, birch, api_a, shared):
    response = api_a.patch(
        detail(shared),
        {"memberships": [{"clinic": aster.id, "roles": [Role.CLINICIAN, Role.MANAGER]}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert memberships_of(shared) == {
        (aster.id, Role.CLINICIAN),
        (aster.id, Role.MANAGER),
        (birch.id, Role.CLINICIAN),
        (None, Role.CLINICIAN),
    }
    # Birch is not even shown to a manager of Aster alone.
    assert [(m["clinic"], m["roles"]) for m in response.json()["memberships"]] == [
        (None, [Role.CLINICIAN]),
        (aster.id, [Role.CLINICIAN, Role.MANAGER]),
    ]


def test_an_empty_list_removes_the_callers_clinics_roles_only(aster, birch, api_a):
    user = UserFactory(memberships=[(aster, Role.FRONT_DESK), (birch, Role.FRONT_DESK)])

    response = api_a.patch(detail(user), {"memberships": []}, format="json")

    assert response.status_code == 200
    assert response.json()["memberships"] == []
    assert memberships_of(user) == {(birch.id, Role.FRONT_DESK)}
    # The account no longer works in a clinic the caller manages.
    assert api_a.get(detail(user)).status_code == 404


def test_patch_naming_another_clinic_is_refused_and_changes_nothing(
    aster, birch, manager_a_clinician_b, shared
):
    client = client_for(manager_a_clinician_b)
    other = ClinicFactory(name="Cedar Clinic")
    before = memberships_of(shared)

    forbidden = client.patch(
        detail(shared),
        {
            "memberships": [
                {"clinic": aster.id, "roles": []},
                {"clinic": birch.id, "roles": [Role.MANAGER]},
            ]
        },
        format="json",
    )
    unseen = client.patch(
        detail(shared),
        {"memberships": [{"clinic": other.id, "roles": [Role.MANAGER]}]},
        format="json",
    )
    everywhere = client.patch(
        detail(shared), {"memberships": [{"clinic": None, "roles": []}]}, format="json"
    )

    assert forbidden.status_code == 403
    assert unseen.status_code == 404
    assert everywhere.status_code == 403
    assert memberships_of(shared) == before


def test_a_group_wide_manager_replaces_every_membership(aster, birch, group_manager, shared):
    response = client_for(group_manager).patch(
        detail(shared),
        {"memberships": [{"clinic": birch.id, "roles": [Role.MANAGER]}]},
        format="json",
    )

    assert response.status_code == 200
    assert memberships_of(shared) == {(birch.id, Role.MANAGER)}


def test_a_manager_cannot_remove_their_own_manager_role(aster, api_a, manager_a):
    demoted = api_a.patch(
        detail(manager_a),
        {"memberships": [{"clinic": aster.id, "roles": [Role.CLINICIAN]}]},
        format="json",
    )
    added = api_a.patch(
        detail(manager_a),
        {"memberships": [{"clinic": aster.id, "roles": [Role.CLINICIAN, Role.MANAGER]}]},
        format="json",
    )

    assert demoted.status_code == 409
    assert "memberships" in demoted.json()["errors"]
    assert added.status_code == 200
    assert memberships_of(manager_a) == {(aster.id, Role.CLINICIAN), (aster.id, Role.MANAGER)}


def test_email_changes_only_with_authority_over_the_whole_account(aster, api_a, shared):
    own = UserFactory(memberships=[(aster, Role.FRONT_DESK)])

    changed = api_a.patch(detail(own), {"email": "new@example.org"}, format="json")
    refused = api_a.patch(detail(shared), {"email": "new@example.org"}, format="json")

    assert changed.status_code == 200
    assert changed.json()["email"] == "new@example.org"
    assert refused.status_code == 403
    shared.refresh_from_db()
    assert shared.email == "shared@example.org"


def test_a_refused_email_change_keeps_the_memberships_sent_with_it(aster, api_a, shared):
    before = memberships_of(shared)

    response = api_a.patch(
        detail(shared),
        {"email": "new@example.org", "memberships": [{"clinic": aster.id, "roles": []}]},
        format="json",
    )

    assert response.status_code == 403
    assert memberships_of(shared) == before


def test_an_empty_patch_is_400(api_a, manager_a):
    response = api_a.patch(detail(manager_a), {}, format="json")

    assert response.status_code == 400
    assert "memberships" in response.json()["errors"]


def test_put_is_not_offered(aster, api_a, manager_a):
    response = api_a.put(detail(manager_a), {"memberships": []}, format="json")

    assert response.status_code == 405


# --- Deactivating -----------------------------------------------------------------------


def test_deactivate_stops_login_and_the_api_token(aster, api_a):
    user = UserFactory(memberships=[(aster, Role.FRONT_DESK)])
    token = TokenFactory(user=user)

    response = api_a.post(f"{detail(user)}deactivate/")

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    user.refresh_from_db()
    assert user.is_active is False
    assert not Token.objects.filter(user=user).exists()
    stale = Client().get("/api/v1/me/", headers={"Authorization": f"Token {token.key}"})
    assert stale.status_code == 401
    assert not Client().login(username=user.username, password="kap-test-password")
    # Still listed, as deactivated; deactivating again changes nothing.
    assert api_a.post(f"{detail(user)}deactivate/").status_code == 200


def test_a_user_who_also_works_elsewhere_is_not_deactivated_by_one_clinics_manager(
    aster, birch, api_a, shared, group_manager
):
    both = UserFactory(memberships=[(aster, Role.FRONT_DESK), (birch, Role.FRONT_DESK)])
    manager_of_both = UserFactory(memberships=[(aster, Role.MANAGER), (birch, Role.MANAGER)])

    refused = api_a.post(f"{detail(both)}deactivate/")
    group_wide = api_a.post(f"{detail(shared)}deactivate/")
    allowed = client_for(manager_of_both).post(f"{detail(both)}deactivate/")
    by_group_manager = client_for(group_manager).post(f"{detail(shared)}deactivate/")

    assert refused.status_code == 403
    assert group_wide.status_code == 403
    assert allowed.status_code == 200
    assert by_group_manager.status_code == 200


def test_nobody_deactivates_themselves(api_a, manager_a):
    response = api_a.post(f"{detail(manager_a)}deactivate/")

    assert response.status_code == 409
    manager_a.refresh_from_db()
    assert manager_a.is_active


def test_only_a_superuser_deactivates_a_superuser(aster, api_a):
    root = UserFactory(is_superuser=True, memberships=[(aster, Role.MANAGER)])

    refused = api_a.post(f"{detail(root)}deactivate/")
    other_root = UserFactory(is_superuser=True)
    allowed = client_for(other_root).post(f"{detail(root)}deactivate/")

    assert refused.status_code == 403
    assert allowed.status_code == 200


# --- Sending the link again -------------------------------------------------------------


def test_a_new_invitation_replaces_the_previous_link(aster, api_a, mailoutbox):
    account_id = api_a.post(ACCOUNTS, new_account(aster.id), format="json").json()["id"]
    first = link_in(mailoutbox[0])

    response = api_a.post(f"{ACCOUNTS}{account_id}/invite/")

    assert response.status_code == 200
    assert response.json()["sent_to"] == "joy@example.org"
    assert len(mailoutbox) == 2
    second = link_in(mailoutbox[1])
    assert second != first
    assert Client().get(path_of(first), follow=True).context["validlink"] is False
    assert set_password(Client(), second, "a long Harbor passphrase 7").status_code == 302
    assert User.objects.get(pk=account_id).check_password("a long Harbor passphrase 7")


def test_an_account_with_a_password_keeps_it_until_the_link_is_used(aster, api_a, mailoutbox):
    user = UserFactory(memberships=[(aster, Role.FRONT_DESK)])

    response = api_a.post(f"{detail(user)}invite/")

    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("kap-test-password")
    assert "new password" in mailoutbox[0].subject


def test_no_link_for_a_deactivated_account_or_one_without_email(aster, api_a, mailoutbox):
    gone = UserFactory(memberships=[(aster, Role.FRONT_DESK)], is_active=False)
    silent = UserFactory(memberships=[(aster, Role.FRONT_DESK)], email="")

    assert api_a.post(f"{detail(gone)}invite/").status_code == 409
    no_email = api_a.post(f"{detail(silent)}invite/")
    assert no_email.status_code == 409
    assert "email" in no_email.json()["errors"]
    assert mailoutbox == []


def test_a_link_that_cannot_be_sent_is_503(aster, api_a, settings):
    user = UserFactory(memberships=[(aster, Role.FRONT_DESK)])
    settings.EMAIL_BACKEND = DOWN

    response = api_a.post(f"{detail(user)}invite/")

    assert response.status_code == 503
    assert "could not be sent" in response.json()["detail"]
