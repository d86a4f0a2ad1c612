"""Every database constraint, hit through the ORM so that the database itself refuses the row.

Model.save(), QuerySet.update() and Manager.create() run no Python validation, so an IntegrityError
here proves the rule lives in the schema (SQLite and PostgreSQL alike), not only in forms or services.
"""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from outreach.models import (
    AccessLog,
    Case,
    CaseEvent,
    CaseReason,
    Centre,
    Contact,
    FamilyNotice,
    Neighbourhood,
    NeighbourhoodPostcode,
    Outcome,
    ReturnConfirmation,
    Status,
    Support,
    TutoringSession,
)
from schools.models import Pupil, School, uai_check_letter
from tests import factories

pytestmark = pytest.mark.django_db


def refused(match: str | None = None):
    """The database raises IntegrityError; `match` names the constraint (or column) that fired."""
    return pytest.raises(IntegrityError, match=match)


def update_refused(model, pk, match=None, **values):
    with refused(match), transaction.atomic():
        model.objects.filter(pk=pk).update(**values)
    # The row is untouched after the refusal.
    current = model.objects.filter(pk=pk).values(*values).get()
    assert current != values


# Schools ------------------------------------------------------------------------------------------


def _valid_uai(digits: str) -> str:
    return digits + uai_check_letter(digits)


@pytest.mark.parametrize(
    "uai",
    [
        "0599001A",  # wrong check letter (N is right)
        "0599002N",  # letter of another number
        "0599001n",  # lower case
        "0599001I",  # I is never a check letter
        "A599001N",  # letter in the digits
        "05990011",  # no letter
        "599001N",  # 6 digits
        "0599 01N",  # space
        "",
    ],
)
def test_school_with_invalid_uai_is_refused(uai):
    with refused("school_uai_valid"), transaction.atomic():
        School.objects.create(name="Collège X", uai=uai, city="Lille")
    assert not School.objects.filter(uai=uai).exists()


@pytest.mark.parametrize(
    "uai", ["0599001N", "0599002P", "0599003R", "0000000A", "0000022Z", "0000023A", _valid_uai("9999999")]
)
def test_school_with_valid_uai_is_accepted(uai):
    school = School.objects.create(name="Collège X", uai=uai, city="Lille")
    assert School.objects.get(pk=school.pk).uai == uai


def test_school_uai_update_to_invalid_is_refused():
    school = factories.SchoolFactory(uai="0599001N")
    update_refused(School, school.pk, "school_uai_valid", uai="0599001P")
    assert School.objects.get(pk=school.pk).uai == "0599001N"


def test_school_uai_is_unique():
    factories.SchoolFactory(uai="0599001N")
    with refused("uai"), transaction.atomic():
        School.objects.create(name="Doublon", uai="0599001N", city="Lille")
    assert School.objects.filter(uai="0599001N").count() == 1


def test_pupil_external_ref_is_unique_per_school():
    pupil = factories.PupilFactory(external_ref="EL-1")
    with refused("external_ref"), transaction.atomic():
        factories.PupilFactory(school=pupil.school, external_ref="EL-1")
    other = factories.PupilFactory(external_ref="EL-1")  # another school: allowed
    assert other.school_id != pupil.school_id
    assert Pupil.objects.filter(external_ref="EL-1").count() == 2


@pytest.mark.parametrize(
    ("field", "value", "constraint"),
    [("level", "7e", "pupil_level_valid"), ("level", "", "pupil_level_valid"), ("sex", "X", "pupil_sex_valid")],
)
def test_pupil_unknown_codes_are_refused(field, value, constraint):
    pupil = factories.PupilFactory()
    update_refused(Pupil, pupil.pk, constraint, **{field: value})


@pytest.mark.parametrize("sex", ["", "F", "M"])
def test_pupil_sex_is_optional(sex):
    pupil = factories.PupilFactory(sex=sex)
    assert Pupil.objects.get(pk=pupil.pk).sex == sex


# Reference data -----------------------------------------------------------------------------------


def test_neighbourhood_and_centre_names_and_postcodes_are_unique():
    neighbourhood = factories.NeighbourhoodFactory(name="Wazemmes")
    factories.NeighbourhoodPostcodeFactory(neighbourhood=neighbourhood, postcode="59000")
    factories.CentreFactory(name="Centre A")
    with refused("name"), transaction.atomic():
        Neighbourhood.objects.create(name="Wazemmes")
    with refused("postcode"), transaction.atomic():
        NeighbourhoodPostcode.objects.create(neighbourhood=neighbourhood, postcode="59000")
    with refused("name"), transaction.atomic():
        Centre.objects.create(name="Centre A")
    assert Neighbourhood.objects.count() == 1
    assert NeighbourhoodPostcode.objects.count() == 1
    assert Centre.objects.count() == 1


# Cases --------------------------------------------------------------------------------------------


def test_case_primary_key_is_a_random_uuid():
    first, second = factories.CaseFactory(), factories.CaseFactory()
    assert Case._meta.pk.get_internal_type() == "UUIDField"
    assert isinstance(first.pk, uuid.UUID)
    assert first.pk.version == 4
    assert first.pk != second.pk
    assert Case.objects.get(pk=str(first.pk)) == first
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = 'id'",
                [Case._meta.db_table],
            )
            assert cursor.fetchone()[0] == "uuid"


def test_second_open_case_for_a_pupil_is_refused():
    case = factories.CaseFactory()
    for status in (Status.FLAGGED, Status.ROUTED, Status.IN_PROGRESS):
        with refused("pupil"), transaction.atomic():
            factories.CaseFactory(pupil=case.pupil, status=status, centre=factories.CentreFactory())
    assert Case.objects.filter(pupil=case.pupil).count() == 1


def test_second_case_is_allowed_once_the_first_is_closed():
    closed = factories.CaseFactory(closed=True)
    also_closed = factories.CaseFactory(pupil=closed.pupil, closed=True)
    reopened = factories.CaseFactory(pupil=closed.pupil, in_progress=True)
    assert {closed.pk, also_closed.pk, reopened.pk} == set(
        Case.objects.filter(pupil=closed.pupil).values_list("pk", flat=True)
    )
    # Reopening a closed case while another one is open is refused too.
    update_refused(Case, closed.pk, "pupil", status=Status.IN_PROGRESS, outcome="", closed_at=None)


def test_two_pupils_may_each_have_an_open_case():
    first = factories.CaseFactory()
    second = factories.CaseFactory(pupil=factories.PupilFactory(school=first.school))
    assert Case.objects.exclude(status=Status.CLOSED).count() == 2
    assert first.pupil_id != second.pupil_id


@pytest.mark.parametrize(
    "values",
    [
        {"status": Status.CLOSED, "outcome": "", "closed_at": timezone.now()},
        {"status": Status.CLOSED, "outcome": Outcome.REFERRED, "closed_at": None},
        {"status": Status.CLOSED, "outcome": "", "closed_at": None},
    ],
    ids=["closed-without-outcome", "closed-without-closed_at", "closed-without-either"],
)
def test_closed_case_needs_outcome_and_closed_at(values):
    case = factories.CaseFactory(in_progress=True)
    update_refused(Case, case.pk, "case_closed_has_outcome", **values)
    assert Case.objects.get(pk=case.pk).status == Status.IN_PROGRESS


@pytest.mark.parametrize("status", [Status.FLAGGED, Status.ROUTED, Status.IN_PROGRESS])
def test_open_case_cannot_have_an_outcome(status):
    case = factories.CaseFactory(in_progress=True)
    update_refused(Case, case.pk, "case_closed_has_outcome", status=status, outcome=Outcome.RETURNED_TO_SCHOOL)


def test_closed_case_with_outcome_and_closed_at_is_accepted():
    case = factories.CaseFactory(in_progress=True)
    Case.objects.filter(pk=case.pk).update(status=Status.CLOSED, outcome=Outcome.MOVED_AWAY, closed_at=timezone.now())
    assert Case.objects.get(pk=case.pk).outcome == Outcome.MOVED_AWAY


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"status": "bogus"}, "case_status_valid"),
        ({"status": ""}, "case_status_valid"),
        ({"status": "CLOSED"}, "case_status_valid"),
        ({"urgency": "bogus"}, "case_urgency_valid"),
        ({"urgency": ""}, "case_urgency_valid"),
    ],
)
def test_case_unknown_status_and_urgency_are_refused(values, constraint):
    case = factories.CaseFactory()
    update_refused(Case, case.pk, constraint, **values)


@pytest.mark.parametrize("outcome", ["bogus", "Returned_to_school"])
def test_case_unknown_outcome_is_refused(outcome):
    case = factories.CaseFactory(closed=True)
    update_refused(Case, case.pk, "case_outcome_valid", outcome=outcome)


@pytest.mark.parametrize("outcome", Outcome.values)
def test_case_every_known_outcome_is_accepted(outcome):
    case = factories.CaseFactory(closed=True, outcome=outcome)
    assert Case.objects.get(pk=case.pk).outcome == outcome


def test_case_negative_half_days_missed_is_refused():
    case = factories.CaseFactory()
    update_refused(Case, case.pk, "half_days", half_days_missed=-1)


@pytest.mark.parametrize("status", [Status.ROUTED, Status.IN_PROGRESS])
def test_routed_or_in_progress_case_needs_a_centre(status):
    case = factories.CaseFactory(in_progress=True)
    update_refused(Case, case.pk, "case_routed_has_centre", status=status, centre=None)
    with refused("case_routed_has_centre"), transaction.atomic():
        factories.CaseFactory(status=status, centre=None)


@pytest.mark.parametrize("status", [Status.FLAGGED, Status.CLOSED])
def test_flagged_or_closed_case_may_have_no_centre(status):
    case = factories.CaseFactory(closed=status == Status.CLOSED, centre=None)
    assert Case.objects.get(pk=case.pk).centre_id is None


@pytest.mark.parametrize(
    "reference",
    ["R-2026-0001", "R-26-00001", "X-2026-00001", "r-2026-00001", "R-2026-00001a", "R2026-00001", "R-2026-ABCDE", ""],
)
def test_case_reference_format_is_enforced(reference):
    case = factories.CaseFactory(reference="R-2026-00001")
    update_refused(Case, case.pk, "case_reference_format", reference=reference)


@pytest.mark.parametrize("reference", ["R-2026-00001", "R-2031-99999", "R-2026-123456"])
def test_case_reference_in_format_is_accepted(reference):
    case = factories.CaseFactory(reference=reference)
    assert Case.objects.get(pk=case.pk).reference == reference


def test_case_reference_is_unique():
    factories.CaseFactory(reference="R-2026-00042")
    with refused("reference"), transaction.atomic():
        factories.CaseFactory(reference="R-2026-00042")
    assert Case.objects.filter(reference="R-2026-00042").count() == 1


def test_case_reason_is_unique_per_case_and_reason():
    reason = factories.CaseReasonFactory(reason="long_absence")
    with refused("casereason"), transaction.atomic():
        CaseReason.objects.create(case=reason.case, reason="long_absence")
    CaseReason.objects.create(case=reason.case, reason="behaviour")
    CaseReason.objects.create(case=factories.CaseFactory(), reason="long_absence")
    assert CaseReason.objects.filter(case=reason.case).count() == 2


@pytest.mark.parametrize("reason", ["bogus", "", "Other"])
def test_case_reason_unknown_code_is_refused(reason):
    case = factories.CaseFactory()
    with refused("casereason_reason_valid"), transaction.atomic():
        CaseReason.objects.create(case=case, reason=reason)
    assert not CaseReason.objects.filter(case=case).exists()


# What is logged against a case ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "model", "values", "constraint"),
    [
        (factories.ContactFactory, Contact, {"kind": "bogus"}, "contact_kind_valid"),
        (factories.ContactFactory, Contact, {"kind": ""}, "contact_kind_valid"),
        (factories.ContactFactory, Contact, {"result": "bogus"}, "contact_result_valid"),
        (factories.ContactFactory, Contact, {"duration_minutes": -1}, "duration"),
        (factories.SupportFactory, Support, {"kind": "bogus"}, "support_kind_valid"),
        (factories.TutoringSessionFactory, TutoringSession, {"duration_minutes": -30}, "duration"),
        (factories.FamilyNoticeFactory, FamilyNotice, {"channel": "pigeon"}, "familynotice_channel_valid"),
        (factories.ReturnConfirmationFactory, ReturnConfirmation, {"attendance": "bogus"}, "return_attendance_valid"),
        (factories.ReturnConfirmationFactory, ReturnConfirmation, {"half_days_missed": -2}, "half_days"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_logged_rows_with_unknown_codes_or_negative_numbers_are_refused(factory, model, values, constraint):
    row = factory()
    update_refused(model, row.pk, constraint, **values)
    with refused(constraint), transaction.atomic():
        factory(**values)


def test_contact_duration_may_be_empty_or_zero():
    assert factories.ContactFactory(duration_minutes=None).duration_minutes is None
    contact = factories.ContactFactory(duration_minutes=0)
    assert Contact.objects.get(pk=contact.pk).duration_minutes == 0


@pytest.mark.parametrize(
    ("factory", "values", "constraint"),
    [
        (factories.CaseEventFactory, {"kind": "bogus"}, "caseevent_kind_valid"),
        (factories.AccessLogFactory, {"action": "bogus"}, "accesslog_action_valid"),
    ],
)
def test_append_only_rows_with_unknown_codes_are_refused(factory, values, constraint):
    with refused(constraint), transaction.atomic():
        factory(**values)


# Append-only timeline and access log -----------------------------------------------------------------


def _save_existing(row):
    row.note = "changed"
    row.detail = "changed"
    row.save()


def _update_fields(row):
    row.save(update_fields=["at"])


@pytest.mark.parametrize("factory", [factories.CaseEventFactory, factories.AccessLogFactory], ids=["event", "log"])
@pytest.mark.parametrize(
    "operation",
    [
        _save_existing,
        _update_fields,
        lambda row: row.delete(),
        lambda row: type(row).objects.filter(pk=row.pk).update(at=timezone.now() - timedelta(days=1)),
        lambda row: type(row).objects.all().update(case=None),
        lambda row: type(row).objects.filter(pk=row.pk).delete(),
        lambda row: type(row).objects.all().delete(),
        lambda row: type(row).objects.bulk_update([row], ["at"]),
        lambda row: type(row).objects.update_or_create(pk=row.pk, defaults={"at": timezone.now()}),
    ],
    ids=[
        "save",
        "save-update-fields",
        "delete",
        "queryset-update",
        "update-all",
        "queryset-delete",
        "delete-all",
        "bulk-update",
        "update-or-create",
    ],
)
def test_timeline_and_access_log_are_append_only(factory, operation):
    row = factory()
    model = type(row)
    before = model.objects.filter(pk=row.pk).values().get()
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        operation(row)
    assert model.objects.filter(pk=row.pk).values().get() == before
    assert model.objects.count() == 1


def test_append_only_rows_can_still_be_added():
    event = factories.CaseEventFactory()
    CaseEvent.objects.create(
        case=event.case, actor=event.actor, kind="routed", from_status="flagged", to_status="routed"
    )
    AccessLog.objects.create(user=event.actor, action="read_case", what="case", case=event.case)
    assert CaseEvent.objects.filter(case=event.case).count() == 2
    assert AccessLog.objects.filter(case=event.case).count() == 1
