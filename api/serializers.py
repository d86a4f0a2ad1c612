"""Translation between JSON and the domain. Output fields are explicit allow-lists: a new model
field never reaches a client until it is added here, and role-dependent blocks are dropped by
`restrict_case` according to the permissions the caller holds on each case."""

from datetime import timedelta

from django.conf import settings
from django.core.validators import RegexValidator
from django.utils import timezone
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from api.fields import IdField, StrictBooleanField, StrictCharField, StrictIntegerField
from outreach.lifecycle import PUBLIC_EVENT_NOTES
from outreach.models import (
    Attendance,
    ContactKind,
    ContactResult,
    NoticeChannel,
    Outcome,
    Reason,
    Status,
    SupportKind,
    Urgency,
)
from outreach.selectors import overdue_reasons
from schools.models import Level, Sex
from schools.permissions import Action

MAX_TEXT = 4000


def person_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


class ErrorSerializer(serializers.Serializer):
    """Every error under /api/ (SPEC §5): a stable machine code, a human message, field errors on a 400."""

    code = StrictCharField()
    message = StrictCharField()
    fields = serializers.DictField(child=serializers.ListField(child=StrictCharField()), required=False)


class NonBlankCharField(StrictCharField):
    """Text that must say something: DRF trims it, then refuses it blank; the schema's `pattern` says as much."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(r"\S"))


class SchoolSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    uai = StrictCharField(read_only=True)
    name = StrictCharField(read_only=True)
    city = StrictCharField(read_only=True)


class NeighbourhoodSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    name = StrictCharField(read_only=True)
    is_qpv = StrictBooleanField(read_only=True)
    postcodes = serializers.SerializerMethodField()

    def get_postcodes(self, neighbourhood) -> list[str]:
        return sorted(postcode.postcode for postcode in neighbourhood.postcodes.all())


class CentreSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    name = StrictCharField(read_only=True)
    address = StrictCharField(read_only=True)
    neighbourhoods = serializers.SerializerMethodField()

    def get_neighbourhoods(self, centre) -> list[str]:
        return sorted(neighbourhood.name for neighbourhood in centre.neighbourhoods.all())


class PersonSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return person_name(user)


class RoleSerializer(serializers.Serializer):
    role = StrictCharField()
    organisation_kind = StrictCharField(allow_null=True)
    organisation_id = StrictIntegerField(allow_null=True)
    organisation_name = StrictCharField(allow_null=True)


class MeSerializer(serializers.Serializer):
    id = StrictIntegerField()
    username = StrictCharField()
    first_name = StrictCharField()
    last_name = StrictCharField()
    roles = RoleSerializer(many=True)


class GuardianSerializer(serializers.Serializer):
    name = StrictCharField(max_length=200)
    relationship = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    phone = StrictCharField(max_length=30, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    language = StrictCharField(max_length=60, required=False, allow_blank=True, default="")
    interpreter_needed = StrictBooleanField(required=False, default=False)


class PupilSerializer(serializers.Serializer):
    """A pupil as the school knows them: written on flagging, read by those who may see identity."""

    id = StrictIntegerField(read_only=True)
    external_ref = StrictCharField(max_length=64)
    first_name = StrictCharField(max_length=120)
    last_name = StrictCharField(max_length=120)
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    level = serializers.ChoiceField(choices=Level.choices)
    class_name = StrictCharField(max_length=40, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=300, required=False, allow_blank=True, default="")
    postcode = StrictCharField(max_length=10, required=False, allow_blank=True, default="")
    city = StrictCharField(max_length=120, required=False, allow_blank=True, default="")
    neighbourhood = StrictCharField(max_length=120, required=False, allow_blank=True, default="")
    guardians = GuardianSerializer(many=True, required=False, default=list)


class PseudonymisedPupilSerializer(serializers.Serializer):
    """SPEC §4: initials, birth year, level, school, neighbourhood and a stable key; nothing else."""

    key = StrictCharField(source="pseudonym_key")
    initials = StrictCharField()
    birth_year = serializers.SerializerMethodField()
    level = StrictCharField()
    school = StrictCharField(source="school.uai")
    neighbourhood = StrictCharField()

    def get_birth_year(self, pupil) -> int | None:
        return pupil.birth_date.year if pupil.birth_date else None


class CountsSerializer(serializers.Serializer):
    contacts = StrictIntegerField()
    tutoring_sessions = StrictIntegerField()
    supports = StrictIntegerField()


class ReturnSerializer(serializers.Serializer):
    attendance = serializers.ChoiceField(choices=Attendance.choices)
    half_days_missed = StrictIntegerField(min_value=0, max_value=40)
    on = serializers.DateField()


@extend_schema_field(
    PolymorphicProxySerializer(
        component_name="CasePupil",
        serializers=[PupilSerializer, PseudonymisedPupilSerializer],
        resource_type_field_name=None,
    )
)
class PupilBlockField(serializers.Field):
    """The pupil in full where the caller may see identity, else pseudonymised (SPEC §4)."""

    def to_representation(self, pupil):
        return pupil


class CaseSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    reference = StrictCharField(read_only=True)
    status = serializers.ChoiceField(choices=Status.choices, read_only=True)
    urgency = serializers.ChoiceField(choices=Urgency.choices, read_only=True)
    reasons = serializers.SerializerMethodField()
    # Not read-only, so that the schema lists them as optional: they are left out for callers without the right.
    details = StrictCharField(required=False, help_text="Only with access to identity.")
    half_days_missed = StrictIntegerField(read_only=True)
    last_seen_on = serializers.DateField(read_only=True, allow_null=True)
    school = SchoolSerializer(read_only=True)
    centre = serializers.SerializerMethodField()
    animators = PersonSerializer(many=True, read_only=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, read_only=True, allow_blank=True)
    outcome_note = StrictCharField(required=False, help_text="Only with access to notes.")
    flagged_at = serializers.DateTimeField(read_only=True)
    routed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    accepted_at = serializers.DateTimeField(read_only=True, allow_null=True)
    first_contact_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_contact_at = serializers.DateTimeField(read_only=True, allow_null=True)
    family_informed_on = serializers.DateField(read_only=True, allow_null=True)
    closed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True)
    overdue = StrictBooleanField(read_only=True)
    overdue_reasons = serializers.SerializerMethodField()
    counts = serializers.SerializerMethodField()
    latest_return = serializers.SerializerMethodField()
    identity_visible = serializers.SerializerMethodField()
    pupil = PupilBlockField(read_only=True)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices)))
    def get_reasons(self, case) -> list[str]:
        return sorted(reason.reason for reason in case.reasons.all())

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            "required": ["id", "name"],
        }
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
    school = StrictCharField(required=False, help_text="UAI; optional when you belong to one school.")
    pupil = PupilSerializer()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices), min_length=1)
    details = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    half_days_missed = StrictIntegerField(min_value=0, max_value=40, required=False, default=0)
    last_seen_on = serializers.DateField(required=False, allow_null=True, default=None)


class FlagUpdateSerializer(serializers.Serializer):
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices), min_length=1, required=False)
    details = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    half_days_missed = StrictIntegerField(min_value=0, max_value=40, required=False)
    last_seen_on = serializers.DateField(required=False, allow_null=True)


class BulkResultSerializer(serializers.Serializer):
    index = StrictIntegerField()
    result = serializers.ChoiceField(choices=["created", "existing", "error"])
    case = CaseSerializer(required=False)
    error = serializers.DictField(required=False)


class RouteSerializer(serializers.Serializer):
    centre = IdField()
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class DeclineSerializer(serializers.Serializer):
    reason = NonBlankCharField(max_length=MAX_TEXT)


class AssignSerializer(serializers.Serializer):
    animators = serializers.ListField(child=IdField(), max_length=20)


class CloseSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class NoteSerializer(serializers.Serializer):
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=MAX_TEXT)


class RequiredNoteSerializer(serializers.Serializer):
    note = NonBlankCharField(max_length=MAX_TEXT)


class RevealSerializer(serializers.Serializer):
    reason = NonBlankCharField(max_length=MAX_TEXT)


class FamilyNoticeSerializer(serializers.Serializer):
    on = serializers.DateField()
    channel = serializers.ChoiceField(choices=NoticeChannel.choices)


class SupportInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupportKind.choices)
    detail = StrictCharField(required=False, allow_blank=True, default="", max_length=300)


class ContactSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    occurred_at = serializers.DateTimeField()
    duration_minutes = StrictIntegerField(min_value=0, max_value=1440, required=False, allow_null=True, default=None)
    result = serializers.ChoiceField(choices=ContactResult.choices)
    notes = StrictCharField(
        required=False, allow_blank=True, default="", max_length=MAX_TEXT, help_text="Only with access to notes."
    )
    supports = SupportInputSerializer(many=True, required=False, default=list)
    next_step = StrictCharField(
        required=False, allow_blank=True, default="", max_length=300, help_text="Only with access to notes."
    )
    next_step_due_on = serializers.DateField(required=False, allow_null=True, default=None)
    author = PersonSerializer(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    correctable_until = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "format": "date-time", "nullable": True})
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
    duration_minutes = StrictIntegerField(min_value=0, max_value=1440, required=False, allow_null=True)
    result = serializers.ChoiceField(choices=ContactResult.choices, required=False)
    notes = StrictCharField(required=False, allow_blank=True, max_length=MAX_TEXT)
    next_step = StrictCharField(required=False, allow_blank=True, max_length=300)
    next_step_due_on = serializers.DateField(required=False, allow_null=True)


class TutoringSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    on = serializers.DateField()
    duration_minutes = StrictIntegerField(min_value=0, max_value=1440)
    subjects = StrictCharField(required=False, allow_blank=True, default="", max_length=200)
    attended = StrictBooleanField(required=False, default=True)
    notes = StrictCharField(
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
    id = StrictIntegerField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    kind = StrictCharField(read_only=True)
    from_status = StrictCharField(read_only=True)
    to_status = StrictCharField(read_only=True)
    actor = PersonSerializer(read_only=True)
    note = StrictCharField(read_only=True, help_text="Workflow notes for all; closing notes only with notes.")

    def to_representation(self, event):
        data = super().to_representation(event)
        if event.kind not in PUBLIC_EVENT_NOTES and not self.context.get("notes_visible"):
            data["note"] = ""
        return data


class HandoverSerializer(serializers.Serializer):
    from_user = IdField()
    to_user = IdField()


class HandoverResultSerializer(serializers.Serializer):
    moved = StrictIntegerField()


class AccessLogSerializer(serializers.Serializer):
    id = StrictIntegerField(read_only=True)
    at = serializers.DateTimeField(read_only=True)
    user = PersonSerializer(read_only=True)
    action = StrictCharField(read_only=True)
    what = StrictCharField(read_only=True)
    case = serializers.UUIDField(source="case_id", read_only=True, allow_null=True)
    case_reference = StrictCharField(source="case.reference", read_only=True, allow_null=True, default=None)
    pupil = StrictIntegerField(source="pupil_id", read_only=True, allow_null=True)
    detail = StrictCharField(read_only=True)
    ip_address = serializers.IPAddressField(read_only=True, allow_null=True)


class TokenRequestSerializer(serializers.Serializer):
    username = NonBlankCharField(max_length=150)
    password = StrictCharField(max_length=200, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = StrictCharField()
    expiry = serializers.DateTimeField()


# Responses built as plain dicts by outreach.reports and outreach.pupil_export: these serializers only describe
# them in the OpenAPI schema (schemathesis checks every response against it in CI).


def _counts(help_text: str = "") -> serializers.DictField:
    return serializers.DictField(child=StrictIntegerField(), help_text=help_text)


@extend_schema_field({"anyOf": [{"type": "integer"}, {"type": "string"}], "nullable": True})
class GroupKeyField(serializers.Field):
    """A centre id, a UAI, a month (`2026-03`), a reason code or a neighbourhood; null for "none"."""


class OutcomeRowSerializer(serializers.Serializer):
    key = GroupKeyField()
    label = StrictCharField(allow_null=True)
    total = StrictIntegerField()

    def get_fields(self):  # one count per outcome code, as the rows carry them
        return super().get_fields() | {outcome: StrictIntegerField() for outcome in Outcome.values}


class OutcomeReportSerializer(serializers.Serializer):
    group_by = StrictCharField()
    outcomes = serializers.ListField(child=serializers.ChoiceField(choices=Outcome.choices))
    rows = OutcomeRowSerializer(many=True)


class FundersPupilsSerializer(serializers.Serializer):
    total = StrictIntegerField()
    by_level = _counts()
    by_sex = _counts("`unknown` where the school did not say.")
    by_age_band = _counts("`11_and_under`, `12_13`, `14_15`, `16_and_over`, `unknown`.")
    by_qpv = _counts("`qpv`, `not_qpv`.")


class FundersTutoringSerializer(serializers.Serializer):
    sessions = StrictIntegerField()
    sessions_attended = StrictIntegerField()
    hours_attended = serializers.FloatField()
    attendance_rate = serializers.FloatField(allow_null=True)
    pupils = StrictIntegerField()


class FundersFamiliesSerializer(serializers.Serializer):
    families_reached = StrictIntegerField()
    families_met = StrictIntegerField()
    home_visits = StrictIntegerField()


class FundersReportSerializer(serializers.Serializer):
    year = StrictIntegerField()
    pupils = FundersPupilsSerializer()
    tutoring = FundersTutoringSerializer()
    supports = _counts("Supports provided, by kind.")
    devices_provided = StrictIntegerField()
    connections_provided = StrictIntegerField()
    families = FundersFamiliesSerializer()
    outcomes = _counts("Cases closed during the year, by outcome.")


class ExportGuardianSerializer(serializers.Serializer):
    name = StrictCharField()
    relationship = StrictCharField()
    phone = StrictCharField()
    email = StrictCharField()
    language = StrictCharField()
    interpreter_needed = StrictBooleanField()


class ExportPupilSerializer(serializers.Serializer):
    id = StrictIntegerField()
    school = StrictCharField(help_text="UAI.")
    external_ref = StrictCharField()
    first_name = StrictCharField()
    last_name = StrictCharField()
    birth_date = serializers.DateField(allow_null=True)
    sex = StrictCharField()
    level = StrictCharField()
    class_name = StrictCharField()
    address = StrictCharField()
    postcode = StrictCharField()
    city = StrictCharField()
    neighbourhood = StrictCharField()
    guardians = ExportGuardianSerializer(many=True)


class ExportSupportSerializer(serializers.Serializer):
    kind = StrictCharField()
    detail = StrictCharField()


class ExportContactSerializer(serializers.Serializer):
    kind = StrictCharField()
    occurred_at = serializers.DateTimeField()
    duration_minutes = StrictIntegerField(allow_null=True)
    result = StrictCharField()
    notes = StrictCharField()
    next_step = StrictCharField()
    next_step_due_on = serializers.DateField(allow_null=True)
    author = StrictCharField()
    supports = ExportSupportSerializer(many=True)


class ExportTutoringSerializer(serializers.Serializer):
    on = serializers.DateField()
    duration_minutes = StrictIntegerField()
    subjects = StrictCharField()
    attended = StrictBooleanField()
    notes = StrictCharField()
    author = StrictCharField()


class ExportCaseSupportSerializer(ExportSupportSerializer):
    provided_on = serializers.DateField()


class ExportNoticeSerializer(serializers.Serializer):
    on = serializers.DateField()
    channel = StrictCharField()


class ExportReturnSerializer(serializers.Serializer):
    on = serializers.DateField()
    attendance = StrictCharField()
    half_days_missed = StrictIntegerField()


class ExportEventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = StrictCharField()
    from_status = StrictCharField()
    to_status = StrictCharField()
    actor = StrictCharField()
    note = StrictCharField()


class ExportCaseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = StrictCharField()
    status = StrictCharField()
    school = StrictCharField(help_text="UAI.")
    centre = StrictCharField(allow_null=True, help_text="The centre's name.")
    reasons = serializers.ListField(child=StrictCharField())
    details = StrictCharField()
    urgency = StrictCharField()
    half_days_missed = StrictIntegerField()
    last_seen_on = serializers.DateField(allow_null=True)
    flagged_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = StrictCharField()
    outcome_note = StrictCharField()
    contacts = ExportContactSerializer(many=True)
    tutoring_sessions = ExportTutoringSerializer(many=True)
    supports = ExportCaseSupportSerializer(many=True)
    family_notices = ExportNoticeSerializer(many=True)
    return_confirmations = ExportReturnSerializer(many=True)
    events = ExportEventSerializer(many=True)


class ExportAccessSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    user = StrictCharField()
    action = StrictCharField()
    what = StrictCharField()
    ip_address = StrictCharField(allow_null=True)


class PupilExportSerializer(serializers.Serializer):
    pupil = ExportPupilSerializer()
    cases = ExportCaseSerializer(many=True)
    accesses = ExportAccessSerializer(many=True)
