"""factory-boy factories for every model."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from outreach import models as outreach
from schools import models as schools
from schools.models import uai_check_letter


def _uai(n: int) -> str:
    digits = f"{590000 + n:07d}"
    return digits + uai_check_letter(digits)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("radar-test")


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"group{n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = schools.School

    name = factory.Sequence(lambda n: f"Collège {n}")
    uai = factory.Sequence(_uai)
    address = "1 rue de l'École"
    city = "Lille"


class PupilFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = schools.Pupil

    school = factory.SubFactory(SchoolFactory)
    external_ref = factory.Sequence(lambda n: f"EL{n:06d}")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    birth_date = datetime.date(2013, 3, 14)
    sex = schools.Sex.FEMALE
    level = schools.Level.CINQUIEME
    class_name = "5e B"
    address = "12 rue des Tilleuls"
    postcode = "59000"
    city = "Lille"
    neighbourhood = ""


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = schools.Guardian

    pupil = factory.SubFactory(PupilFactory)
    name = factory.Faker("name", locale="fr_FR")
    relationship = "mère"
    phone = "0600000000"
    email = "parent@example.org"
    language = "français"
    interpreter_needed = False


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.Neighbourhood

    name = factory.Sequence(lambda n: f"Quartier {n}")
    is_qpv = True


class NeighbourhoodPostcodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.NeighbourhoodPostcode

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    postcode = factory.Sequence(lambda n: f"59{n % 1000:03d}")


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.Centre
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Centre social {n}")
    address = "3 place du Marché"

    @factory.post_generation
    def neighbourhoods(self, create, extracted, **kwargs):
        if create and extracted:
            self.neighbourhoods.set(extracted)


class CaseFactory(factory.django.DjangoModelFactory):
    """A case written straight to the database; tests of the lifecycle go through the services."""

    class Meta:
        model = outreach.Case

    pupil = factory.SubFactory(PupilFactory)
    school = factory.LazyAttribute(lambda case: case.pupil.school)
    reference = factory.Sequence(lambda n: f"R-2026-{n + 1:05d}")
    status = outreach.Status.FLAGGED
    details = ""
    urgency = outreach.Urgency.NORMAL
    half_days_missed = 6
    flagged_by = factory.SubFactory(UserFactory)
    flagged_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyAttribute(lambda case: case.flagged_at)

    class Params:
        routed = factory.Trait(
            status=outreach.Status.ROUTED,
            centre=factory.SubFactory(CentreFactory),
            routed_at=factory.LazyFunction(timezone.now),
        )
        in_progress = factory.Trait(
            status=outreach.Status.IN_PROGRESS,
            centre=factory.SubFactory(CentreFactory),
            routed_at=factory.LazyFunction(timezone.now),
            accepted_at=factory.LazyFunction(timezone.now),
        )
        closed = factory.Trait(
            status=outreach.Status.CLOSED,
            centre=factory.SubFactory(CentreFactory),
            outcome=outreach.Outcome.RETURNED_TO_SCHOOL,
            closed_at=factory.LazyFunction(timezone.now),
        )


class CaseReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.CaseReason

    case = factory.SubFactory(CaseFactory)
    reason = outreach.Reason.UNJUSTIFIED_ABSENCE


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.Contact

    case = factory.SubFactory(CaseFactory, in_progress=True)
    author = factory.SubFactory(UserFactory)
    kind = outreach.ContactKind.HOME_VISIT
    occurred_at = factory.LazyFunction(timezone.now)
    duration_minutes = 30
    result = outreach.ContactResult.REACHED_FAMILY
    notes = "Famille rencontrée à domicile."


class SupportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.Support

    case = factory.SubFactory(CaseFactory, in_progress=True)
    kind = outreach.SupportKind.DEVICE_TABLET
    detail = "Tablette prêtée par Emmaüs Connect"
    provided_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory)


class TutoringSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.TutoringSession

    case = factory.SubFactory(CaseFactory, in_progress=True)
    author = factory.SubFactory(UserFactory)
    on = factory.LazyFunction(timezone.localdate)
    duration_minutes = 90
    subjects = "mathématiques"
    attended = True
    notes = "Exercices de fractions."


class FamilyNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.FamilyNotice

    case = factory.SubFactory(CaseFactory)
    on = factory.LazyFunction(timezone.localdate)
    channel = outreach.NoticeChannel.LETTER
    recorded_by = factory.SubFactory(UserFactory)


class ReturnConfirmationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.ReturnConfirmation

    case = factory.SubFactory(CaseFactory, closed=True)
    attendance = outreach.Attendance.FULL
    half_days_missed = 0
    on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory)


class CaseEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.CaseEvent

    case = factory.SubFactory(CaseFactory)
    actor = factory.SubFactory(UserFactory)
    kind = outreach.EventKind.FLAGGED


class AccessLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.AccessLog

    user = factory.SubFactory(UserFactory)
    action = outreach.AccessAction.READ_CASE
    what = "case"
    case = factory.SubFactory(CaseFactory)
    pupil = factory.LazyAttribute(lambda log: log.case.pupil if log.case else None)
    ip_address = "127.0.0.1"


class ReferenceCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.ReferenceCounter
        django_get_or_create = ("year",)

    year = 2026
    last_number = 0


class DeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = outreach.Device

    centre = factory.SubFactory(CentreFactory)
    kind = outreach.DeviceKind.TABLET
    reference = factory.Sequence(lambda n: f"EC-{n:05d}")
    partner = "Emmaüs Connect"
