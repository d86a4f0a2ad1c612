"""The API's input serializers, built from the forms that are each step's input validation (outreach/forms.py).

A serializer checks the JSON types strictly (a string is not a number, `"yes"` is not `true`) and describes the body
in the OpenAPI schema; the form then applies the rules, exactly as it does for a web page. Nothing about what a
value may be is written here: lengths, limits and choices are read off the form fields, which read them off the
models.
"""

from functools import cache

from django import forms
from rest_framework import serializers

from api.fields import IdField, StrictBooleanField, StrictCharField, StrictIntegerField
from outreach.forms import GuardianForm, GuardiansField, LocalDateTimeField, SupportsField
from outreach.models import SUPPORT_KINDS_OFFERED, Support
from schools.validators import MAX_GUARDIANS


class ContactSupportInputSerializer(serializers.Serializer):
    """One support given during a contact, as the API takes it (the web ticks kinds and types one detail)."""

    kind = serializers.ChoiceField(choices=SUPPORT_KINDS_OFFERED)
    detail = StrictCharField(
        required=False, allow_blank=True, default="", max_length=Support._meta.get_field("detail").max_length
    )


def _choices(field: forms.ChoiceField) -> list:
    # With their labels: the schema then names these choice sets as it names the models' (ENUM_NAME_OVERRIDES),
    # not with a hash and a warning that fails `check --deploy --fail-level WARNING`.
    return [(value, label) for value, label in field.choices if value != ""]


NO_DEFAULT = object()


def api_field(field: forms.Field, *, partial: bool = False, default=NO_DEFAULT) -> serializers.Field:
    """The strict JSON counterpart of one form field; with a default, a client may leave it out."""
    required = field.required and not partial and default is NO_DEFAULT
    optional: dict = {} if required else {"required": False}
    if default is not NO_DEFAULT:
        optional["default"] = default
    if isinstance(field, SupportsField):
        return ContactSupportInputSerializer(many=True, **optional)
    if isinstance(field, GuardiansField):
        return serializers.ListField(
            child=input_serializer(GuardianForm)(),
            min_length=1 if field.required else 0,
            max_length=MAX_GUARDIANS,
            **optional,
        )
    if isinstance(field, forms.ModelMultipleChoiceField):
        return serializers.ListField(child=IdField(), **optional)
    if isinstance(field, forms.MultipleChoiceField):
        return serializers.ListField(
            child=serializers.ChoiceField(choices=_choices(field)), min_length=1 if field.required else 0, **optional
        )
    if isinstance(field, forms.ModelChoiceField):
        return IdField(**optional)
    if isinstance(field, forms.ChoiceField):
        return serializers.ChoiceField(choices=_choices(field), allow_blank=not field.required, **optional)
    if isinstance(field, forms.BooleanField):
        return StrictBooleanField(**({"required": False} | optional))
    if isinstance(field, forms.IntegerField):
        return StrictIntegerField(
            min_value=field.min_value, max_value=field.max_value, allow_null=not field.required, **optional
        )
    if isinstance(field, LocalDateTimeField | forms.DateTimeField):
        return serializers.DateTimeField(**optional)
    if isinstance(field, forms.DateField):
        return serializers.DateField(allow_null=not field.required, **optional)
    if isinstance(field, forms.CharField):
        return StrictCharField(
            max_length=field.max_length,
            allow_blank=not field.required,
            trim_whitespace=False,
            **optional,
        )
    raise TypeError(f"No API field for {type(field).__name__}")


@cache
def input_serializer(form_class: type[forms.Form], *, partial: bool = False) -> type[serializers.Serializer]:
    """The serializer of a form's JSON body (every field optional for a partial update)."""
    web_only = getattr(form_class, "web_only", ())
    defaults = {} if partial else getattr(form_class, "api_defaults", {})
    fields = {
        name: api_field(field, partial=partial, default=defaults.get(name, NO_DEFAULT))
        for name, field in form_class.base_fields.items()
        if name not in web_only
    }
    name = form_class.__name__.removesuffix("Form") + ("Patch" if partial else "Input")
    return type(name, (serializers.Serializer,), fields)


def form_data(validated: dict) -> dict:
    """A validated JSON body as a form's data: None is "not given", as an empty field on a web page."""
    return {name: value for name, value in validated.items() if value is not None}
