"""What the workspace knows: indexed sessions and their answers, review and safeguarding
decisions, events, withdrawals, purges and the audit trail."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.db import models

LOOKS = (("child", "Child"), ("adult", "Adult"), ("older", "Older person"))
EVENT_KINDS = (("school", "School"), ("forum", "Forum"), ("public", "Public event"))


class Capabilities(models.Model):
    """Holds the workspace's permissions; roles (groups) are sets of these (roles.py)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = (
            ("view_answers", "See the list of answers and their details"),
            ("watch_video", "Watch video answers"),
            ("review_answer", "Decide whether an answer may be used"),
            ("download_clip", "Download an 'OK to use' clip for publication"),
            ("handle_concerns", "See safeguarding concerns and record actions"),
            ("view_dashboard", "See the priorities dashboard"),
            ("export_csv", "Export the priorities CSV"),
            ("withdraw", "Withdraw an answer by its reference code"),
            ("manage_retention", "Run purges and place legal holds"),
            ("manage_events", "Create and merge events"),
            ("manage_staff", "Manage staff accounts"),
            ("manage_devices", "See and withdraw kiosks"),
            ("view_audit", "See the audit trail"),
            ("view_set_aside", "See bundles set aside by the indexer"),
        )


def new_event_uid() -> str:
    return "ev-" + uuid.uuid4().hex[:16]


class Event(models.Model):
    """A campaign event the council created: several kiosks there make one event."""

    uid = models.CharField(max_length=64, unique=True, default=new_event_uid, editable=False)
    name = models.CharField(max_length=120)
    venue = models.CharField(max_length=120)
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=EVENT_KINDS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-date", "name")

    def __str__(self) -> str:
        return f"{self.name}, {self.venue} ({self.date:%d %b %Y})"


class KioskEvent(models.Model):
    """An event as a kiosk named it; ``event`` is the council event it is (or was merged
    into). A kiosk that picked a council event sends that event's id, so it links itself."""

    kiosk_event_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="kiosk_events")

    def __str__(self) -> str:
        return self.name or self.kiosk_event_id


class Session(models.Model):
    """One participant session: one bundle. Deleted on withdrawal (a Withdrawal remains)."""

    bundle_id = models.CharField(max_length=64, unique=True)
    device_id = models.CharField(max_length=64, db_index=True)
    device_name = models.CharField(max_length=100, blank=True)
    device_seq = models.PositiveIntegerField()
    received_at = models.DateTimeField(db_index=True)
    # Codes are strings that identify exactly one session council-wide; not unique in the
    # table because two kiosks may (today) draw the same code: withdrawal refuses then.
    reference_code = models.CharField(max_length=32, db_index=True, blank=True)
    look = models.CharField(max_length=10, choices=LOOKS, db_index=True)
    started_at = models.CharField(max_length=40, blank=True)
    finished_at = models.CharField(max_length=40, blank=True)
    recorded_on = models.DateField(null=True, db_index=True)
    kiosk_event = models.ForeignKey(KioskEvent, null=True, on_delete=models.SET_NULL,
                                    related_name="sessions")
    area = models.CharField(max_length=80, blank=True, db_index=True)
    age_band = models.CharField(max_length=40, blank=True, db_index=True)
    about_you = models.JSONField(default=dict)
    consent_given = models.BooleanField(default=False)
    consent_wording_digest = models.CharField(max_length=64, blank=True)
    consent_adult_confirmed = models.BooleanField(null=True)
    consent_given_at = models.CharField(max_length=40, blank=True)
    pack_id = models.CharField(max_length=64, blank=True)
    pack_digest = models.CharField(max_length=64, blank=True)
    payload_sha256 = models.CharField(max_length=64)
    indexed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-received_at", "bundle_id")

    def __str__(self) -> str:
        return self.bundle_id


class Priority(models.Model):
    """One ticked priority item of a session (the dashboard counts these)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="priorities")
    list_id = models.CharField(max_length=64)
    item_id = models.CharField(max_length=64, db_index=True)


class VideoAnswer(models.Model):
    """A video answer: an age-encrypted blob in the store, and what staff decided about it."""

    TO_REVIEW = "to_review"
    OK = "ok"
    NOT_FOR_PUBLICATION = "not_for_publication"
    CONCERN = "concern"
    STATES = (
        (TO_REVIEW, "To review"),
        (OK, "OK to use"),
        (NOT_FOR_PUBLICATION, "Not for publication"),
        (CONCERN, "Safeguarding concern"),
    )

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="videos")
    number = models.PositiveSmallIntegerField()
    blob_sha256 = models.CharField(max_length=64, db_index=True)
    blob_size = models.BigIntegerField()
    take_id = models.CharField(max_length=64, blank=True)
    prompt_id = models.CharField(max_length=64, blank=True, db_index=True)
    duration_s = models.FloatField(null=True)
    # What the kiosk recorded: a video, a video with the faces blurred, or the voice alone
    # (an MP4 with no picture). Bundles from before the kiosk said so are videos.
    KINDS = (("video", "Video"), ("video_blurred", "Video, face blurred"),
             ("voice", "Voice only"))
    kind = models.CharField(max_length=16, choices=KINDS, default="video")
    state = models.CharField(max_length=24, choices=STATES, default=TO_REVIEW, db_index=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True)
    note = models.TextField(blank=True, max_length=2000)
    purged_at = models.DateTimeField(null=True)
    hold_reason = models.TextField(blank=True, max_length=1000)
    hold_by = models.CharField(max_length=150, blank=True)
    hold_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("-session__received_at", "session_id", "number")
        constraints: ClassVar[list[Any]] = [
            models.UniqueConstraint(fields=("session", "number"), name="one_number_per_session"),
        ]

    @property
    def on_hold(self) -> bool:
        return bool(self.hold_reason)

    @property
    def purged(self) -> bool:
        return self.purged_at is not None


class Concern(models.Model):
    """A safeguarding concern a reviewer raised; the lead records what was done."""

    video = models.ForeignKey(VideoAnswer, on_delete=models.CASCADE, related_name="concerns")
    note = models.TextField(max_length=2000)
    raised_by = models.CharField(max_length=150)
    raised_at = models.DateTimeField(auto_now_add=True)
    action = models.TextField(blank=True, max_length=2000)
    action_by = models.CharField(max_length=150, blank=True)
    action_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ("-raised_at",)

    @property
    def open(self) -> bool:
        return not self.action


class SetAside(models.Model):
    """A bundle the indexer could not verify or decrypt; shown to the admin."""

    bundle_id = models.CharField(max_length=64, unique=True)
    reason = models.TextField()
    first_seen = models.DateTimeField(auto_now_add=True)
    last_tried = models.DateTimeField(auto_now=True)
    tries = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ("-last_tried",)


class Withdrawal(models.Model):
    """What remains of a withdrawn session: no answers, no about-you, no consent."""

    reference_code = models.CharField(max_length=32, db_index=True)
    bundle_id = models.CharField(max_length=64, unique=True)
    blobs_deleted = models.JSONField(default=list)
    withdrawn_at = models.DateTimeField()
    withdrawn_by = models.CharField(max_length=150)
    channel = models.CharField(max_length=20, default="phone")

    class Meta:
        ordering = ("-withdrawn_at",)


class PurgeRun(models.Model):
    """Evidence of one retention purge: what was (or, in a dry run, would be) deleted."""

    ran_at = models.DateTimeField()
    clock = models.DateTimeField(help_text="the time the purge judged ages by")
    dry_run = models.BooleanField(default=False)
    retention_days = models.PositiveIntegerField()
    ran_by = models.CharField(max_length=150)
    items = models.JSONField(default=list)
    held = models.JSONField(default=list)
    evidence_file = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ("-ran_at",)


class AuditEntry(models.Model):
    """One staff action. Append-only: each entry's hash covers the one before it."""

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=40, db_index=True)
    target = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ("-seq",)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("audit entries are never changed")
        super().save(*args, **kwargs)


class AuditHead(models.Model):
    """The chain's last sequence number and hash: a removed last entry shows against it."""

    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

