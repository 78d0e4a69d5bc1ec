"""The account services called directly, as the console calls them."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.test import Client

from backend.common.errors import Conflict, Forbidden, InvalidInput, NotFound
from backend.common.roles import Role
from backend.common.scoping import access_of
from backend.scheduling.accounts.services import (
    MembershipGrant,
    account_create,
    account_deactivate,
    account_email_update,
    account_get,
    account_invite_send,
    account_list,
    account_memberships_update,
    account_refusals,
)
from backend.scheduling.resources.models import Membership
from tests.factories import MembershipFactory, UserFactory
from tests.scheduling.accounts.conftest import link_in, memberships_of, path_of, set_password

pytestmark = pytest.mark.django_db

User = get_user_model()
BASE = "https://clinic.example.org"


def grant(clinic, *roles) -> MembershipGrant:
    return MembershipGrant(clinic=clinic, roles=frozenset(roles))


def test_create_checks_every_clinic_before_writing(aster, birch, manager_a, mailoutbox):
    with pytest.raises(NotFound) as refused:
        account_create(
            actor=manager_a,
            username="joy",
            email="joy@example.org",
            memberships=[grant(aster, Role.CLINICIAN), grant(birch, Role.CLINICIAN)],
            base_url=BASE,
        )

    assert refused.value.errors.keys() == {"clinic"}
    assert not User.objects.filter(username="joy").exists()
    assert mailoutbox == []


def test_create_refuses_a_clinic_the_caller_only_works_in(birch, manager_a_clinician_b):
    with pytest.raises(Forbidden):
        account_create(
            actor=manager_a_clinician_b,
            username="joy",
            email="joy@example.org",
            memberships=[grant(birch, Role.FRONT_DESK)],
            base_url=BASE,
        )

    assert not User.objects.filter(username="joy").exists()


def test_create_returns_the_account_and_the_link_sets_its_password(aster, manager_a, mailoutbox):
    created = account_create(
        actor=manager_a,
        username="joy",
        email="joy@example.org",
        memberships=[grant(aster, Role.CLINICIAN)],
        base_url=BASE,
    )

    assert created.invitation_sent
    assert created.account.username == "joy"
    link = link_in(mailoutbox[0])
    assert link.startswith(BASE + "/accounts/reset/")
    assert "html" in mailoutbox[0].alternatives[0].mimetype
    assert set_password(Client(), link, "a long Harbor passphrase 7").status_code == 302
    assert access_of(User.objects.get(username="joy")).roles_in(aster.id) == {Role.CLINICIAN}


def test_changing_the_email_kills_the_link_sent_to_the_old_address(aster, manager_a, mailoutbox):
    account = account_create(
        actor=manager_a,
        username="joy",
        email="typo@exmaple.org",
        memberships=[grant(aster, Role.CLINICIAN)],
        base_url=BASE,
    ).account
    stale = link_in(mailoutbox[0])

    account_email_update(actor=manager_a, account=account, email="joy@example.org")

    assert Client().get(path_of(stale), follow=True).context["validlink"] is False
    account_invite_send(actor=manager_a, account=account, base_url=BASE)
    assert mailoutbox[1].to == ["joy@example.org"]


def test_memberships_update_leaves_other_clinics_alone(aster, birch, manager_a):
    user = UserFactory(memberships=[(aster, Role.FRONT_DESK), (birch, Role.MANAGER)])

    account = account_memberships_update(
        actor=manager_a,
        account=account_get(actor=manager_a, pk=user.pk),
        memberships=[grant(aster, Role.CLINICIAN)],
    )

    assert memberships_of(user) == {(aster.id, Role.CLINICIAN), (birch.id, Role.MANAGER)}
    assert [m.clinic_id for m in account.visible_memberships] == [aster.id]


def test_a_group_wide_manager_cannot_drop_their_own_group_wide_role(aster, group_manager):
    with pytest.raises(Conflict):
        account_memberships_update(
            actor=group_manager,
            account=group_manager,
            memberships=[grant(aster, Role.MANAGER)],
        )

    assert memberships_of(group_manager) == {(None, Role.MANAGER)}


def test_the_callers_new_roles_count_at_once(aster, birch, group_manager):
    account_memberships_update(
        actor=group_manager,
        account=group_manager,
        memberships=[grant(None, Role.MANAGER), grant(birch, Role.CLINICIAN)],
    )

    assert memberships_of(group_manager) == {(None, Role.MANAGER), (birch.id, Role.CLINICIAN)}


def test_deactivate_keeps_the_memberships_on_record(aster, manager_a):
    user = UserFactory(memberships=[(aster, Role.FRONT_DESK)])

    account = account_deactivate(actor=manager_a, account=user)

    assert account.is_active is False
    assert memberships_of(user) == {(aster.id, Role.FRONT_DESK)}
    assert {a.username for a in account_list(actor=manager_a)} == {user.username, "manager_a"}


def test_refusals_say_what_a_page_may_offer(aster, birch, manager_a):
    own = UserFactory(memberships=[(aster, Role.FRONT_DESK)])
    shared = UserFactory(memberships=[(aster, Role.FRONT_DESK)])
    MembershipFactory(user=shared, clinic=birch, role=Role.FRONT_DESK)

    assert account_refusals(actor=manager_a, account=own).deactivate is None
    assert account_refusals(actor=manager_a, account=own).change_email is None
    assert account_refusals(actor=manager_a, account=shared).deactivate is not None
    assert account_refusals(actor=manager_a, account=shared).change_email is not None
    assert account_refusals(actor=manager_a, account=manager_a).deactivate is not None


def test_invitation_tokens_are_djangos_own(aster, manager_a, mailoutbox):
    account = account_create(
        actor=manager_a,
        username="joy",
        email="joy@example.org",
        memberships=[grant(aster, Role.FRONT_DESK)],
        base_url=BASE,
    ).account
    token = link_in(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]

    assert default_token_generator.check_token(User.objects.get(pk=account.pk), token)


def test_bad_input_names_the_field(aster, manager_a):
    with pytest.raises(InvalidInput) as taken:
        account_create(
            actor=manager_a,
            username="Manager_A",
            email="x@example.org",
            memberships=[grant(aster, Role.FRONT_DESK)],
            base_url=BASE,
        )
    with pytest.raises(InvalidInput) as no_role:
        account_create(
            actor=manager_a,
            username="joy",
            email="x@example.org",
            memberships=[grant(aster)],
            base_url=BASE,
        )

    assert taken.value.errors.keys() == {"username"}
    assert no_role.value.errors.keys() == {"memberships"}
    assert Membership.objects.filter(user__username="joy").count() == 0
