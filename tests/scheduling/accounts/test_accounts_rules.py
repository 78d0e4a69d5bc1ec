"""The account rules, without a database: who may grant, replace and deactivate what."""

import pytest

from backend.scheduling.accounts.rules import (
    Authority,
    MembershipChange,
    RefusalKind,
    deactivate_refusal,
    grant_refusal,
    memberships_replace,
    self_demotion_refusal,
    whole_account_refusal,
)

A, B, C = 1, 2, 3
MANAGES_A_SEES_B = Authority(seen=frozenset({A, B}), managed=frozenset({A}))
GROUP_WIDE = Authority(seen=None, managed=None)
SUPERUSER = Authority(seen=None, managed=None, is_superuser=True)


@pytest.mark.parametrize(
    ("authority", "clinic", "kind"),
    [
        (MANAGES_A_SEES_B, A, None),
        (MANAGES_A_SEES_B, B, RefusalKind.FORBIDDEN),
        (MANAGES_A_SEES_B, C, RefusalKind.UNSEEN),
        (MANAGES_A_SEES_B, None, RefusalKind.FORBIDDEN),
        (GROUP_WIDE, C, None),
        (GROUP_WIDE, None, None),
        (SUPERUSER, None, None),
    ],
)
def test_grant_refusal(authority, clinic, kind):
    refusal = grant_refusal(authority, clinic)

    assert (refusal.kind if refusal else None) == kind
    if refusal:
        assert refusal.field == "clinic"


def test_replace_touches_only_the_managed_clinics():
    current = {(A, "front_desk"), (B, "clinician"), (None, "clinician")}
    desired = {(A, "manager"), (B, "manager"), (None, "manager")}

    change = memberships_replace(MANAGES_A_SEES_B, current=current, desired=desired)

    assert change == MembershipChange(
        add=frozenset({(A, "manager")}), remove=frozenset({(A, "front_desk")})
    )


def test_replace_by_a_group_wide_manager_covers_everything():
    current = {(A, "front_desk"), (None, "clinician")}

    change = memberships_replace(GROUP_WIDE, current=current, desired={(B, "manager")})

    assert change.add == {(B, "manager")}
    assert change.remove == {(A, "front_desk"), (None, "clinician")}


def test_no_change_is_empty():
    current = {(A, "front_desk")}

    assert memberships_replace(MANAGES_A_SEES_B, current=current, desired=current).empty


def test_removing_ones_own_manager_role_is_refused_but_not_for_a_superuser():
    change = MembershipChange(add=frozenset(), remove=frozenset({(A, "manager")}))

    mine = self_demotion_refusal(MANAGES_A_SEES_B, is_self=True, change=change)

    assert mine is not None and mine.kind is RefusalKind.CONFLICT
    assert self_demotion_refusal(MANAGES_A_SEES_B, is_self=False, change=change) is None
    assert self_demotion_refusal(SUPERUSER, is_self=True, change=change) is None


@pytest.mark.parametrize(
    ("authority", "clinics", "superuser", "allowed"),
    [
        (MANAGES_A_SEES_B, {A}, False, True),
        (MANAGES_A_SEES_B, {A, B}, False, False),
        (MANAGES_A_SEES_B, {A, None}, False, False),
        (MANAGES_A_SEES_B, {A}, True, False),
        (GROUP_WIDE, {A, B, None}, False, True),
        (GROUP_WIDE, set(), True, False),
        (SUPERUSER, set(), True, True),
    ],
)
def test_whole_account_authority(authority, clinics, superuser, allowed):
    refusal = whole_account_refusal(
        authority, clinics=clinics, target_is_superuser=superuser, what="deactivate {}"
    )

    assert (refusal is None) is allowed
    if refusal:
        assert refusal.kind is RefusalKind.FORBIDDEN
        assert "deactivate" in refusal.message


def test_nobody_deactivates_themselves_even_a_superuser():
    refusal = deactivate_refusal(SUPERUSER, is_self=True, clinics=set(), target_is_superuser=True)

    assert refusal is not None and refusal.kind is RefusalKind.CONFLICT
