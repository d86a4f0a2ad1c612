"""The centre's programmes in the API: tutoring groups, their sessions and register, devices and loans (SPEC §5).

Thin doors over outreach/programmes.py and outreach/devices.py: the same gates as the web pages (the centre's staff
only, 404 for anyone else), cursor pagination, filters checked as input (400 with field errors), JSON errors.
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.fields import IdField, StrictCharField, StrictIntegerField
from api.pagination import StrictCursorPagination
from api.schema import errors
from api.serializers import PersonSerializer, present
from outreach import devices, programmes
from outreach.access import (
    case_for,
    centre_for,
    device_for,
    devices_visible_to,
    group_for,
    groups_visible_to,
    loan_for,
    loans_visible_to,
    request_scope,
    require_centre_staff,
    session_for,
)
from outreach.models import DeviceKind, DeviceState, GroupMode, LoanEnd, Presence, TutoringGroup, Weekday
from outreach.redaction import attendance_view, loan_view, member_view, person_name
from schools.domain_errors import InvalidInput
from schools.permissions import Action
from schools.validators import MAX_ID, TUTORING_MINUTES

BOOLEAN_CHOICES = ("true", "false")


def validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def query(serializer_class, request) -> dict:
    """Query-string filters, checked like a body: an unknown value is a 400 naming the parameter."""
    return validated(serializer_class, request.query_params.dict())


def page_of(item: type[serializers.Serializer]) -> serializers.Serializer:
    """The schema of a cursor page of `item`s, as StrictCursorPagination answers it."""
    page = type(
        f"Paginated{item.__name__.removesuffix('Serializer')}List",
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )
    return page()


def paginated(view, request, queryset, pagination, render):
    paginator = pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response([present(render(row)) for row in page])


# Serializers -----------------------------------------------------------------------------------------------------


# Times are returned as "17:00" (Paris time), which OpenAPI's `time` format (RFC 3339, seconds and offset) is not.
CLOCK_TIME = {"pattern": r"^\d{2}:\d{2}$", "help_text": "HH:MM, Paris time."}


class GroupSerializer(serializers.Serializer):
    id = StrictIntegerField()
    centre = StrictIntegerField()
    name = StrictCharField()
    mode = serializers.ChoiceField(choices=GroupMode.choices)
    weekday = serializers.ChoiceField(choices=Weekday.choices, help_text="0 is Monday.")
    starts_at = serializers.RegexField(regex=CLOCK_TIME["pattern"], help_text=CLOCK_TIME["help_text"])
    duration_minutes = StrictIntegerField()
    animators = PersonSerializer(many=True)
    member_count = StrictIntegerField()
    closed_at = serializers.DateTimeField(allow_null=True)


class MemberSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    reference = StrictCharField()
    pupil = StrictCharField(help_text="Name, or initials and key, as the caller may see the pupil.")


class GroupDetailSerializer(GroupSerializer):
    members = MemberSerializer(many=True)


class GroupInputSerializer(serializers.Serializer):
    centre = IdField()
    name = StrictCharField(max_length=120)
    mode = serializers.ChoiceField(choices=GroupMode.choices)
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    starts_at = serializers.TimeField()
    duration_minutes = StrictIntegerField(min_value=TUTORING_MINUTES.low, max_value=TUTORING_MINUTES.high)
    animators = serializers.ListField(child=IdField(), required=False, default=list)


class GroupFilterSerializer(serializers.Serializer):
    centre = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    closed = serializers.ChoiceField(choices=BOOLEAN_CHOICES, required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1)


class MemberInputSerializer(serializers.Serializer):
    case = serializers.UUIDField()


class AttendanceSerializer(MemberSerializer):
    presence = serializers.ChoiceField(choices=Presence.choices)
    attended = serializers.BooleanField(help_text="True when present.")
    note = StrictCharField(required=False, help_text="Only with access to notes.")


class SessionSerializer(serializers.Serializer):
    id = StrictIntegerField()
    group = StrictIntegerField()
    on = serializers.DateField()
    starts_at = serializers.RegexField(regex=CLOCK_TIME["pattern"], help_text=CLOCK_TIME["help_text"])
    duration_minutes = StrictIntegerField()
    planned = serializers.BooleanField()
    subjects = StrictCharField()
    register_taken_at = serializers.DateTimeField(allow_null=True)
    correctable_until = serializers.DateTimeField(allow_null=True)
    attendance_rate = serializers.FloatField(allow_null=True, help_text="present / (present + absent)")


class SessionDetailSerializer(SessionSerializer):
    attendance = AttendanceSerializer(many=True)


class SessionInputSerializer(serializers.Serializer):
    on = serializers.DateField()
    starts_at = serializers.TimeField()
    duration_minutes = StrictIntegerField(min_value=TUTORING_MINUTES.low, max_value=TUTORING_MINUTES.high)
    subjects = StrictCharField(required=False, default="", allow_blank=True, max_length=200)


class PlanInputSerializer(serializers.Serializer):
    until = serializers.DateField()


class SessionFilterSerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1)


class MarkSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    presence = serializers.ChoiceField(choices=Presence.choices)
    note = StrictCharField(required=False, default="", allow_blank=True)


class RegisterInputSerializer(serializers.Serializer):
    attendance = MarkSerializer(many=True, help_text="One line per member, none left out: there is no default.")


class DeviceSerializer(serializers.Serializer):
    id = StrictIntegerField()
    centre = StrictIntegerField()
    kind = serializers.ChoiceField(choices=DeviceKind.choices)
    reference = StrictCharField()
    partner = StrictCharField()
    state = serializers.ChoiceField(choices=DeviceState.choices)


class DeviceInputSerializer(serializers.Serializer):
    centre = IdField()
    kind = serializers.ChoiceField(choices=DeviceKind.choices)
    reference = StrictCharField(max_length=60)
    partner = StrictCharField(required=False, default="", allow_blank=True, max_length=120)


class DeviceFilterSerializer(serializers.Serializer):
    centre = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    state = serializers.ChoiceField(choices=DeviceState.choices, required=False)
    kind = serializers.ChoiceField(choices=DeviceKind.choices, required=False)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1)


class LoanSerializer(MemberSerializer):
    id = StrictIntegerField()
    device = StrictIntegerField()
    lent_on = serializers.DateField()
    due_on = serializers.DateField()
    condition_out = StrictCharField(required=False, help_text="Only with access to notes.")
    condition_back = StrictCharField(required=False, help_text="Only with access to notes.")
    reference_out = StrictCharField()
    ended_on = serializers.DateField(allow_null=True)
    end = serializers.ChoiceField(choices=LoanEnd.choices, allow_null=True)


class LoanInputSerializer(serializers.Serializer):
    device = IdField()
    case = serializers.UUIDField()
    lent_on = serializers.DateField()
    due_on = serializers.DateField()
    condition_out = StrictCharField(max_length=200)
    reference_out = StrictCharField(required=False, default="", allow_blank=True, max_length=60)


class LoanEndInputSerializer(serializers.Serializer):
    end = serializers.ChoiceField(choices=LoanEnd.choices)
    ended_on = serializers.DateField()
    condition_back = StrictCharField(required=False, default="", allow_blank=True, max_length=200)


class LoanFilterSerializer(serializers.Serializer):
    open = serializers.ChoiceField(choices=BOOLEAN_CHOICES, required=False)
    overdue = serializers.ChoiceField(choices=BOOLEAN_CHOICES, required=False)
    case = serializers.UUIDField(required=False)
    device = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    cursor = serializers.CharField(required=False)
    page_size = serializers.IntegerField(required=False, min_value=1)


# Renderings ------------------------------------------------------------------------------------------------------


def group_data(group: TutoringGroup) -> dict:
    return {
        "id": group.pk,
        "centre": group.centre_id,
        "name": group.name,
        "mode": group.mode,
        "weekday": group.weekday,
        "starts_at": group.starts_at.isoformat("minutes"),
        "duration_minutes": group.duration_minutes,
        "animators": [{"id": user.pk, "name": person_name(user)} for user in group.animators.all()],
        "member_count": getattr(group, "member_count", None) or programmes.current_members(group).count(),
        "closed_at": group.closed_at,
    }


def session_data(session, lines=None) -> dict:
    lines = list(session.attendance.all()) if lines is None else lines
    present_count = sum(1 for line in lines if line.presence == Presence.PRESENT)
    absent_count = sum(1 for line in lines if line.presence == Presence.ABSENT)
    return {
        "id": session.pk,
        "group": session.group_id,
        "on": session.on,
        "starts_at": session.starts_at.isoformat("minutes"),
        "duration_minutes": session.duration_minutes,
        "planned": session.planned,
        "subjects": session.subjects,
        "register_taken_at": session.register_taken_at,
        "correctable_until": programmes.correctable_until(session),
        "attendance_rate": programmes.attendance_rate(present_count, absent_count),
    }


def device_data(device) -> dict:
    return {
        "id": device.pk,
        "centre": device.centre_id,
        "kind": device.kind,
        "reference": device.reference,
        "partner": device.partner,
        "state": device.state,
    }


class GroupPagination(StrictCursorPagination):
    ordering = ("name", "id")
    page_size = 50


class SessionPagination(StrictCursorPagination):
    ordering = ("-on", "-id")
    page_size = 50


class DevicePagination(StrictCursorPagination):
    ordering = ("reference", "id")
    page_size = 100


class LoanPagination(StrictCursorPagination):
    ordering = ("-lent_on", "-id")
    page_size = 100


NOT_STAFF = errors(404)


def _bool(value: str | None) -> bool | None:
    return None if value is None else value == "true"


# Groups ----------------------------------------------------------------------------------------------------------


class GroupListView(APIView):
    @extend_schema(
        parameters=[GroupFilterSerializer],
        responses={200: page_of(GroupSerializer), **NOT_STAFF},
        operation_id="v1_groups_list",
    )
    def get(self, request):
        scope = request_scope(request)
        require_centre_staff(scope)
        filters = query(GroupFilterSerializer, request)
        groups = groups_visible_to(scope).prefetch_related("animators")
        groups = groups.annotate(member_count=programmes.member_count())
        if "centre" in filters:
            groups = groups.filter(centre_id=filters["centre"])
        if (closed := _bool(filters.get("closed"))) is not None:
            groups = groups.filter(closed_at__isnull=not closed)
        return paginated(self, request, groups, GroupPagination, group_data)

    @extend_schema(request=GroupInputSerializer, responses={201: GroupSerializer, **errors(403, 404)})
    def post(self, request):
        scope = request_scope(request)
        require_centre_staff(scope)
        data = validated(GroupInputSerializer, request.data)
        centre = centre_for(scope, data["centre"], Action.ASSIGN)
        group = programmes.group_create(
            actor=request.user,
            scope=scope,
            centre=centre,
            name=data["name"],
            mode=data["mode"],
            weekday=data["weekday"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_minutes"],
            animator_ids=data["animators"],
        )
        return Response(present(group_data(group)), status=201)


def group_detail(scope, group) -> dict:
    members = (
        programmes.current_members(group).select_related("case__pupil", "case__school").order_by("joined_on", "pk")
    )
    return present({**group_data(group), "members": [member_view(scope, m.case) for m in members]})


GROUP_ID = OpenApiParameter("group_id", int, OpenApiParameter.PATH)


@extend_schema(parameters=[GROUP_ID])
class GroupDetailView(APIView):
    @extend_schema(responses={200: GroupDetailSerializer, **NOT_STAFF})
    def get(self, request, group_id):
        scope = request_scope(request)
        return Response(group_detail(scope, group_for(scope, group_id)))


@extend_schema(parameters=[GROUP_ID])
class GroupCloseView(APIView):
    @extend_schema(request=None, responses={200: GroupDetailSerializer, **errors(403, 404, 409)})
    def post(self, request, group_id):
        scope = request_scope(request)
        group = programmes.group_close(actor=request.user, scope=scope, group=group_for(scope, group_id, manage=True))
        return Response(group_detail(scope, group))


@extend_schema(parameters=[GROUP_ID])
class GroupMembersView(APIView):
    @extend_schema(request=MemberInputSerializer, responses={201: GroupDetailSerializer, **errors(403, 404, 409)})
    def post(self, request, group_id):
        scope = request_scope(request)
        group = group_for(scope, group_id)
        data = validated(MemberInputSerializer, request.data)
        case = case_for(scope, data["case"], Action.LOG_CONTACT)
        programmes.group_join(actor=request.user, scope=scope, group=group, case=case)
        return Response(group_detail(scope, group), status=201)


@extend_schema(parameters=[GROUP_ID, OpenApiParameter("case_id", str, OpenApiParameter.PATH)])
class GroupMemberView(APIView):
    @extend_schema(request=None, responses={204: None, **errors(403, 404, 409)})
    def delete(self, request, group_id, case_id):
        scope = request_scope(request)
        group = group_for(scope, group_id)
        case = case_for(scope, case_id, Action.LOG_CONTACT)
        programmes.group_leave(actor=request.user, scope=scope, group=group, case=case)
        return Response(status=204)


@extend_schema(parameters=[GROUP_ID])
class GroupSessionsView(APIView):
    @extend_schema(
        parameters=[SessionFilterSerializer],
        responses={200: page_of(SessionSerializer), **NOT_STAFF},
        operation_id="v1_groups_sessions_list",
    )
    def get(self, request, group_id):
        scope = request_scope(request)
        group = group_for(scope, group_id)
        query(SessionFilterSerializer, request)
        sessions = group.sessions.prefetch_related("attendance")
        return paginated(self, request, sessions, SessionPagination, session_data)

    @extend_schema(request=SessionInputSerializer, responses={201: SessionSerializer, **errors(403, 404, 409)})
    def post(self, request, group_id):
        """A session outside the schedule; `POST …/plan/` plans those of the schedule."""
        scope = request_scope(request)
        group = group_for(scope, group_id)
        data = validated(SessionInputSerializer, request.data)
        session = programmes.session_add(actor=request.user, scope=scope, group=group, **data)
        return Response(present(session_data(session, [])), status=201)


@extend_schema(parameters=[GROUP_ID])
class GroupPlanView(APIView):
    @extend_schema(request=PlanInputSerializer, responses={201: SessionSerializer(many=True), **errors(403, 404, 409)})
    def post(self, request, group_id):
        scope = request_scope(request)
        group = group_for(scope, group_id, manage=True)
        data = validated(PlanInputSerializer, request.data)
        planned = programmes.sessions_plan(actor=request.user, scope=scope, group=group, until=data["until"])
        return Response([present(session_data(session, [])) for session in planned], status=201)


SESSION_ID = OpenApiParameter("session_id", int, OpenApiParameter.PATH)


def session_detail(scope, session) -> dict:
    lines = list(session.attendance.select_related("case__pupil", "case__school").order_by("case__reference"))
    return present({**session_data(session, lines), "attendance": [attendance_view(scope, line) for line in lines]})


@extend_schema(parameters=[SESSION_ID])
class SessionDetailView(APIView):
    @extend_schema(responses={200: SessionDetailSerializer, **NOT_STAFF})
    def get(self, request, session_id):
        scope = request_scope(request)
        return Response(session_detail(scope, session_for(scope, session_id)))


@extend_schema(parameters=[SESSION_ID])
class SessionAttendanceView(APIView):
    @extend_schema(
        request=RegisterInputSerializer,
        responses={200: SessionDetailSerializer, **errors(403, 404, 409)},
        description="Takes the register, or corrects it within 24 hours of its taking: every member, each "
        "present, absent or excused.",
    )
    def put(self, request, session_id):
        scope = request_scope(request)
        session = session_for(scope, session_id, register=True)
        data = validated(RegisterInputSerializer, request.data)
        marks = {str(line["case"]): programmes.Mark(line["presence"], line["note"]) for line in data["attendance"]}
        if len(marks) != len(data["attendance"]):
            raise InvalidInput(fields={"attendance": [_("Give each pupil once.")]})
        service = programmes.register_correct if session.register_taken_at else programmes.register_take
        service(actor=request.user, scope=scope, session=session, marks=marks)
        session.refresh_from_db()
        return Response(session_detail(scope, session))


# Devices and loans -----------------------------------------------------------------------------------------------


class DeviceListView(APIView):
    @extend_schema(
        parameters=[DeviceFilterSerializer],
        responses={200: page_of(DeviceSerializer), **NOT_STAFF},
        operation_id="v1_devices_list",
    )
    def get(self, request):
        scope = request_scope(request)
        require_centre_staff(scope)
        filters = query(DeviceFilterSerializer, request)
        found = devices_visible_to(scope)
        for name, column in (("centre", "centre_id"), ("state", "state"), ("kind", "kind")):
            if name in filters:
                found = found.filter(**{column: filters[name]})
        return paginated(self, request, found, DevicePagination, device_data)

    @extend_schema(request=DeviceInputSerializer, responses={201: DeviceSerializer, **errors(403, 404)})
    def post(self, request):
        scope = request_scope(request)
        require_centre_staff(scope)
        data = validated(DeviceInputSerializer, request.data)
        centre = centre_for(scope, data["centre"], Action.ASSIGN)
        device = devices.device_add(
            actor=request.user,
            scope=scope,
            centre=centre,
            kind=data["kind"],
            reference=data["reference"],
            partner=data["partner"],
        )
        return Response(present(device_data(device)), status=201)


@extend_schema(parameters=[OpenApiParameter("device_id", int, OpenApiParameter.PATH)])
class DeviceDetailView(APIView):
    @extend_schema(responses={200: DeviceSerializer, **NOT_STAFF})
    def get(self, request, device_id):
        return Response(present(device_data(device_for(request_scope(request), device_id))))


class LoanListView(APIView):
    @extend_schema(
        parameters=[LoanFilterSerializer],
        responses={200: page_of(LoanSerializer), **NOT_STAFF},
        operation_id="v1_loans_list",
    )
    def get(self, request):
        scope = request_scope(request)
        require_centre_staff(scope)
        filters = query(LoanFilterSerializer, request)
        loans = loans_visible_to(scope).select_related("case__pupil", "case__school")
        if (still_open := _bool(filters.get("open"))) is not None:
            loans = loans.filter(ended_on__isnull=still_open)
        if _bool(filters.get("overdue")):
            loans = loans.filter(ended_on__isnull=True, due_on__lt=timezone.localdate())
        if "case" in filters:
            loans = loans.filter(case_id=filters["case"])
        if "device" in filters:
            loans = loans.filter(device_id=filters["device"])
        return paginated(self, request, loans, LoanPagination, lambda loan: loan_view(scope, loan))

    @extend_schema(request=LoanInputSerializer, responses={201: LoanSerializer, **errors(403, 404, 409)})
    def post(self, request):
        scope = request_scope(request)
        require_centre_staff(scope)
        data = validated(LoanInputSerializer, request.data)
        loan = devices.device_lend(
            actor=request.user,
            scope=scope,
            device=device_for(scope, data["device"]),
            case=case_for(scope, data["case"], Action.LOG_CONTACT),
            lent_on=data["lent_on"],
            due_on=data["due_on"],
            condition_out=data["condition_out"],
            reference_out=data["reference_out"],
        )
        return Response(present(loan_view(scope, loan_for(scope, loan.pk))), status=201)


@extend_schema(parameters=[OpenApiParameter("loan_id", int, OpenApiParameter.PATH)])
class LoanEndView(APIView):
    @extend_schema(request=LoanEndInputSerializer, responses={200: LoanSerializer, **errors(403, 404, 409)})
    def post(self, request, loan_id):
        scope = request_scope(request)
        loan = loan_for(scope, loan_id)
        data = validated(LoanEndInputSerializer, request.data)
        devices.loan_end(actor=request.user, scope=scope, loan=loan, **data)
        return Response(present(loan_view(scope, loan_for(scope, loan.pk))))
