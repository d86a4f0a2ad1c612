"""Input fields that take JSON as the schema describes it: DRF alone turns `5` into `"5"`, `"5"` into `5` and
`"yes"` into `true`, so a client that sends the wrong type would never hear about it."""

from rest_framework import serializers

from schools.validators import MAX_ID


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class IdField(StrictIntegerField):
    """A primary key: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)
