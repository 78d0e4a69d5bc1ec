"""Feed tokens and feed versions at the service level."""

import hashlib
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from backend.common.db import raw_datetime
from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.feeds.models import FeedOwnerKind, FeedToken
from backend.scheduling.feeds.services import (
    _STATES,
    FeedWindow,
    _rows,
    feed_lookup,
    feed_render,
    feed_token_hash,
    feed_token_issue,
    feed_token_revoke,
    feed_version,
)

pytestmark = pytest.mark.django_db


def test_issue_stores_only_the_hash_of_a_256_bit_token(feed_world, manager_user):
    now = timezone.now()

    token, raw = feed_token_issue(owner=feed_world.patient, actor=manager_user, now=now)

    assert len(raw) >= 43  # 32 random bytes, URL-safe base64
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert not FeedToken.objects.filter(token_hash=raw).exists()
    assert (token.owner_kind, token.patient, token.clinic) == (
        FeedOwnerKind.PATIENT,
        feed_world.patient,
        feed_world.clinic,
    )
    assert (token.created_at, token.created_by, token.revoked_at) == (now, manager_user, None)


@pytest.mark.parametrize(
    ("owner", "kind"),
    [
        pytest.param(lambda w: w.patient, FeedOwnerKind.PATIENT, id="patient"),
        pytest.param(lambda w: w.dosing_room, FeedOwnerKind.ROOM, id="room"),
        pytest.param(lambda w: w.nurse, FeedOwnerKind.STAFF, id="staff"),
    ],
)
def test_issuing_again_revokes_the_previous_token(feed_world, owner, kind):
    now = timezone.now()
    first, _ = feed_token_issue(owner=owner(feed_world), actor=None, now=now)

    second, _ = feed_token_issue(owner=owner(feed_world), actor=None, now=now)

    first.refresh_from_db()
    assert first.revoked_at == now
    assert second.revoked_at is None
    assert second.owner_kind == kind
    assert feed_lookup(first.token_hash) is None
    assert feed_lookup(second.token_hash).token_id == second.pk


def test_tokens_are_unguessable_and_distinct(feed_world):
    raws = {
        feed_token_issue(owner=feed_world.patient, actor=None, now=timezone.now())[1]
        for _ in range(20)
    }

    assert len(raws) == 20


def test_revoke_ends_the_live_token_and_is_idempotent(feed_world):
    token, _ = feed_token_issue(owner=feed_world.dosing_room, actor=None, now=timezone.now())

    revoked = feed_token_revoke(owner=feed_world.dosing_room, actor=None, now=timezone.now())
    again = feed_token_revoke(owner=feed_world.dosing_room, actor=None, now=timezone.now())

    assert (revoked, again) == (1, 0)
    assert feed_lookup(token.token_hash) is None


def test_database_refuses_a_second_live_token_for_one_owner(feed_world):
    feed_token_issue(owner=feed_world.patient, actor=None, now=timezone.now())

    with pytest.raises(IntegrityError), transaction.atomic():
        FeedToken.objects.create(
            clinic=feed_world.clinic,
            owner_kind=FeedOwnerKind.PATIENT,
            patient=feed_world.patient,
            token_hash=feed_token_hash("another"),
            created_at=timezone.now(),
        )


def test_issue_refuses_an_owner_that_is_not_a_patient_room_or_staff(feed_world):
    with pytest.raises(TypeError):
        feed_token_issue(owner=feed_world.clinic, actor=None, now=timezone.now())


def _version(token, now=None):
    return feed_version(feed_lookup(token.token_hash), now=now or timezone.now())


@pytest.fixture
def patient_token(feed_world):
    feed_world.appointment(feed_world.at(9))
    token, _ = feed_token_issue(owner=feed_world.patient, actor=None, now=timezone.now())
    return token


def test_version_is_stable_while_nothing_changes(patient_token):
    assert _version(patient_token).etag == _version(patient_token).etag


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda w: w.appointment(w.at(13)), id="appointment-added"),
        pytest.param(
            lambda w: w.patient.appointments.update(sequence=5, updated_at=timezone.now()),
            id="appointment-saved",
        ),
        pytest.param(
            lambda w: _save(w.clinic, feed_event_title="Visit at {clinic}"), id="clinic-title"
        ),
        pytest.param(lambda w: _save(w.clinic, address="2 Pier Road"), id="clinic-address"),
        pytest.param(
            lambda w: _save(w.spravato, patient_instructions="Eat a light breakfast."),
            id="session-instructions",
        ),
        pytest.param(lambda w: _save(w.spravato, arrive_minutes_before=30), id="session-arrival"),
    ],
)
def test_version_changes_when_the_feed_content_changes(feed_world, patient_token, change):
    before = _version(patient_token)

    change(feed_world)

    assert _version(patient_token).etag != before.etag


def _save(instance, **fields):
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.save()


def test_version_changes_when_a_patient_renames_in_a_room_feed(feed_world):
    feed_world.appointment(feed_world.at(9))
    token, _ = feed_token_issue(owner=feed_world.dosing_room, actor=None, now=timezone.now())
    before = _version(token)

    _save(feed_world.patient, first_name="Kate")

    assert _version(token).etag != before.etag


def test_version_moves_with_the_day_as_the_window_slides(patient_token):
    now = timezone.now()

    assert (
        _version(patient_token, now).etag != _version(patient_token, now + timedelta(days=1)).etag
    )


def test_version_differs_between_tokens_of_one_owner(feed_world, patient_token):
    before = _version(patient_token)

    reissued, _ = feed_token_issue(owner=feed_world.patient, actor=None, now=timezone.now())

    assert _version(reissued).etag != before.etag


def test_render_stamps_events_with_the_last_change(feed_world, patient_token):
    version = _version(patient_token)

    body = feed_render(feed_lookup(patient_token.token_hash), version)

    stamp = version.last_modified.strftime("%Y%m%dT%H%M%SZ").encode()
    assert b"DTSTAMP:" + stamp + b"\r\n" in body


# The prepared queries of the 304 path must answer exactly what the ORM would.


@pytest.mark.parametrize(
    "owner",
    [
        pytest.param(lambda w: w.patient, id="patient"),
        pytest.param(lambda w: w.dosing_room, id="room"),
        pytest.param(lambda w: w.lounge, id="recovery-room"),
        pytest.param(lambda w: w.nurse, id="staff"),
    ],
)
def test_prepared_state_matches_the_orm_aggregate(feed_world, owner):
    now = timezone.now()
    feed_world.appointment(feed_world.at(9))
    feed_world.appointment(
        feed_world.at(13), session_type=feed_world.infusion, patient=feed_world.other_patient
    )
    feed_world.appointment(
        now - timedelta(days=200),
        status="cancelled",
        cancelled_at=now - timedelta(days=3),
        seat=feed_world.recliners[1],
    )
    feed_world.appointment(now - timedelta(days=200))  # outside the window
    token, _ = feed_token_issue(owner=owner(feed_world), actor=None, now=now)
    subject = feed_lookup(token.token_hash)
    window = FeedWindow.around(now)
    rows, prefix = _rows(subject, window)

    [prepared] = _STATES[subject.owner_kind, subject.room_kind == "recovery"].rows(
        owner=subject.owner_id,
        start=window.start,
        end=window.end,
        cancelled_since=window.cancelled_since,
        reach=window.reach,
    )

    expected = rows.aggregate(
        count=Count("pk"),
        modified=Max(f"{prefix}updated_at"),
        sequences=Sum(f"{prefix}sequence"),
        ids=Sum(f"{prefix}id"),
    )
    assert prepared[0] == expected["count"] > 0
    assert raw_datetime(prepared[1]) == expected["modified"]
    assert (prepared[2], prepared[3]) == (expected["sequences"], expected["ids"])


def test_prepared_state_of_an_empty_feed_is_one_row_of_nothing(feed_world):
    token, _ = feed_token_issue(owner=feed_world.patient, actor=None, now=timezone.now())
    subject = feed_lookup(token.token_hash)
    window = FeedWindow.around(timezone.now())

    found = _STATES["patient", False].rows(
        owner=subject.owner_id,
        start=window.start,
        end=window.end,
        cancelled_since=window.cancelled_since,
        reach=window.reach,
    )

    assert found == [(0, None, None, None)]


@pytest.mark.parametrize("days_ago", [100, 800], ids=["within-reach", "beyond-reach"])
def test_prepared_state_reaches_back_only_as_far_as_the_window_says(feed_world, days_ago):
    now = timezone.now()
    feed_world.appointment(
        now - timedelta(days=days_ago),
        status=AppointmentStatus.CANCELLED,
        cancelled_at=now - timedelta(days=1),
    )
    token, _ = feed_token_issue(owner=feed_world.patient, actor=None, now=now)
    subject = feed_lookup(token.token_hash)
    window = FeedWindow.around(now)

    [(count, *_)] = _STATES["patient", False].rows(
        owner=subject.owner_id,
        start=window.start,
        end=window.end,
        cancelled_since=window.cancelled_since,
        reach=window.reach,
    )

    assert count == (1 if days_ago == 100 else 0)
