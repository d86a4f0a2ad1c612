import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from outreach.folding import fold, street_key
from schools.models import Pupil, School
from schools.permissions import CASE_PERMISSIONS
from schools.validators import (
    CONTACT_MINUTES,
    EARLIEST_DATE,
    HALF_DAYS_MISSED,
    NOTE,
    NOTE_LENGTH,
    PAST_DATE,
    TUTORING_MINUTES,
    not_before_earliest_date,
)

# The first instant of EARLIEST_DATE in Paris, for CHECK constraints on date-times.
EARLIEST_MOMENT = datetime(EARLIEST_DATE.year, EARLIEST_DATE.month, EARLIEST_DATE.day, tzinfo=ZoneInfo("Europe/Paris"))


# A case with no deadline ahead (closed, or all done): after every real one.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


def not_too_early(field: str, *, nullable: bool = False, moment: bool = False) -> Q:
    limit = Q(**{f"{field}__gte": EARLIEST_MOMENT if moment else EARLIEST_DATE})
    return limit | Q(**{f"{field}__isnull": True}) if nullable else limit


class Reason(models.TextChoices):
    UNJUSTIFIED_ABSENCE = "unjustified_absence", _("Unjustified absences")
    INTERMITTENT_ABSENCE = "intermittent_absence", _("Intermittent absences")
    LONG_ABSENCE = "long_absence", _("Long absence")
    FAMILY_UNREACHABLE = "family_unreachable", _("Family unreachable")
    NO_DIGITAL_ACCESS = "no_digital_access", _("No digital access")
    DISENGAGEMENT = "disengagement", _("Disengagement")
    FALLING_RESULTS = "falling_results", _("Falling results")
    BEHAVIOUR = "behaviour", _("Behaviour")
    OTHER = "other", _("Other")


class Status(models.TextChoices):
    FLAGGED = "flagged", _("Flagged, awaiting triage")
    ROUTED = "routed", _("Routed to a centre")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (Status.FLAGGED, Status.ROUTED, Status.IN_PROGRESS)


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")


class Outcome(models.TextChoices):
    RETURNED_TO_SCHOOL = "returned_to_school", _("Returned to school")
    PARTIAL_RETURN = "partial_return", _("Partial return")
    REFERRED = "referred", _("Referred to another service")
    MOVED_AWAY = "moved_away", _("Moved away")
    FAMILY_DECLINED = "family_declined", _("Family declined")
    UNREACHABLE = "unreachable", _("Unreachable")
    RESOLVED_BY_SCHOOL = "resolved_by_school", _("Resolved by the school")


# No return to confirm after these outcomes: the pupil left, or the school closed the case itself.
NO_RETURN_TO_CONFIRM = ("moved_away", "resolved_by_school")


class ContactKind(models.TextChoices):
    HOME_VISIT = "home_visit", _("Home visit")
    PHONE_CALL = "phone_call", _("Phone call")
    MESSAGE = "message", _("Message")
    MEETING_AT_CENTRE = "meeting_at_centre", _("Meeting at the centre")
    MEETING_AT_SCHOOL = "meeting_at_school", _("Meeting at school")
    VIDEO_CALL = "video_call", _("Video call")
    PARTNER_MEETING = "partner_meeting", _("Meeting with a partner")


class ContactResult(models.TextChoices):
    # In the order a doorstep form offers them: the most frequent first.
    REACHED_FAMILY = "reached_family", _("Reached the family")
    APPOINTMENT_MADE = "appointment_made", _("Appointment made")
    ABSENT_NOTICE_LEFT = "absent_notice_left", _("Nobody in, a notice left")
    NO_ANSWER = "no_answer", _("No answer")
    REACHED_PUPIL = "reached_pupil", _("Reached the pupil")
    WRONG_DETAILS = "wrong_details", _("Wrong contact details")
    DECLINED = "declined", _("Declined")
    MOVED_AWAY = "moved_away", _("Moved away")


# Contacts in which the family (or the pupil) was reached: an appointment made counts, a notice left does not.
FAMILY_REACHED = (ContactResult.REACHED_FAMILY, ContactResult.REACHED_PUPIL, ContactResult.APPOINTMENT_MADE)
# Attempts nobody answered. Every contact, answered or not, meets the first-contact deadline.
UNANSWERED = (ContactResult.NO_ANSWER, ContactResult.ABSENT_NOTICE_LEFT)
# When the school is asked to check the family's contact details: after this many wrong details, or this many
# unanswered attempts in a row.
WRONG_DETAILS_BEFORE_CHECK = 2
UNANSWERED_BEFORE_CHECK = 3


class SupportKind(models.TextChoices):
    DEVICE_PC = "device_pc", _("Computer lent")
    DEVICE_TABLET = "device_tablet", _("Tablet lent")
    DEVICE_SMARTPHONE = "device_smartphone", _("Smartphone lent")
    INTERNET_ACCESS = "internet_access", _("Internet access")
    TUTORING = "tutoring", _("Tutoring place")
    REFERRAL = "referral", _("Referral to another service")
    OTHER = "other", _("Other")


# Devices lent were support ticks until loans (DeviceLoan) replaced them: kept as history, no longer offered.
DEVICE_SUPPORT_KINDS = (SupportKind.DEVICE_PC, SupportKind.DEVICE_TABLET, SupportKind.DEVICE_SMARTPHONE)
SUPPORT_KINDS_OFFERED = [(value, label) for value, label in SupportKind.choices if value not in DEVICE_SUPPORT_KINDS]


class Attendance(models.TextChoices):
    FULL = "full", _("Attending fully")
    PARTIAL = "partial", _("Attending partly")
    NONE = "none", _("Not attending")


class Presence(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


class NoticeChannel(models.TextChoices):
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    IN_PERSON = "in_person", _("In person")
    SMS = "sms", _("Text message")


# A neighbourhood's name as schools write it, folded ("lille sud" is "Lille-Sud"): pupils are matched on it.
neighbourhood_key = fold


class Neighbourhood(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    # neighbourhood_key(name), kept by save(): a pupil's neighbourhood is matched on it through an index.
    key = models.CharField(_("matching key"), max_length=120, db_index=True, editable=False, default="")
    is_qpv = models.BooleanField(_("priority neighbourhood (QPV)"), default=False)

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.key = neighbourhood_key(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "key"}
        super().save(*args, **kwargs)


class NeighbourhoodPostcode(models.Model):
    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE, related_name="postcodes")
    postcode = models.CharField(_("postcode"), max_length=10, db_index=True)

    class Meta:
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "postcode"], name="neighbourhood_postcode_unique")
        ]

    def __str__(self) -> str:
        return self.postcode


class Street(models.Model):
    """A street, or a stretch of its numbers, that lies in a neighbourhood: it turns an address into a neighbourhood
    when the school gave none Radar knows. Imported from a list in the Base Adresse Nationale's columns."""

    neighbourhood = models.ForeignKey(Neighbourhood, on_delete=models.CASCADE, related_name="streets")
    name = models.CharField(_("street"), max_length=200)
    # The name folded as outreach.streets.street_key folds an address, so that a match is one indexed lookup.
    name_key = models.CharField(max_length=200, editable=False)
    postcode = models.CharField(_("postcode"), max_length=10)
    number_from = models.PositiveIntegerField(_("from number"), null=True, blank=True)
    number_to = models.PositiveIntegerField(_("to number"), null=True, blank=True)

    class Meta:
        verbose_name = _("street")
        verbose_name_plural = _("streets")
        ordering = ["postcode", "name", "number_from"]
        indexes = [models.Index(fields=["postcode", "name_key"], name="street_postcode_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(number_from__isnull=True) | Q(number_to__isnull=True) | Q(number_from__lte=F("number_to")),
                name="street_numbers_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}, {self.postcode}"

    def save(self, *args, **kwargs):
        self.name_key = street_key(self.name)
        super().save(*args, **kwargs)


class Centre(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    neighbourhoods = models.ManyToManyField(
        Neighbourhood, related_name="centres", blank=True, verbose_name=_("neighbourhoods covered")
    )

    class Meta:
        verbose_name = _("centre social")
        verbose_name_plural = _("centres sociaux")
        ordering = ["name"]
        permissions = CASE_PERMISSIONS

    def __str__(self) -> str:
        return self.name


class CentreUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Centre, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("centre permission of a user")


class CentreGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Centre, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("centre permission of a group")


class ReferenceCounter(models.Model):
    """The last case number handed out in a year, so references are gap-free and never reused."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Case(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, related_name="cases", verbose_name=_("pupil"))
    # The pupil's school at flagging time, kept on the case so visibility is one indexed column.
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="cases", verbose_name=_("school"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.FLAGGED)
    details = models.TextField(_("details"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)
    urgency = models.CharField(_("urgency"), max_length=6, choices=Urgency.choices, default=Urgency.NORMAL)
    half_days_missed = models.PositiveSmallIntegerField(
        _("half-days missed in the last 4 weeks"), default=0, validators=HALF_DAYS_MISSED.validators()
    )
    last_seen_on = models.DateField(_("last day seen at school"), null=True, blank=True, validators=PAST_DATE)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, related_name="cases", verbose_name=_("centre")
    )
    animators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="assigned_cases", blank=True, verbose_name=_("assigned animators")
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(_("closing note"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flagged_cases", verbose_name=_("flagged by")
    )
    flagged_at = models.DateTimeField(_("flagged at"))
    status_changed_at = models.DateTimeField(_("status changed at"))
    routed_at = models.DateTimeField(_("routed at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    first_contact_at = models.DateTimeField(_("first contact at"), null=True, blank=True)
    last_contact_at = models.DateTimeField(_("last contact at"), null=True, blank=True)
    family_informed_on = models.DateField(_("family informed on"), null=True, blank=True)
    # When the latest contact's next step is due (the centre's "to do"): kept by the services.
    next_step_due_on = models.DateField(_("next step due on"), null=True, blank=True)
    # Since when the school has been asked to check the family's contact details (wrong details, no answer).
    details_to_check_since = models.DateTimeField(_("contact details to check since"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    # The earliest deadline of SPEC §3 ahead of (or already missed by) an open case; NO_DEADLINE once closed, so
    # that the most urgent come first and closed cases last with no NULL to page over. Kept by save() from the
    # columns above: "overdue" and "most urgent first" are then one indexed column.
    next_deadline_at = models.DateTimeField(_("next deadline"), default=NO_DEADLINE, editable=False)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-flagged_at"]
        permissions = CASE_PERMISSIONS
        indexes = [
            models.Index(fields=["school", "-flagged_at"], name="case_school_flagged_idx"),
            # A centre's newest flags (the API list of an animator or a manager), and the changes an information
            # system polls for (`ordering=updated_at`), each one range read of its organisation's cases.
            models.Index(fields=["centre", "-flagged_at"], name="case_centre_flagged_idx"),
            models.Index(fields=["school", "updated_at"], name="case_school_updated_idx"),
            models.Index(fields=["centre", "updated_at"], name="case_centre_updated_idx"),
            models.Index(fields=["centre", "status"], name="case_centre_status_idx"),
            models.Index(fields=["status", "status_changed_at"], name="case_status_changed_idx"),
            models.Index(fields=["-flagged_at"], name="case_flagged_idx"),
            models.Index(fields=["outcome", "closed_at"], name="case_outcome_closed_idx"),
            models.Index(fields=["next_deadline_at", "id"], name="case_next_deadline_idx"),
            models.Index(fields=["centre", "next_deadline_at", "id"], name="case_centre_deadline_idx"),
            models.Index(fields=["school", "next_deadline_at", "id"], name="case_school_deadline_idx"),
            models.Index(fields=["centre", "next_step_due_on"], name="case_centre_next_step_idx"),
            models.Index(fields=["school", "details_to_check_since"], name="case_school_details_check_idx"),
            # What retention looks at every day: closed cases not anonymised yet, oldest closure first.
            models.Index(
                fields=["closed_at"],
                condition=Q(status="closed", anonymised_at__isnull=True),
                name="case_retention_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pupil"], condition=~Q(status="closed"), name="case_one_open_case_per_pupil"
            ),
            models.CheckConstraint(
                name="case_closed_has_outcome",
                condition=(Q(status="closed") & ~Q(outcome="") & Q(closed_at__isnull=False))
                | (~Q(status="closed") & Q(outcome="")),
            ),
            models.CheckConstraint(name="case_status_valid", condition=Q(status__in=Status.values)),
            models.CheckConstraint(name="case_urgency_valid", condition=Q(urgency__in=Urgency.values)),
            models.CheckConstraint(name="case_outcome_valid", condition=Q(outcome__in=["", *Outcome.values])),
            models.CheckConstraint(
                name="case_half_days_in_range", condition=HALF_DAYS_MISSED.check("half_days_missed")
            ),
            models.CheckConstraint(
                name="case_last_seen_not_too_early", condition=not_too_early("last_seen_on", nullable=True)
            ),
            models.CheckConstraint(
                name="case_routed_has_centre",
                condition=~Q(status__in=["routed", "in_progress"]) | Q(centre__isnull=False),
            ),
            models.CheckConstraint(
                name="case_reference_format", condition=Q(reference__regex=r"^R-[0-9]{4}-[0-9]{5,}$")
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args, **kwargs) -> None:
        self.next_deadline_at = min(self.deadlines().values(), default=NO_DEADLINE)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "next_deadline_at"}
        super().save(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status != Status.CLOSED

    @property
    def version(self) -> str:
        """Changes with every write on the case: the API's ETag, compared under the row lock by the services."""
        stamp = f"{self.pk}:{self.updated_at.isoformat() if self.updated_at else ''}:{self.status}"
        return hashlib.sha256(stamp.encode()).hexdigest()[:32]

    def return_to_confirm(self) -> bool:
        """Closed, and the school has not said since whether the pupil attends again. Reads the prefetched
        return confirmations (selectors.case_list) when there are some."""
        if self.status != Status.CLOSED or self.outcome in NO_RETURN_TO_CONFIRM or self.closed_at is None:
            return False
        closed_on = timezone.localdate(self.closed_at)
        return not any(confirmation.on >= closed_on for confirmation in self.return_confirmations.all())

    def deadlines(self) -> dict[str, datetime]:
        """When each deadline of SPEC §3 that applies to the case in its current state falls."""
        days = {name: timedelta(days=count) for name, count in settings.RADAR_DEADLINES.items()}
        due: dict[str, datetime] = {}
        if self.status == Status.FLAGGED:
            due["triage"] = self.status_changed_at + days["triage"]
        elif self.status == Status.ROUTED:
            due["acceptance"] = self.status_changed_at + days["acceptance"]
        elif self.status == Status.IN_PROGRESS:
            if self.first_contact_at is None and self.accepted_at is not None:
                due["first_contact"] = self.accepted_at + days["first_contact"]
            if self.last_contact_at is not None:
                due["no_contact"] = self.last_contact_at + days["no_contact"]
        if self.is_open and self.family_informed_on is None:
            due["family_notice"] = self.flagged_at + days["family_notice"]
        return due


class CaseUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case share with a user")


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("case share with a group")


class CaseReason(models.Model):
    """One row per flag reason, so 'cases per reason' is one indexed GROUP BY on any database."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reasons")
    reason = models.CharField(_("reason"), max_length=24, choices=Reason.choices)

    class Meta:
        verbose_name = _("flag reason")
        verbose_name_plural = _("flag reasons")
        indexes = [models.Index(fields=["reason", "case"], name="casereason_reason_idx")]
        constraints = [
            models.UniqueConstraint(fields=["case", "reason"], name="casereason_unique"),
            models.CheckConstraint(name="casereason_reason_valid", condition=Q(reason__in=Reason.values)),
        ]

    def __str__(self) -> str:
        return self.reason


class Contact(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="contacts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("when"), validators=PAST_DATE)
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), null=True, blank=True, validators=CONTACT_MINUTES.validators()
    )
    result = models.CharField(_("result"), max_length=20, choices=ContactResult.choices)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)
    next_step = models.CharField(_("next step"), max_length=300, blank=True)
    next_step_due_on = models.DateField(
        _("next step due on"), null=True, blank=True, validators=[not_before_earliest_date]
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-occurred_at"]
        indexes = [models.Index(fields=["case", "-occurred_at"], name="contact_case_occurred_idx")]
        constraints = [
            models.CheckConstraint(name="contact_kind_valid", condition=Q(kind__in=ContactKind.values)),
            models.CheckConstraint(name="contact_result_valid", condition=Q(result__in=ContactResult.values)),
            models.CheckConstraint(
                name="contact_duration_in_range", condition=CONTACT_MINUTES.check("duration_minutes", nullable=True)
            ),
            models.CheckConstraint(name="contact_not_too_early", condition=not_too_early("occurred_at", moment=True)),
            models.CheckConstraint(
                name="contact_next_step_not_too_early", condition=not_too_early("next_step_due_on", nullable=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"


class Support(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="supports")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, null=True, blank=True, related_name="supports")
    kind = models.CharField(_("kind"), max_length=20, choices=SupportKind.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    provided_on = models.DateField(_("provided on"), validators=PAST_DATE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        indexes = [models.Index(fields=["kind", "provided_on"], name="support_kind_idx")]
        constraints = [
            models.CheckConstraint(name="support_kind_valid", condition=Q(kind__in=SupportKind.values)),
            models.CheckConstraint(name="support_not_too_early", condition=not_too_early("provided_on")),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class TutoringSession(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tutoring_sessions")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on = models.DateField(_("date"), validators=PAST_DATE)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), validators=TUTORING_MINUTES.validators())
    subjects = models.CharField(_("subjects"), max_length=200, blank=True)
    attended = models.BooleanField(_("attended"), default=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    # A line of a group's register; empty for a one-to-one session. `attended` is then true for "present" only.
    group_session = models.ForeignKey(
        "GroupSession", on_delete=models.PROTECT, null=True, blank=True, related_name="attendance"
    )
    presence = models.CharField(_("presence"), max_length=8, choices=Presence.choices, blank=True)

    class Meta:
        verbose_name = _("tutoring session")
        verbose_name_plural = _("tutoring sessions")
        ordering = ["-on"]
        indexes = [models.Index(fields=["case", "-on"], name="tutoring_case_on_idx")]
        constraints = [
            models.CheckConstraint(
                name="tutoring_duration_in_range", condition=TUTORING_MINUTES.check("duration_minutes")
            ),
            models.CheckConstraint(name="tutoring_not_too_early", condition=not_too_early("on")),
            models.UniqueConstraint(fields=["group_session", "case"], name="tutoring_one_line_per_member"),
            models.CheckConstraint(
                name="tutoring_register_line_complete",
                condition=Q(group_session__isnull=True, presence="")
                | Q(group_session__isnull=False, presence=Presence.PRESENT, attended=True)
                | Q(group_session__isnull=False, presence__in=[Presence.ABSENT, Presence.EXCUSED], attended=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.on}"


class FamilyNotice(models.Model):
    """When and how the family was told the case exists (GDPR art. 14)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="family_notices")
    on = models.DateField(_("date"), validators=PAST_DATE)
    channel = models.CharField(_("channel"), max_length=10, choices=NoticeChannel.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("family notice")
        verbose_name_plural = _("family notices")
        constraints = [
            models.CheckConstraint(name="familynotice_channel_valid", condition=Q(channel__in=NoticeChannel.values)),
            models.CheckConstraint(name="familynotice_not_too_early", condition=not_too_early("on")),
        ]

    def __str__(self) -> str:
        return f"{self.on} ({self.channel})"


class ReturnConfirmation(models.Model):
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="return_confirmations")
    attendance = models.CharField(_("attendance"), max_length=8, choices=Attendance.choices)
    half_days_missed = models.PositiveSmallIntegerField(
        _("half-days missed in the last 4 weeks"), validators=HALF_DAYS_MISSED.validators()
    )
    on = models.DateField(_("date"), validators=PAST_DATE)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("return confirmation")
        verbose_name_plural = _("return confirmations")
        ordering = ["-on", "-created_at"]
        constraints = [
            models.CheckConstraint(name="return_attendance_valid", condition=Q(attendance__in=Attendance.values)),
            models.CheckConstraint(
                name="return_half_days_in_range", condition=HALF_DAYS_MISSED.check("half_days_missed")
            ),
            models.CheckConstraint(name="return_not_too_early", condition=not_too_early("on")),
        ]

    def __str__(self) -> str:
        return f"{self.on} {self.attendance}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only.")


class EventKind(models.TextChoices):
    FLAGGED = "flagged", _("Flagged")
    FLAG_UPDATED = "flag_updated", _("Flag details updated")
    ROUTED = "routed", _("Routed")
    AUTO_ROUTED = "auto_routed", _("Routed automatically to the only centre covering the neighbourhood")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ASSIGNED = "assigned", _("Animators assigned")
    CONTACT_LOGGED = "contact_logged", _("Contact logged")
    CONTACT_CORRECTED = "contact_corrected", _("Contact corrected")
    TUTORING_LOGGED = "tutoring_logged", _("Tutoring session logged")
    SUPPORT_RECORDED = "support_recorded", _("Support recorded")
    FAMILY_INFORMED = "family_informed", _("Family informed")
    WITHDRAWN = "withdrawn", _("Withdrawn by the school")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    RETURN_CONFIRMED = "return_confirmed", _("Return confirmed")
    IDENTITY_REVEALED = "identity_revealed", _("Identity revealed")
    HANDED_OVER = "handed_over", _("Handed over")
    DETAILS_TO_CHECK = "details_to_check", _("Contact details to check, asked of the school")
    DETAILS_UPDATED = "details_updated", _("Contact details updated")
    ANONYMISED = "anonymised", _("Anonymised")
    FAMILY_REQUEST = "family_request", _("Family request recorded")
    FAMILY_REQUEST_ANSWERED = "family_request_done", _("Family request answered")
    GROUP_JOINED = "group_joined", _("Joined a tutoring group")
    GROUP_LEFT = "group_left", _("Left a tutoring group")
    ATTENDANCE_CORRECTED = "attendance_corrected", _("Attendance corrected")
    DEVICE_LENT = "device_lent", _("Device lent")
    DEVICE_RETURNED = "device_returned", _("Device returned")
    DEVICE_GIVEN = "device_given", _("Device given to the family")


class CaseEvent(AppendOnlyModel):
    """The case's timeline. Notes here are about the workflow (why declined, why reopened), never the pupil."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(_("previous status"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("new status"), max_length=12, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at_idx")]
        constraints = [models.CheckConstraint(name="caseevent_kind_valid", condition=Q(kind__in=EventKind.values))]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class AccessAction(models.TextChoices):
    READ_CASE = "read_case", _("Read a case")
    READ_CONTACTS = "read_contacts", _("Read contacts")
    READ_TUTORING = "read_tutoring", _("Read tutoring sessions")
    READ_SUPPORTS = "read_supports", _("Read supports")
    READ_EVENTS = "read_events", _("Read the timeline")
    WRITE = "write", _("Write")
    REVEAL = "reveal", _("Reveal identity")
    EXPORT = "export", _("Export")
    READ_LIST = "read_list", _("Read a list")


class AccessLog(AppendOnlyModel):
    """Who read or wrote what about a pupil, when and from where. Purged only by retention."""

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=16, choices=AccessAction.choices)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    pupil = models.ForeignKey(Pupil, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    what = models.CharField(_("what"), max_length=60)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["case", "-at"], name="accesslog_case_at_idx"),
            models.Index(fields=["user", "-at"], name="accesslog_user_at_idx"),
            models.Index(fields=["action", "-at"], name="accesslog_action_at_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="accesslog_action_valid", condition=Q(action__in=AccessAction.values))
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.what}"


class AccessedCase(models.Model):
    """The cases one list read showed (a page of the case list, a search, triage, an export): written in one
    multi-row INSERT with its access-log entry, so "who has seen this pupil" is one indexed query."""

    access_log = models.ForeignKey(AccessLog, on_delete=models.CASCADE, related_name="cases_shown", db_index=False)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("case shown")
        verbose_name_plural = _("cases shown")
        indexes = [models.Index(fields=["case", "access_log"], name="accessedcase_case_idx")]
        constraints = [models.UniqueConstraint(fields=["access_log", "case"], name="accessedcase_unique")]

    def __str__(self) -> str:
        return f"{self.access_log_id} {self.case_id}"


class SubmissionToken(models.Model):
    """The one-time token of one rendered web form (outreach/views/once.py): the first submit claims it, a replay
    (double tap, slow network) finds it and is sent to what the first submit produced, `redirect_to`, instead of
    writing again. A guard of the web pages, not a domain rule: the API never uses it.

    A token is useless after a day (no form is submitted a day after it was rendered, and a replay comes within
    seconds): rows older than 24 hours may be deleted at any time."""

    token = models.UUIDField(_("token"), unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False, db_index=True)
    redirect_to = models.CharField(_("redirect to"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("submission token")
        verbose_name_plural = _("submission tokens")

    def __str__(self) -> str:
        return str(self.token)


class TodoVisit(models.Model):
    """When a user last opened their "À faire" page, so a school sees what happened since."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("visit of the to-do page")
        verbose_name_plural = _("visits of the to-do page")

    def __str__(self) -> str:
        return f"{self.user_id} {self.at:%Y-%m-%d %H:%M}"


class RetentionRun(models.Model):
    """One completed run of `apply_retention` (dry runs are not recorded): the dashboard says when the last one
    finished, so a retention that stopped running is noticed."""

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), db_index=True)
    pupils_anonymised = models.PositiveIntegerField(_("pupils anonymised"))
    cases_anonymised = models.PositiveIntegerField(_("cases anonymised"))
    access_log_purged = models.PositiveIntegerField(_("access-log entries purged"))

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-finished_at"]

    def __str__(self) -> str:
        return f"{self.finished_at:%Y-%m-%d %H:%M}"


class NotificationPreference(models.Model):
    """What a user chose to receive by email. No row: the defaults (the daily digest on)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    daily_digest = models.BooleanField(_("receive the daily digest"), default=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.user_id} digest={self.daily_digest}"


class AlertKind(models.TextChoices):
    VOLUME = "volume", _("Far more pupils read than usual")
    AFTER_HOURS = "after_hours", _("Identity revealed outside working hours")
    CLOSED_CASE = "closed_case", _("Closed cases read")


class AccessAlert(models.Model):
    """An unusual pattern in one account's reads on one day (CNIL 2021-122), with the access-log rows behind it,
    until a coordinator reviews it."""

    kind = models.CharField(_("kind"), max_length=12, choices=AlertKind.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("day"))
    # What was counted (pupils read, reveals, closed cases read), and the account's usual count for volume alerts.
    count = models.PositiveIntegerField(_("count"))
    usual = models.FloatField(_("usual count"), null=True, blank=True)
    entries = models.ManyToManyField(AccessLog, through="AccessAlertEntry", related_name="+")
    created_at = models.DateTimeField(_("raised at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(_("review note"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)

    class Meta:
        verbose_name = _("access alert")
        verbose_name_plural = _("access alerts")
        indexes = [models.Index(fields=["reviewed_at", "-day"], name="accessalert_review_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "user", "day"], name="accessalert_one_per_kind_user_day"),
            models.CheckConstraint(name="accessalert_kind_valid", condition=Q(kind__in=AlertKind.values)),
            models.CheckConstraint(
                name="accessalert_reviewed_by_someone",
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.user_id} {self.day}"


class AccessAlertEntry(models.Model):
    """One access-log row behind an alert. Goes with the row when retention purges it."""

    alert = models.ForeignKey(AccessAlert, on_delete=models.CASCADE, related_name="entry_links")
    access_log = models.ForeignKey(AccessLog, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("row behind an access alert")
        verbose_name_plural = _("rows behind access alerts")
        constraints = [
            models.UniqueConstraint(fields=["alert", "access_log"], name="accessalertentry_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.access_log_id}"


class NoticeLanguage(models.TextChoices):
    """The languages the family information notice is written in: French, and the languages guardians speak at home
    most often in Radar. Each named in itself, as a family chooses it."""

    FRENCH = "fr", "Français"
    ARABIC = "ar", "العربية"
    ENGLISH = "en", "English"
    TURKISH = "tr", "Türkçe"
    PORTUGUESE = "pt", "Português"
    SPANISH = "es", "Español"
    ROMANIAN = "ro", "Română"
    DARI = "prs", "دری"


# Written right to left.
RTL_NOTICE_LANGUAGES = (NoticeLanguage.ARABIC, NoticeLanguage.DARI)


class FamilyNoticeText(models.Model):
    """The information notice given to families (GDPR art. 14), one text per language, edited by the coordinators.
    `{college}`, `{centre}`, `{reference}`, `{publisher}`, `{dpo}` and `{retention_months}` are filled in when a
    case's notice is printed."""

    language = models.CharField(_("language"), max_length=3, choices=NoticeLanguage.choices, unique=True)
    text = models.TextField(_("text"), max_length=20000)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("family information notice")
        verbose_name_plural = _("family information notices")
        constraints = [
            models.CheckConstraint(
                name="familynoticetext_language_valid", condition=Q(language__in=NoticeLanguage.values)
            )
        ]

    def __str__(self) -> str:
        return self.language


class IntegrationToken(models.Model):
    """A school information system's access to the API: named, expiring, and owned by the school, so it survives
    the departure of whoever created it. It acts through its own account (`account`, which cannot log in), which
    holds only the right to flag pupils and read the school's cases: the access log names it."""

    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="integration_tokens")
    name = models.CharField(_("name"), max_length=100)
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration")
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("integration token")
        verbose_name_plural = _("integration tokens")
        ordering = ["school", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="integration_expires_after"
            ),
            models.UniqueConstraint(
                fields=["school", "name"], condition=Q(revoked_at__isnull=True), name="integration_name_unique_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.school})"

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class GroupMode(models.TextChoices):
    AT_CENTRE = "at_centre", _("At the centre")
    REMOTE = "remote", _("Remote")
    AT_HOME = "at_home", _("At home")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class TutoringGroup(models.Model):
    """A CLAS group of a centre: who leads it, when it meets each week, which of the centre's cases attend."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="tutoring_groups")
    name = models.CharField(_("name"), max_length=120)
    mode = models.CharField(_("mode"), max_length=10, choices=GroupMode.choices)
    # The weekly schedule: one slot a week, from which sessions are planned.
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    starts_at = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), validators=TUTORING_MINUTES.validators())
    animators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="tutoring_groups", blank=True, verbose_name=_("animators")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tutoring group")
        verbose_name_plural = _("tutoring groups")
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["centre", "name"], name="tutoringgroup_centre_idx")]
        constraints = [
            models.CheckConstraint(name="tutoringgroup_mode_valid", condition=Q(mode__in=GroupMode.values)),
            models.CheckConstraint(name="tutoringgroup_weekday_valid", condition=Q(weekday__gte=0, weekday__lte=6)),
            models.CheckConstraint(
                name="tutoringgroup_duration_in_range", condition=TUTORING_MINUTES.check("duration_minutes")
            ),
        ]

    def __str__(self) -> str:
        return self.name


class GroupMembership(models.Model):
    """A case in a group, from when it joined until it left: the history stays, a new stay is a new row."""

    group = models.ForeignKey(TutoringGroup, on_delete=models.PROTECT, related_name="memberships")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="group_memberships")
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("group membership")
        verbose_name_plural = _("group memberships")
        indexes = [models.Index(fields=["case", "group"], name="membership_case_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "case"], condition=Q(left_on__isnull=True), name="membership_one_current"
            ),
            models.CheckConstraint(
                name="membership_left_after_joining", condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.case_id}"


class GroupSession(models.Model):
    """One meeting of a group: planned from its schedule or added ad hoc. Its register is the tutoring records
    (TutoringSession rows) that point at it, one per member."""

    group = models.ForeignKey(TutoringGroup, on_delete=models.PROTECT, related_name="sessions")
    on = models.DateField(_("date"), validators=[not_before_earliest_date])
    starts_at = models.TimeField(_("starts at"))
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), validators=TUTORING_MINUTES.validators())
    planned = models.BooleanField(_("planned from the schedule"), default=True)
    subjects = models.CharField(_("subjects"), max_length=200, blank=True)
    register_taken_at = models.DateTimeField(_("register taken at"), null=True, blank=True)
    register_taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("group session")
        verbose_name_plural = _("group sessions")
        ordering = ["on", "starts_at", "pk"]
        indexes = [models.Index(fields=["on", "group"], name="groupsession_on_idx")]
        constraints = [
            models.UniqueConstraint(fields=["group", "on", "starts_at"], name="groupsession_unique_slot"),
            models.CheckConstraint(
                name="groupsession_duration_in_range", condition=TUTORING_MINUTES.check("duration_minutes")
            ),
            models.CheckConstraint(name="groupsession_not_too_early", condition=not_too_early("on")),
        ]

    def __str__(self) -> str:
        return f"{self.group_id} {self.on}"


# An attendance line's note: a few words, read on a phone.


ATTENDANCE_NOTE_LENGTH = 200


class DeviceKind(models.TextChoices):
    TABLET = "tablet", _("Tablet")
    COMPUTER = "computer", _("Computer")
    SMARTPHONE = "smartphone", _("Smartphone")
    MOBILE_INTERNET = "mobile_internet", _("4G key or box")


class DeviceState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    LENT = "lent", _("Lent")
    GIVEN = "given", _("Given to a family")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


class Device(models.Model):
    """A device of a centre's inventory, usually from a partner (Emmaüs Connect)."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(_("kind"), max_length=16, choices=DeviceKind.choices)
    reference = models.CharField(_("reference or serial number"), max_length=60)
    partner = models.CharField(_("partner"), max_length=120, blank=True)
    state = models.CharField(_("state"), max_length=16, choices=DeviceState.choices, default=DeviceState.AVAILABLE)
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")
        ordering = ["kind", "reference"]
        indexes = [models.Index(fields=["centre", "state", "kind"], name="device_centre_state_idx")]
        constraints = [
            models.UniqueConstraint(fields=["centre", "reference"], name="device_reference_unique"),
            models.CheckConstraint(name="device_kind_valid", condition=Q(kind__in=DeviceKind.values)),
            models.CheckConstraint(name="device_state_valid", condition=Q(state__in=DeviceState.values)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.reference}"


class LoanEnd(models.TextChoices):
    RETURNED = "returned", _("Returned")
    GIVEN = "given", _("Given to the family for good")


class DeviceLoan(models.Model):
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="loans")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="device_loans")
    lent_on = models.DateField(_("lent on"), validators=PAST_DATE)
    due_on = models.DateField(_("due back on"))
    condition_out = models.CharField(_("condition at hand-over"), max_length=200)
    # The reference read on the device at hand-over, as the family signed for it.
    reference_out = models.CharField(_("reference at hand-over"), max_length=60)
    lent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ended_on = models.DateField(_("ended on"), null=True, blank=True, validators=PAST_DATE)
    end = models.CharField(_("how it ended"), max_length=10, choices=LoanEnd.choices, blank=True)
    condition_back = models.CharField(_("condition on return"), max_length=200, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("device loan")
        verbose_name_plural = _("device loans")
        ordering = ["-lent_on", "-pk"]
        indexes = [
            models.Index(fields=["case", "-lent_on"], name="deviceloan_case_idx"),
            models.Index(fields=["ended_on", "due_on"], name="deviceloan_open_due_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["device"], condition=Q(ended_on__isnull=True), name="deviceloan_one_open"),
            models.CheckConstraint(name="deviceloan_due_after_lent", condition=Q(due_on__gte=F("lent_on"))),
            models.CheckConstraint(name="deviceloan_not_too_early", condition=not_too_early("lent_on")),
            models.CheckConstraint(
                name="deviceloan_end_complete",
                condition=Q(ended_on__isnull=True, end="") | Q(ended_on__gte=F("lent_on"), end__in=LoanEnd.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.lent_on}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportJob(models.Model):
    """A CSV file of flags imported in the background (outreach/imports.py), one committed chunk of rows at a time.

    `rows` holds the file as read (number and cells of each row); `rows_done` counts the rows whose flags and
    results are committed: a job resumed after its worker died starts there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("school"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="import_jobs", verbose_name=_("imported by")
    )
    created_at = models.DateTimeField(_("created at"))
    status = models.CharField(_("status"), max_length=8, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    rows = models.JSONField(_("rows read from the file"))
    rows_total = models.PositiveIntegerField(_("rows"))
    rows_done = models.PositiveIntegerField(_("rows imported"), default=0)
    # Moved on at every committed chunk: a job pending or running whose heartbeat is old lost its worker.
    heartbeat_at = models.DateTimeField(_("last progress at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    failure = models.TextField(_("why it failed"), blank=True)

    class Meta:
        verbose_name = _("CSV import")
        verbose_name_plural = _("CSV imports")
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="importjob_status_heartbeat_idx")]
        constraints = [
            models.CheckConstraint(name="importjob_status_valid", condition=Q(status__in=ImportStatus.values)),
            models.CheckConstraint(name="importjob_rows_done_in_range", condition=Q(rows_done__lte=F("rows_total"))),
        ]

    def __str__(self) -> str:
        return f"{self.school_id} {self.created_at:%Y-%m-%d %H:%M}"


class ImportRowResult(models.Model):
    """What became of one row of an import: the case flagged or found open, or the errors by column."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="results")
    number = models.PositiveIntegerField(_("row"))
    status = models.CharField(_("result"), max_length=8)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    errors = models.JSONField(_("errors by column"), default=list, blank=True)

    class Meta:
        verbose_name = _("imported row")
        verbose_name_plural = _("imported rows")
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "number"], name="importrowresult_unique_row"),
            models.CheckConstraint(
                name="importrowresult_status_valid", condition=Q(status__in=["created", "existing", "error"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.status}"


class FamilyRequestKind(models.TextChoices):
    """The rights of GDPR articles 15 to 21 a family may exercise about their child's file."""

    ACCESS = "access", _("Access (art. 15)")
    RECTIFICATION = "rectification", _("Rectification (art. 16)")
    ERASURE = "erasure", _("Erasure (art. 17)")
    RESTRICTION = "restriction", _("Restriction (art. 18)")
    OBJECTION = "objection", _("Objection (art. 21)")


class FamilyRequestDecision(models.TextChoices):
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused, with the reason given to the family")


class FamilyRequest(models.Model):
    """A family's request about their child's data, recorded by a coordinator, answered within a month."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="family_requests", verbose_name=_("case"))
    kind = models.CharField(_("right exercised"), max_length=14, choices=FamilyRequestKind.choices)
    received_on = models.DateField(_("received on"), validators=PAST_DATE)
    # One month after receipt (GDPR art. 12.3), kept so that "due soonest" is one indexed column.
    due_on = models.DateField(_("answer due on"), editable=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at"))
    closed_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decision = models.CharField(_("decision"), max_length=8, choices=FamilyRequestDecision.choices, blank=True)
    response = models.TextField(_("what was done"), blank=True, max_length=NOTE_LENGTH, validators=NOTE)

    class Meta:
        verbose_name = _("family request")
        verbose_name_plural = _("family requests")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["due_on"], condition=Q(closed_at__isnull=True), name="familyrequest_open_due_idx"),
            models.Index(fields=["case", "received_on"], name="familyrequest_case_idx"),
        ]
        constraints = [
            models.CheckConstraint(name="familyrequest_kind_valid", condition=Q(kind__in=FamilyRequestKind.values)),
            models.CheckConstraint(name="familyrequest_not_too_early", condition=not_too_early("received_on")),
            models.CheckConstraint(name="familyrequest_due_after_receipt", condition=Q(due_on__gt=F("received_on"))),
            models.CheckConstraint(
                name="familyrequest_answered_has_decision",
                condition=(
                    Q(closed_at__isnull=True, closed_by__isnull=True, decision="", response="")
                    | (
                        Q(closed_at__isnull=False, closed_by__isnull=False, decision__in=FamilyRequestDecision.values)
                        & ~Q(response="")
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.received_on}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None
