import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Cast, Mod, Substr
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from schools.permissions import CASE_PERMISSIONS
from schools.validators import EARLIEST_DATE, college_age, not_before_earliest_date

UAI_CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
UAI_FORMAT = r"^[0-9]{7}[A-Z]$"


def uai_check_letter(digits: str) -> str:
    return UAI_CHECK_LETTERS[int(digits) % 23]


def validate_uai(value: str) -> None:
    if len(value) != 8 or not value[:7].isdigit() or value[7] != uai_check_letter(value[:7]):
        raise ValidationError(
            _("%(value)s is not a valid UAI (7 digits and the matching check letter)."),
            code="invalid_uai",
            params={"value": value},
        )


class School(models.Model):
    name = models.CharField(_("name"), max_length=200)
    uai = models.CharField(_("UAI code"), max_length=8, unique=True, validators=[validate_uai])
    address = models.CharField(_("address"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=120)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]
        permissions = CASE_PERMISSIONS
        constraints = [
            models.CheckConstraint(
                name="school_uai_valid",
                condition=Q(uai__regex=UAI_FORMAT)
                & Exact(
                    Substr("uai", 8, 1),
                    Substr(
                        Value(UAI_CHECK_LETTERS),
                        Mod(Cast(Substr("uai", 1, 7), models.IntegerField()), Value(23)) + Value(1),
                        1,
                    ),
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uai})"


class SchoolUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(School, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("school permission of a user")


class SchoolGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(School, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("school permission of a group")


class Level(models.TextChoices):
    SIXIEME = "6e", "6e"
    CINQUIEME = "5e", "5e"
    QUATRIEME = "4e", "4e"
    TROISIEME = "3e", "3e"
    ULIS = "ULIS", "ULIS"
    SEGPA = "SEGPA", "SEGPA"


class Sex(models.TextChoices):
    FEMALE = "F", _("female")
    MALE = "M", _("male")


class Pupil(models.Model):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="pupils", verbose_name=_("school"))
    external_ref = models.CharField(_("school's pupil number"), max_length=64)
    first_name = models.CharField(_("first name"), max_length=120)
    last_name = models.CharField(_("last name"), max_length=120)
    birth_date = models.DateField(
        _("birth date"), null=True, blank=True, validators=[not_before_earliest_date, college_age]
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    level = models.CharField(_("level"), max_length=5, choices=Level.choices)
    class_name = models.CharField(_("class"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True, db_index=True)
    city = models.CharField(_("city"), max_length=120, blank=True)
    neighbourhood = models.CharField(_("neighbourhood"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pupil")
        verbose_name_plural = _("pupils")
        constraints = [
            models.UniqueConstraint(fields=["school", "external_ref"], name="pupil_unique_external_ref_per_school"),
            models.CheckConstraint(name="pupil_level_valid", condition=Q(level__in=Level.values)),
            models.CheckConstraint(name="pupil_sex_valid", condition=Q(sex__in=["", *Sex.values])),
            models.CheckConstraint(
                name="pupil_birth_date_not_too_early",
                condition=Q(birth_date__isnull=True) | Q(birth_date__gte=EARLIEST_DATE),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}.{self.last_name[:1]}.".upper()

    @property
    def pseudonym_key(self) -> str:
        """A stable key that names a pupil in pseudonymised views without identifying them."""
        digest = hmac.new(settings.SECRET_KEY.encode(), f"pupil:{self.pk}".encode(), hashlib.sha256)
        return "P-" + digest.hexdigest()[:10].upper()


class Guardian(models.Model):
    pupil = models.ForeignKey(Pupil, on_delete=models.CASCADE, related_name="guardians", verbose_name=_("pupil"))
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    language = models.CharField(_("language spoken at home"), max_length=60, blank=True)
    interpreter_needed = models.BooleanField(_("interpreter needed"), default=False)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name
