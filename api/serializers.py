"""Translation between JSON and the domain.

Output: what a caller may see of a case, its contacts, tutoring and timeline is decided by outreach/redaction.py,
which gives plain dictionaries; the serializers here present them as JSON (dates in ISO 8601, local time) and
describe them in the OpenAPI schema. Input: a step's body is checked against a serializer built from the step's
form (api/inputs.py); the flag's body against serializers built from the flag page's forms.
"""

import uuid
from datetime import date, datetime

from django.core.validators import RegexValidator
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from api.fields import IdField, StrictBooleanField, StrictCharField, StrictIntegerField
from api.inputs import input_serializer
from outreach import redaction
from outreach.forms import AddressForm, FlagDetailsForm, GuardianForm, PupilForm
from outreach.models import (
    Attendance,
    ContactKind,
    ContactResult,
    Outcome,
    Presence,
    Reason,
    Status,
    SupportKind,
    Urgency,
)
from schools.validators import MAX_GUARDIANS

DATETIME = serializers.DateTimeField()


def present(value):
    """A redaction dictionary as JSON values: local date-times and dates in ISO 8601, ids as strings.

    Dispatched on the exact type first: a page of cases is thousands of values, most of them plain."""
    kind = type(value)
    if kind is dict:
        return {key: present(item) for key, item in value.items()}
    if kind is list:
        return [present(item) for item in value]
    if kind in PLAIN:
        return value
    if isinstance(value, dict):
        return {key: present(item) for key, item in value.items()}
    if isinstance(value, list):
        return [present(item) for item in value]
    if isinstance(value, datetime):
        return DATETIME.to_representation(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


PLAIN = frozenset({str, int, bool, float, type(None)})


def case_representation(scope, case) -> dict:
    """A case as JSON, straight from redaction.case_view: no serializer is built per case (CaseSerializer only
    describes this shape in the schema)."""
    return present(redaction.case_view(scope, case))


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
        return redaction.person_name(user)


class CentreRefSerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = StrictCharField()


class RoleSerializer(serializers.Serializer):
    role = StrictCharField()
    organisation_kind = StrictCharField(allow_null=True)
    organisation_id = StrictIntegerField(allow_null=True)
    organisation_name = StrictCharField(allow_null=True)
    uai = StrictCharField(allow_null=True, help_text="A school's UAI: the `school` of a flag.")


class MeSerializer(serializers.Serializer):
    id = StrictIntegerField()
    username = StrictCharField()
    first_name = StrictCharField()
    last_name = StrictCharField()
    roles = RoleSerializer(many=True)


class GuardianSerializer(serializers.Serializer):
    name = StrictCharField()
    relationship = StrictCharField()
    phone = StrictCharField()
    email = StrictCharField()
    language = StrictCharField()
    interpreter_needed = StrictBooleanField()


class PupilSerializer(serializers.Serializer):
    """A pupil as the school knows them, for those who may see identity."""

    id = StrictIntegerField()
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
    guardians = GuardianSerializer(many=True)


class PseudonymisedPupilSerializer(serializers.Serializer):
    """SPEC §4: initials, birth year, level, school, neighbourhood and a stable key; nothing else."""

    key = StrictCharField()
    initials = StrictCharField()
    birth_year = StrictIntegerField(allow_null=True)
    level = StrictCharField()
    school = StrictCharField()
    neighbourhood = StrictCharField()


class CountsSerializer(serializers.Serializer):
    contacts = StrictIntegerField()
    tutoring_sessions = StrictIntegerField()
    supports = StrictIntegerField()


class LatestReturnSerializer(serializers.Serializer):
    attendance = serializers.ChoiceField(choices=Attendance.choices)
    half_days_missed = StrictIntegerField()
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
    """A case as redaction.case_view gives it to the caller (the `scope` of the serializer's context)."""

    id = serializers.UUIDField()
    reference = StrictCharField()
    status = serializers.ChoiceField(choices=Status.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=Reason.choices))
    details = StrictCharField(required=False, help_text="Only with access to identity.")
    half_days_missed = StrictIntegerField()
    last_seen_on = serializers.DateField(allow_null=True)
    school = SchoolSerializer()
    centre = CentreRefSerializer(allow_null=True)
    animators = PersonSerializer(many=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, allow_blank=True)
    outcome_note = StrictCharField(required=False, help_text="Only with access to notes.")
    flagged_at = serializers.DateTimeField()
    routed_at = serializers.DateTimeField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    first_contact_at = serializers.DateTimeField(allow_null=True)
    last_contact_at = serializers.DateTimeField(allow_null=True)
    family_informed_on = serializers.DateField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    overdue = StrictBooleanField()
    overdue_reasons = serializers.ListField(child=StrictCharField())
    counts = CountsSerializer()
    latest_return = LatestReturnSerializer(allow_null=True)
    identity_visible = StrictBooleanField()
    details_to_check = StrictBooleanField(help_text="The centre asked the school to check the family's details.")
    return_to_confirm = StrictBooleanField(help_text="Closed, and the school has not confirmed the return since.")
    pupil = PupilBlockField()

    def to_representation(self, case):
        return case_representation(self.context["scope"], case)


class PupilInputSerializer(input_serializer(PupilForm), input_serializer(AddressForm)):
    guardians = serializers.ListField(child=input_serializer(GuardianForm)(), max_length=MAX_GUARDIANS, required=False)


class FlagSerializer(input_serializer(FlagDetailsForm)):
    school = StrictCharField(required=False, help_text="UAI; optional when you belong to one school.")
    pupil = PupilInputSerializer()


class FlagUpdateSerializer(input_serializer(FlagDetailsForm, partial=True)):
    pass


class BulkResultSerializer(serializers.Serializer):
    index = StrictIntegerField()
    result = serializers.ChoiceField(choices=["created", "existing", "error"])
    case = CaseSerializer(required=False)
    error = serializers.DictField(required=False)


class SupportSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SupportKind.choices)
    detail = StrictCharField(help_text="Only with access to identity.")


class ContactSerializer(serializers.Serializer):
    """A contact as redaction.contact_view gives it to the caller (`disclosure` in the serializer's context)."""

    id = StrictIntegerField()
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    occurred_at = serializers.DateTimeField()
    duration_minutes = StrictIntegerField(allow_null=True)
    result = serializers.ChoiceField(choices=ContactResult.choices)
    notes = StrictCharField(required=False, help_text="Only with access to notes.")
    supports = SupportSerializer(many=True)
    next_step = StrictCharField(required=False, help_text="Only with access to notes.")
    next_step_due_on = serializers.DateField(allow_null=True)
    author = PersonSerializer()
    created_at = serializers.DateTimeField()
    correctable_until = serializers.DateTimeField(allow_null=True)

    def to_representation(self, contact):
        return present(redaction.contact_view(self.context["disclosure"], contact, now=self.context["now"]))


class ContactCorrectionSerializer(serializers.Serializer):
    """Only the fields given change; the contact form's rules apply to the result."""


class TutoringSerializer(serializers.Serializer):
    id = StrictIntegerField()
    on = serializers.DateField()
    duration_minutes = StrictIntegerField()
    subjects = StrictCharField()
    attended = StrictBooleanField(help_text="True when present.")
    presence = serializers.ChoiceField(
        choices=Presence.choices, allow_null=True, help_text="A line of a group's register; null one-to-one."
    )
    group_session = StrictIntegerField(allow_null=True, help_text="The group session of a register line.")
    notes = StrictCharField(required=False, help_text="Only with access to notes.")
    author = PersonSerializer()
    created_at = serializers.DateTimeField()

    def to_representation(self, session):
        return present(redaction.tutoring_view(self.context["disclosure"], session))


class CaseSupportSerializer(serializers.Serializer):
    id = StrictIntegerField()
    kind = serializers.ChoiceField(choices=SupportKind.choices)
    detail = StrictCharField(help_text="Only with access to identity.")
    provided_on = serializers.DateField()

    def to_representation(self, support):
        return present(redaction.support_view(self.context["disclosure"], support))


class EventSerializer(serializers.Serializer):
    id = StrictIntegerField()
    at = serializers.DateTimeField()
    kind = StrictCharField()
    from_status = StrictCharField()
    to_status = StrictCharField()
    actor = PersonSerializer()
    note = StrictCharField(help_text="Empty where the caller may not read it (see note_withheld).")
    note_withheld = StrictBooleanField()

    def to_representation(self, event):
        return present(redaction.event_view(self.context["disclosure"], event))


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
    otp = StrictCharField(
        max_length=20,
        required=False,
        help_text="For an account with a second factor: its authentication application's code, or a recovery code.",
    )


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


class FundersPeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class FundersClasSerializer(serializers.Serializer):
    groups = StrictIntegerField()
    sessions_held = StrictIntegerField()
    pupils_enrolled = StrictIntegerField()
    hours_attended = serializers.FloatField()
    hours_attended_per_pupil = serializers.FloatField(allow_null=True)
    attendance_rate = serializers.FloatField(allow_null=True, help_text="present / (present + absent)")


class FundersDevicesSerializer(serializers.Serializer):
    loans = StrictIntegerField()
    out_at_end = StrictIntegerField(help_text="Devices still lent on the period's last day.")
    returns = StrictIntegerField()
    given = StrictIntegerField(help_text="Devices given to families for good.")
    attendance_with_device = serializers.FloatField(allow_null=True)
    pupils_with_device = StrictIntegerField()
    attendance_without_device = serializers.FloatField(allow_null=True)
    pupils_without_device = StrictIntegerField()


class FundersCohortSerializer(serializers.Serializer):
    pupils = StrictIntegerField(help_text="Flagged during the period, with a return confirmed.")
    chronic_at_flagging = StrictIntegerField()
    chronic_at_return = StrictIntegerField()
    share_at_flagging = serializers.FloatField(allow_null=True)
    share_at_return = serializers.FloatField(allow_null=True)


class FundersReportSerializer(serializers.Serializer):
    year = StrictIntegerField(allow_null=True, help_text="The calendar year; null for a school year.")
    school_year = StrictIntegerField(allow_null=True, help_text="The year the school year starts; null otherwise.")
    period = FundersPeriodSerializer()
    pupils = FundersPupilsSerializer()
    tutoring = FundersTutoringSerializer()
    supports = _counts("Supports provided, by kind.")
    devices_provided = StrictIntegerField()
    connections_provided = StrictIntegerField()
    families = FundersFamiliesSerializer()
    outcomes = _counts("Cases closed during the year, by outcome.")
    clas = FundersClasSerializer()
    devices = FundersDevicesSerializer()
    cohort = FundersCohortSerializer()


class ExportPupilSerializer(PupilSerializer):
    school = StrictCharField(help_text="UAI.")


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
