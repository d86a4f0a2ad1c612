"""Translation between JSON and the domain. Output fields are explicit allow-lists: a new model
field never reaches a client until it is added here, and role-dependent blocks are dropped by
`restrict_case` according to the permissions the caller holds on each case."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from outreach.lifecycle import PUBLIC_EVENT_NOTES
from outreach.models import (
    Attendance,
    ContactKind,
    ContactResult,
    NoticeChannel,
    Outcome,
    Reason,
    SupportKind,
    Urgency,
)
from outreach.selectors import overdue_reasons
from schools.models import Level, Sex
from schools.permissions import Action

MAX_TEXT = 4000


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class SchoolSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uai = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)


class NeighbourhoodSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    is_qpv = serializers.BooleanField(read_only=True)
    postcodes = serializers.SerializerMethodField()

    def get_postcodes(self, neighbourhood) -> list[str]:
        return sorted(postcode.postcode for postcode in neighbourhood.postcodes.all())


class CentreSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    address = serializers.CharField(read_only=True)
    neighbourhoods = serializers.SerializerMethodField()

    def get_neighbourhoods(self, centre) -> list[str]:
        return sorted(neighbourhood.name for neighbourhood in centre.neighbourhoods.all())


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return person_name(user)


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField()
    organisation_kind = serializers.CharField(allow_null=True)
    organisation_id = serializers.IntegerField(allow_null=True)
    organisation_name = serializers.CharField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    roles = RoleSerializer(many=True)


class GuardianSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    relationship = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    language = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    interpreter_needed = serializers.BooleanField(required=False, default=False)


class PupilSerializer(serializers.Serializer):
    """A pupil as the school knows them: written on flagging, read by those who may see identity."""

    id = serializers.IntegerField(read_only=True)
    external_ref = serializers.CharField(max_length=64)
    first_name = serializers.CharField(max_length=120)
    last_name = serializers.CharField(max_length=120)
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=Level.choices)
    class_name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True, default="")
    city = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    neighbourhood = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    guardians = GuardianSerializer(many=True, required=False, default=list)


class PseudonymisedPupilSerializer(serializers.Serializer):
    """SPEC §4: initials, birth year, level, school, neighbourhood and a stable key; nothing else."""

    key = serializers.CharField(source="pseudonym_key")
    initials = serializers.CharField()
    birth_year = serializers.SerializerMethodField()
    level = serializers.CharField()
    school = serializers.CharField(source="school.uai")
    neighbourhood = serializers.CharField()

    def get_birth_year(self, pupil) -> int | None:
        return pupil.birth_date.year if pupil.birth_date else None


class CountsSerializer(serializers.Serializer):
    contacts = serializers.IntegerField()
    tutoring_sessions = serializers.IntegerField()
    supports = serializers.IntegerField()


class ReturnSerializer(serializers.Serializer):
    attendance = serializers.ChoiceField(choices=Attendance.choices)
    half_days_missed = serializers.IntegerField(min_value=0, max_value=40)
    on = serializers.DateField()


@extend_schema_field(
    {"oneOf": [{"$ref": "#/components/schemas/Pupil"}, {"$ref": "#/components/schemas/PseudonymisedPupil"}]}
)
class PupilBlockField(serializers.Field):
    def to_representation(self, pupil):
        return pupil


class CaseSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    reference = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    urgency = serializers.CharField(read_only=True)
    reasons = serializers.SerializerMethodField()
    details = serializers.CharField(read_only=True, required=False, help_text="Only with access to identity.")
    half_days_missed = serializers.IntegerField(read_only=True)
    last_seen_on = serializers.DateField(read_only=True, allow_null=True)
    school = SchoolSerializer(read_only=True)
    centre = serializers.SerializerMethodField()
    animators = PersonSerializer(many=True, read_only=True)
    outcome = serializers.CharField(read_only=True, allow_blank=True)
    outcome_note = serializers.CharField(read_only=True, required=False, help_text="Only with access to notes.")
    flagged_at = serializers.DateTimeField(read_only=True)
    routed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    first_contact_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_contact_at = serializers.DateTimeField(read_only=True, allow_null=True)
    family_informed_on = serializers.DateField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)
    overdue = serializers.BooleanField(read_only=True)
    overdue_reasons = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    latest_return = serializers.SerializerMethodField()
    identity_visible = serializers.SerializerMethodField()
    pupil = PupilBlockField(read_only=True)

    def get_reasons(self, case) -> list[str]:
        return sorted(reason.reason for reason in case.reasons.all())

    @extend_schema_field(
        {"type": "object", "nullable": True, "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
    )
    def get_centre(self, case) -> dict | None:
        return {"id": case.centre.pk, "name": case.centre.name} if case.centre_id else None

    def get_overdue_reasons(self, case) -> list[str]:
        return overdue_reasons(case)

    @extend_schema_field(CountsSerializer)
    def get_counts(self, case) -> dict:
        return {
            "contacts": case.contact_count,
            "tutoring_sessions": case.tutoring_count,
            "supports": case.support_count,
        }

    @extend_schema_field(ReturnSerializer(allow_null=True))
    def get_latest_return(self, case) -> dict | None:
        confirmations = list(case.return_confirmations.all())
        return ReturnSerializer(confirmations[0]).data if confirmations else None

    def get_identity_visible(self, case) -> bool:
        return Action.VIEW_IDENTITY in self._perms(case)

    def _perms(self, case) -> frozenset[str]:
        return self.context["scope"].permissions_on(case)

    def to_representation(self, case):
        data = super().to_representation(case)
        perms = self._perms(case)
        if Action.VIEW_IDENTITY in perms:
            data["pupil"] = PupilSerializer(case.pupil).data
        else:
            data["pupil"] = PseudonymisedPupilSerializer(case.pupil).data
            data.pop("details")
        if Action.VIEW_NOTES not in perms:
            data.pop("outcome_note")
        return data


class FlagSerializer(serializers.Serializer):
    school = serializers.CharField(required=False, help_text="UAI; optional when you belong to one school.")
    pupil = PupilSerializer()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices), min_length=1)
    details = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    half_days_missed = serializers.IntegerField(min_value=0, max_value=40, required=False, default=0)
    last_seen_on = serializers.DateField(required=False, allow_null=True, default=None)


class FlagUpdateSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices), min_length=1, required=False)
    details = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    half_days_missed = serializers.IntegerField(min_value=0, max_value=40, required=False)
    last_seen_on = serializers.DateField(required=False, allow_null=True)


class BulkResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    result = serializers.ChoiceField(choices=["created", "existing", "error"])
    case = CaseSerializer(required=False)
    error = serializers.DictField(required=False)


class RouteSerializer(serializers.Serializer):
    centre = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class AssignSerializer(serializers.Serializer):
    animators = serializers.ListField(child=serializers.IntegerField(), max_length=20)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class RequiredNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=MAX_TEXT)


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class FamilyNoticeSerializer(serializers.Serializer):
    on = serializers.DateField()
    channel = serializers.ChoiceField(choices=NoticeChannel.choices)


class SupportInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupportKind.choices)
    detail = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class ContactSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    occurred_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField(
        min_value=0, max_value=1440, required=False, allow_null=True, default=None
    )
    result = serializers.ChoiceField(choices=ContactResult.choices)
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT, help_text="Only with access to notes."
    )
    supports = SupportInputSerializer(many=True, required=False, default=list)
    next_step = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=300, help_text="Only with access to notes."
    )
    next_step_due_on = serializers.DateField(required=False, allow_null=True, default=None)
    author = PersonSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    correctable_until = serializers.SerializerMethodField()

    def get_correctable_until(self, contact) -> str | None:
        until = contact.created_at + timedelta(hours=settings.RADAR_CONTACT_CORRECTION_HOURS)
        return serializers.DateTimeField().to_representation(until) if until > timezone.now() else None

    def to_representation(self, contact):
        data = super().to_representation(contact)
        data["supports"] = [{"kind": s.kind, "detail": s.detail} for s in contact.supports.all()]
        if not self.context.get("notes_visible"):
            data.pop("notes")
            data.pop("next_step")
        return data


class ContactCorrectionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ContactKind.choices, required=False)
    occurred_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False, allow_null=True)
    result = serializers.ChoiceField(choices=ContactResult.choices, required=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=300)
    next_step_due_on = serializers.DateField(required=False, allow_null=True)


class TutoringSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    on = serializers.DateField()
    duration_minutes = serializers.IntegerField(min_value=0, max_value=1440)
    subjects = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    attended = serializers.BooleanField(required=False, default=True)
    notes = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT, help_text="Only with access to notes."
    )
    author = PersonSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, session):
        data = super().to_representation(session)
        if not self.context.get("notes_visible"):
            data.pop("notes")
        return data


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    kind = serializers.CharField(read_only=True)
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)
    actor = PersonSerializer(read_only=True)
    note = serializers.CharField(read_only=True, help_text="Workflow notes for all; closing notes only with notes.")

    def to_representation(self, event):
        data = super().to_representation(event)
        if event.kind not in PUBLIC_EVENT_NOTES and not self.context.get("notes_visible"):
            data["note"] = ""
        return data


class HandoverSerializer(serializers.Serializer):
    from_user = serializers.IntegerField()
    to_user = serializers.IntegerField()


class HandoverResultSerializer(serializers.Serializer):
    moved = serializers.IntegerField()


class AccessLogSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    user = PersonSerializer(read_only=True)
    action = serializers.CharField(read_only=True)
    what = serializers.CharField(read_only=True)
    case = serializers.UUIDField(source="case_id", read_only=True, allow_null=True)
    case_reference = serializers.CharField(source="case.reference", read_only=True, allow_null=True, default=None)
    pupil = serializers.IntegerField(source="pupil_id", read_only=True, allow_null=True)
    detail = serializers.CharField(read_only=True)
    ip_address = serializers.IPAddressField(read_only=True, allow_null=True)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=200, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()
