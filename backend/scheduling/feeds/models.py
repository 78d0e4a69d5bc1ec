"""Calendar feed tokens: the credential in a subscription URL, stored only as a hash."""

from django.conf import settings
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.resources.models import Clinic, Patient, Room, Staff


class FeedOwnerKind(models.TextChoices):
    PATIENT = "patient", "Patient"
    ROOM = "room", "Room"
    STAFF = "staff", "Staff"


class FeedToken(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="feed_tokens")
    owner_kind = models.CharField(max_length=20, choices=FeedOwnerKind.choices)
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens"
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens"
    )
    staff = models.ForeignKey(
        Staff, on_delete=models.CASCADE, null=True, blank=True, related_name="feed_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        owner_kind="patient",
                        patient__isnull=False,
                        room__isnull=True,
                        staff__isnull=True,
                    )
                    | models.Q(
                        owner_kind="room",
                        room__isnull=False,
                        patient__isnull=True,
                        staff__isnull=True,
                    )
                    | models.Q(
                        owner_kind="staff",
                        staff__isnull=False,
                        patient__isnull=True,
                        room__isnull=True,
                    )
                ),
                name="feed_token_one_owner",
            ),
            # One live token per owner: issuing a new one revokes the old.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(revoked_at__isnull=True, patient__isnull=False),
                name="feed_token_live_per_patient",
            ),
            models.UniqueConstraint(
                fields=["room"],
                condition=models.Q(revoked_at__isnull=True, room__isnull=False),
                name="feed_token_live_per_room",
            ),
            models.UniqueConstraint(
                fields=["staff"],
                condition=models.Q(revoked_at__isnull=True, staff__isnull=False),
                name="feed_token_live_per_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.owner_kind} feed token ({'revoked' if self.revoked_at else 'live'})"


class FeedStamp(models.Model):
    """A counter per feed owner, raised whenever anything in the owner's feed may change.

    Database triggers (migration ``feed_stamps``) raise it in the same transaction as every
    write to appointments (the patient's, the session room's, the staff member's, and the
    recovery rooms' of its recovery holds, before and after the change) and to recovery
    holds (their room's): so ORM saves, bulk writes and ``update()`` all count, and a feed's
    ETag needs one indexed row instead of a pass over its events (a 304 costs the same for
    forty events or five thousand). Rows are created on first change; none means never
    changed since the stamps began.
    """

    owner_kind = models.CharField(max_length=20, choices=FeedOwnerKind.choices)
    owner_id = models.BigIntegerField()
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner_kind", "owner_id"], name="feed_stamp_owner")
        ]

    def __str__(self) -> str:
        return f"{self.owner_kind} {self.owner_id}: version {self.version}"
