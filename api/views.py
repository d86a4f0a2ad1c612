"""Thin views: check input shape, go through the gate, call a service or a selector, translate back."""

import hashlib
import re
from datetime import date

from django.contrib.auth import authenticate, get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ReadOnlyModelViewSet

from api import serializers as s
from api.errors import PreconditionFailed, error_body, flatten_errors
from api.filters import AccessLogFilter, CaseFilter
from api.pagination import StrictCursorPagination
from api.schema import ETAG, IF_MATCH, errors
from outreach import services
from outreach.audit import record_read
from outreach.exports import csv_stream
from outreach.models import AccessAction, AccessLog, Case, Centre, Contact, Neighbourhood, Outcome
from outreach.pupil_export import pupil_export
from outreach.reports import GROUPINGS, funders_cases, funders_report, outcome_report
from outreach.selectors import access_scope, case_for_user, case_list, school_to_flag_for
from schools.errors import ActionForbidden, InvalidInput, NotFound
from schools.models import School
from schools.permissions import Action

MAX_BULK = 500
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def scope_of(request):
    """The caller's grants, loaded once per request."""
    if not hasattr(request, "radar_scope"):
        request.radar_scope = access_scope(request.user)
    return request.radar_scope


def case_etag(case: Case) -> str:
    digest = hashlib.sha256(f"{case.pk}:{case.updated_at.isoformat()}:{case.status}".encode()).hexdigest()[:32]
    return f'"{digest}"'


def check_if_match(request, case: Case) -> None:
    expected = request.headers.get("If-Match")
    if expected and expected.strip() != "*" and case_etag(case) not in [tag.strip() for tag in expected.split(",")]:
        raise PreconditionFailed()


def validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class LoginThrottle(ScopedRateThrottle):
    scope_attr = "throttle_scope"


class TokenView(APIView):
    """Exchange a username and password for an expiring token."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            200: s.TokenSerializer,
            400: OpenApiResponse(s.ErrorSerializer, description="Invalid input, or wrong username or password."),
            403: OpenApiResponse(s.ErrorSerializer, description="The account is locked after too many failures."),
        },
    )
    def post(self, request):
        data = validated(s.TokenRequestSerializer, request.data)
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            return Response(
                error_body(
                    "locked", _("Too many failed attempts: this account is locked. Contact your administrator.")
                ),
                status=status.HTTP_403_FORBIDDEN,
            )
        if user is None or not user.is_active:
            return Response(error_body("invalid_credentials", _("Wrong username or password.")), status=400)
        instance, token = AuthToken.objects.create(user)
        return Response({"token": token, "expiry": instance.expiry})


class LogoutView(APIView):
    """Revoke the token used for this request."""

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Revoked.")})
    def post(self, request):
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        roles = scope_of(request).roles()
        names = {
            "school": dict(
                School.objects.filter(pk__in=[r[2] for r in roles if r[1] == "school"]).values_list("pk", "name")
            ),
            "centre": dict(
                Centre.objects.filter(pk__in=[r[2] for r in roles if r[1] == "centre"]).values_list("pk", "name")
            ),
        }
        user = request.user
        return Response(
            s.MeSerializer(
                {
                    "id": user.pk,
                    "username": user.get_username(),
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "roles": [
                        {
                            "role": role.value,
                            "organisation_kind": kind,
                            "organisation_id": org_id,
                            "organisation_name": names[kind].get(org_id) if kind else None,
                        }
                        for role, kind, org_id in roles
                    ],
                }
            ).data
        )


class ReferencePagination(StrictCursorPagination):
    ordering = "name"
    page_size = 200


class SchoolViewSet(ReadOnlyModelViewSet):
    queryset = School.objects.order_by("name")
    serializer_class = s.SchoolSerializer
    pagination_class = ReferencePagination


class CentreViewSet(ReadOnlyModelViewSet):
    queryset = Centre.objects.prefetch_related("neighbourhoods").order_by("name")
    serializer_class = s.CentreSerializer
    pagination_class = ReferencePagination

    @extend_schema(request=s.HandoverSerializer, responses={200: s.HandoverResultSerializer})
    @action(detail=True, methods=["post"])
    def handover(self, request, pk=None):
        # Centres are reference data every user can read (GET /centres/{id}/): a missing right is 403, not 404.
        centre = Centre.objects.filter(pk=_int_id(pk)).first()
        if centre is None:
            raise NotFound()
        if not scope_of(request).can_on_centre(Action.ASSIGN, centre.pk):
            raise ActionForbidden()
        data = validated(s.HandoverSerializer, request.data)
        users = get_user_model().objects.in_bulk([data["from_user"], data["to_user"]])
        missing = {key: [_("Unknown user.")] for key in ("from_user", "to_user") if data[key] not in users}
        if missing:
            raise InvalidInput(fields=missing)
        moved = services.caseload_handover(
            actor=request.user, centre=centre, from_user=users[data["from_user"]], to_user=users[data["to_user"]]
        )
        return Response({"moved": moved})


class NeighbourhoodViewSet(ReadOnlyModelViewSet):
    queryset = Neighbourhood.objects.prefetch_related("postcodes").order_by("name")
    serializer_class = s.NeighbourhoodSerializer
    pagination_class = ReferencePagination


def _int_id(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise NotFound() from error


class CasePagination(StrictCursorPagination):
    ordering = "-flagged_at"
    page_size = 50


CASE_ACTIONS = {
    # url name: (permission, input serializer, service, arguments from validated data)
    "route": (Action.ROUTE, s.RouteSerializer),
    "accept": (Action.ACCEPT, None),
    "decline": (Action.ACCEPT, s.DeclineSerializer),
    "assign": (Action.ASSIGN, s.AssignSerializer),
    "close": (Action.CLOSE, s.CloseSerializer),
    "withdraw": (Action.WITHDRAW, s.NoteSerializer),
    "reopen": (Action.REOPEN, s.RequiredNoteSerializer),
    "confirm-return": (Action.CONFIRM_RETURN, s.ReturnSerializer),
    "reveal": (Action.REVEAL, s.RevealSerializer),
    "family-notice": (Action.FAMILY_NOTICE, s.FamilyNoticeSerializer),
}


CASE_READ = errors(403)


def case_action_schema(request, *, gone: bool = False, transition: bool = True):
    """A case action: the case back with its ETag; 409 where the state forbids it; 412 on a stale If-Match."""
    responses = {200: OpenApiResponse(s.CaseSerializer), **errors(*((409, 412) if transition else (412,)))}
    if gone:
        responses[204] = OpenApiResponse(description="Done; the case has left the caller's sight.")
    return extend_schema(request=request, responses=responses, parameters=[IF_MATCH, ETAG])


class CaseViewSet(GenericViewSet):
    # Only for the schema, which reads the `{id}` type (a UUID) from the model: get_queryset scopes every request.
    queryset = Case.objects.none()
    serializer_class = s.CaseSerializer
    pagination_class = CasePagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = ["flagged_at", "updated_at", "status_changed_at"]

    def get_queryset(self):
        return case_list(self.request.user, scope=scope_of(self.request))

    def get_serializer_context(self):
        return super().get_serializer_context() | {"scope": scope_of(self.request)}

    def _case(self, pk, permission: Action) -> Case:
        return case_for_user(self.request.user, pk, permission, scope=scope_of(self.request))

    def _respond(self, case_id, *, status_code=status.HTTP_200_OK, headers=None) -> Response:
        case = case_list(self.request.user, scope=scope_of(self.request)).filter(pk=case_id).first()
        if case is None:
            # The action took the case out of the caller's sight (a centre declining it): done, nothing to show.
            return Response(status=status.HTTP_204_NO_CONTENT)
        response = Response(self.get_serializer(case).data, status=status_code, headers=headers)
        response["ETag"] = case_etag(case)
        return response

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses={200: s.CaseSerializer, **CASE_READ}, parameters=[ETAG])
    def retrieve(self, request, pk=None):
        case = self._case(pk, Action.VIEW_SUMMARY)
        record_read(user=request.user, case=case, action=AccessAction.READ_CASE)
        return self._respond(case.pk)

    def _flag(self, data) -> tuple[Case, bool]:
        school = school_to_flag_for(self.request.user, data.get("school"), scope=scope_of(self.request))
        return services.case_flag(
            actor=self.request.user,
            school=school,
            pupil=data["pupil"],
            reasons=data["reasons"],
            details=data["details"],
            urgency=data["urgency"],
            half_days_missed=data["half_days_missed"],
            last_seen_on=data["last_seen_on"],
        )

    @extend_schema(
        request=s.FlagSerializer,
        responses={
            201: OpenApiResponse(s.CaseSerializer, description="Flagged."),
            200: OpenApiResponse(s.CaseSerializer, description="The pupil's open case, as it is."),
        },
        parameters=[ETAG],
    )
    def create(self, request):
        case, created = self._flag(validated(s.FlagSerializer, request.data))
        return self._respond(case.pk, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        request={
            "application/json": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FlagRequest"},
                "minItems": 1,
                "maxItems": MAX_BULK,
            }
        },
        responses={200: s.BulkResultSerializer(many=True)},
        description=f"Up to {MAX_BULK} flags; one bad item never blocks the others.",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        items = request.data
        if not isinstance(items, list):
            raise ValidationError({"non_field_errors": [_("Send a JSON list of flags.")]})
        if not items or len(items) > MAX_BULK:
            raise ValidationError({"non_field_errors": [_("Send between 1 and %(max)d flags.") % {"max": MAX_BULK}]})
        results = []
        for index, item in enumerate(items):
            serializer = s.FlagSerializer(data=item)
            try:
                if not serializer.is_valid():
                    raise ValidationError(serializer.errors)
                case, created = self._flag(serializer.validated_data)
            except (ValidationError, InvalidInput, ActionForbidden) as error:
                results.append({"index": index, "result": "error", "error": _bulk_error(error)})
                continue
            results.append({"index": index, "result": "created" if created else "existing", "case_id": case.pk})
        cases = {
            case.pk: case
            for case in case_list(request.user, scope=scope_of(request)).filter(
                pk__in=[r["case_id"] for r in results if "case_id" in r]
            )
        }
        for result in results:
            if "case_id" in result:
                result["case"] = self.get_serializer(cases[result.pop("case_id")]).data
        return Response(results)

    @case_action_schema(s.FlagUpdateSerializer)
    def partial_update(self, request, pk=None):
        case = self._case(pk, Action.EDIT_FLAG)
        check_if_match(request, case)
        changes = validated(s.FlagUpdateSerializer, request.data)
        services.case_update_flag(actor=request.user, case=case, changes=dict(changes))
        return self._respond(case.pk)

    def _act(self, request, pk, name: str) -> Response:
        permission, input_serializer = CASE_ACTIONS[name]
        case = self._case(pk, permission)
        check_if_match(request, case)
        data = validated(input_serializer, request.data) if input_serializer else {}
        actor = request.user
        match name:
            case "route":
                centre = Centre.objects.filter(pk=data["centre"]).first()
                if centre is None:
                    raise InvalidInput(fields={"centre": [_("Unknown centre.")]})
                services.case_route(actor=actor, case=case, centre=centre, note=data["note"])
            case "accept":
                services.case_accept(actor=actor, case=case)
            case "decline":
                services.case_decline(actor=actor, case=case, reason=data["reason"])
            case "assign":
                users = get_user_model().objects.in_bulk(data["animators"])
                if len(users) != len(set(data["animators"])):
                    raise InvalidInput(fields={"animators": [_("Unknown user.")]})
                services.case_assign(actor=actor, case=case, animators=list(users.values()))
            case "close":
                services.case_close(actor=actor, case=case, outcome=data["outcome"], note=data["note"])
            case "withdraw":
                services.case_withdraw(actor=actor, case=case, note=data["note"])
            case "reopen":
                services.case_reopen(actor=actor, case=case, note=data["note"])
            case "confirm-return":
                services.return_confirm(actor=actor, case=case, **data)
            case "reveal":
                services.identity_reveal(actor=actor, case=case, reason=data["reason"])
                request.radar_scope = access_scope(actor)
            case "family-notice":
                services.family_notice_record(actor=actor, case=case, on=data["on"], channel=data["channel"])
        return self._respond(case.pk)

    @case_action_schema(s.RouteSerializer)
    @action(detail=True, methods=["post"])
    def route(self, request, pk=None):
        return self._act(request, pk, "route")

    @case_action_schema(None)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._act(request, pk, "accept")

    @case_action_schema(s.DeclineSerializer, gone=True)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._act(request, pk, "decline")

    @case_action_schema(s.AssignSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        return self._act(request, pk, "assign")

    @case_action_schema(s.CloseSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._act(request, pk, "close")

    @case_action_schema(s.NoteSerializer)
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._act(request, pk, "withdraw")

    @case_action_schema(s.RequiredNoteSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        return self._act(request, pk, "reopen")

    @case_action_schema(s.ReturnSerializer, transition=False)
    @action(detail=True, methods=["post"], url_path="confirm-return")
    def confirm_return(self, request, pk=None):
        return self._act(request, pk, "confirm-return")

    @case_action_schema(s.RevealSerializer, transition=False)
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        return self._act(request, pk, "reveal")

    @case_action_schema(s.FamilyNoticeSerializer, transition=False)
    @action(detail=True, methods=["post"], url_path="family-notice")
    def family_notice(self, request, pk=None):
        return self._act(request, pk, "family-notice")


def _bulk_error(error) -> dict:
    if isinstance(error, ValidationError):
        return error_body("invalid", _("Some fields are invalid."), flatten_errors(error.detail))
    return error_body(error.code, error.message, error.fields)


CASE_ID = OpenApiParameter("case_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema(parameters=[CASE_ID])
class CaseChildView(APIView):
    """Base for lists hanging off one case: the gate first, then the case's rows."""

    def case(self, request, case_id, permission: Action = Action.VIEW_SUMMARY) -> Case:
        return case_for_user(request.user, case_id, permission, scope=scope_of(request))

    def notes_visible(self, request, case: Case) -> bool:
        return scope_of(request).can(Action.VIEW_NOTES, case)


class ContactListView(CaseChildView):
    @extend_schema(responses={200: s.ContactSerializer(many=True), **CASE_READ})
    def get(self, request, case_id):
        case = self.case(request, case_id)
        record_read(user=request.user, case=case, action=AccessAction.READ_CONTACTS)
        contacts = case.contacts.select_related("author").prefetch_related("supports").order_by("-occurred_at", "-pk")
        context = {"notes_visible": self.notes_visible(request, case)}
        return Response(s.ContactSerializer(contacts, many=True, context=context).data)

    @extend_schema(request=s.ContactSerializer, responses={201: s.ContactSerializer, **errors(409)})
    def post(self, request, case_id):
        case = self.case(request, case_id, Action.LOG_CONTACT)
        data = validated(s.ContactSerializer, request.data)
        contact = services.contact_log(actor=request.user, case=case, **data)
        contact = Contact.objects.select_related("author").prefetch_related("supports").get(pk=contact.pk)
        return Response(s.ContactSerializer(contact, context={"notes_visible": True}).data, status=201)


class ContactDetailView(CaseChildView):
    @extend_schema(
        request=s.ContactCorrectionSerializer,
        responses={
            200: s.ContactSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="Past the correction window: log a new contact."),
        },
    )
    def patch(self, request, case_id, contact_id):
        case = self.case(request, case_id, Action.LOG_CONTACT)
        contact = case.contacts.filter(pk=_int_id(contact_id)).first()
        if contact is None:
            raise NotFound()
        changes = validated(s.ContactCorrectionSerializer, request.data)
        contact = services.contact_correct(actor=request.user, contact=contact, changes=dict(changes))
        contact = Contact.objects.select_related("author").prefetch_related("supports").get(pk=contact.pk)
        return Response(s.ContactSerializer(contact, context={"notes_visible": True}).data)


class TutoringListView(CaseChildView):
    @extend_schema(responses={200: s.TutoringSerializer(many=True), **CASE_READ})
    def get(self, request, case_id):
        case = self.case(request, case_id)
        record_read(user=request.user, case=case, action=AccessAction.READ_TUTORING)
        sessions = case.tutoring_sessions.select_related("author").order_by("-on", "-pk")
        context = {"notes_visible": self.notes_visible(request, case)}
        return Response(s.TutoringSerializer(sessions, many=True, context=context).data)

    @extend_schema(request=s.TutoringSerializer, responses={201: s.TutoringSerializer, **errors(409)})
    def post(self, request, case_id):
        case = self.case(request, case_id, Action.LOG_CONTACT)
        data = validated(s.TutoringSerializer, request.data)
        session = services.tutoring_log(actor=request.user, case=case, **data)
        return Response(s.TutoringSerializer(session, context={"notes_visible": True}).data, status=201)


class EventListView(CaseChildView):
    @extend_schema(responses={200: s.EventSerializer(many=True), **CASE_READ})
    def get(self, request, case_id):
        case = self.case(request, case_id)
        record_read(user=request.user, case=case, action=AccessAction.READ_EVENTS)
        context = {"notes_visible": self.notes_visible(request, case)}
        return Response(s.EventSerializer(case.events.select_related("actor"), many=True, context=context).data)


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` and `Accept: text/csv` select the CSV variant of a report."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else str(data).encode()


def _parse_date(request, name: str) -> date | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None  # given but empty (`?to=`) is not a date: a 400 below, not a filter silently dropped
    try:
        if not ISO_DATE.fullmatch(raw):  # `fromisoformat` alone also takes `20260101` and `2026-W01-1`
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError as error:
        raise InvalidInput(fields={name: [_("Enter a date as YYYY-MM-DD.")]}) from error


def _wants_csv(request) -> bool:
    return getattr(request.accepted_renderer, "format", "") == "csv"


class OutcomeReportView(APIView):
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Closed on or after."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Closed on or before."),
            OpenApiParameter("group_by", OpenApiTypes.STR, enum=list(GROUPINGS), default="centre"),
        ],
        responses={
            (200, "application/json"): s.OutcomeReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **errors(403),
        },
    )
    def get(self, request):
        scope = scope_of(request)
        if not scope.has_anywhere(Action.VIEW_REPORTS):
            raise ActionForbidden()
        group_by = request.query_params.get("group_by", "centre")
        if group_by not in GROUPINGS:
            raise InvalidInput(
                fields={"group_by": [_("Choose one of: %(values)s.") % {"values": ", ".join(GROUPINGS)}]}
            )
        rows = outcome_report(
            user=request.user,
            scope=scope,
            group_by=group_by,
            closed_from=_parse_date(request, "from"),
            closed_to=_parse_date(request, "to"),
        )
        if _wants_csv(request):
            columns = ["key", "label", "total", *Outcome.values]
            return csv_stream(
                [[group_by, "label", "total", *Outcome.values], *([row[c] for c in columns] for row in rows)],
                filename=f"radar-outcomes-by-{group_by}.csv",
            )
        return Response({"group_by": group_by, "outcomes": Outcome.values, "rows": rows})

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors are JSON even when the CSV variant was asked for (SPEC §5), never a Python repr as text/csv.
        if isinstance(response, Response) and isinstance(getattr(response, "accepted_renderer", None), CSVRenderer):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class FundersReportView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "year",
                {"type": "integer", "minimum": 2000, "maximum": 2100},
                description="2000 to 2100; this year by default.",
            )
        ],
        responses={200: s.FundersReportSerializer, **errors(403)},
    )
    def get(self, request):
        scope = scope_of(request)
        if not scope.has_anywhere(Action.VIEW_FUNDERS_REPORT):
            raise ActionForbidden()
        raw_year = request.query_params.get("year", str(timezone.localdate().year))
        if not (raw_year.isascii() and raw_year.isdigit()) or not 2000 <= int(raw_year) <= 2100:
            raise InvalidInput(fields={"year": [_("Enter a year such as 2026.")]})
        return Response(funders_report(cases=funders_cases(user=request.user, scope=scope), year=int(raw_year)))


class AccessLogPagination(StrictCursorPagination):
    ordering = "-at"
    page_size = 100


class AccessLogViewSet(GenericViewSet):
    serializer_class = s.AccessLogSerializer
    pagination_class = AccessLogPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AccessLogFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema reads the filters' types from the model
            return AccessLog.objects.none()
        if Action.VIEW_ACCESS_LOG not in scope_of(self.request).global_perms:
            raise ActionForbidden()
        return AccessLog.objects.select_related("user", "case")

    @extend_schema(responses={200: s.AccessLogSerializer(many=True), **errors(403)})
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PupilExportView(APIView):
    @extend_schema(responses={200: s.PupilExportSerializer, **errors(403)})
    def get(self, request, pupil_id):
        response = Response(pupil_export(actor=request.user, scope=scope_of(request), pupil_id=_int_id(pupil_id)))
        response["Cache-Control"] = "no-store"
        return response
