"""Thin views: the gate, the step's form (through a serializer that checks JSON types), the service, the redaction.

Every case step of outreach/steps.py is served from the registry: `POST /cases/{id}/<step>/` for the steps that
change the case, `POST /cases/{id}/contacts/` (and `tutoring/`, `supports/`) for those that add a record to it.
"""

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
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet, ReadOnlyModelViewSet

from api import serializers as s
from api.auth import LoginThrottle
from api.errors import error_body, flatten_errors
from api.inputs import form_data, input_serializer
from api.pagination import StrictCursorPagination
from api.schema import ETAG, IF_MATCH, errors
from outreach import services
from outreach.access import (
    AccessScope,
    case_for,
    centre_for,
    funders_cases,
    reload_request_scope,
    request_scope,
    require_global,
    require_somewhere,
    school_to_flag_for,
)
from outreach.audit import access_log_write, record_list_read, record_read
from outreach.exports import CSV_FORMATS, csv_format_named, csv_stream
from outreach.filters import CASE_ORDERINGS, AccessLogFilter, CaseFilter
from outreach.forms import ContactForm, StepForm
from outreach.lockout import lockout_retry_at
from outreach.mfa import has_device, mfa_required, otp_check
from outreach.models import AccessAction, AccessLog, Case, Centre, Neighbourhood, Outcome
from outreach.programme_reports import calendar_year, school_year
from outreach.pupil_export import pupil_export
from outreach.redaction import disclosure
from outreach.reports import GROUPINGS, funders_report, outcome_report
from outreach.selectors import case_list
from outreach.steps import ANY_STATUS, STEPS, Step
from schools.domain_errors import ActionForbidden, InvalidInput, NotFound
from schools.models import School
from schools.permissions import Action

MAX_BULK = 500
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def validated(serializer_class, data, **kwargs):
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def if_match_of(request) -> list[str] | None:
    """The versions the client says it read (`If-Match`), or None to apply the write whatever the version."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    return [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",")]


def form_errors(form) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if name == "__all__" else name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }


def bound_step_form(step: Step, case: Case, data: dict) -> StepForm:
    form = step.form(form_data(data), case=case, now=timezone.now())
    if not form.is_valid():
        raise InvalidInput(fields=form_errors(form))
    return form


def with_etag(response: Response, case: Case) -> Response:
    response["ETag"] = f'"{case.version}"'
    return response


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
            400: OpenApiResponse(
                s.ErrorSerializer,
                description=(
                    "Invalid input, or wrong username or password, or (for an account with a second factor) "
                    "`otp` missing or wrong: a field error on `otp`."
                ),
            ),
            403: OpenApiResponse(
                s.ErrorSerializer,
                description=(
                    "Locked after too many failures (an account from one address, or one address), or "
                    "`mfa_enrolment_required`: the account must set up its second factor on the website first."
                ),
            ),
        },
    )
    def post(self, request):
        data = validated(s.TokenRequestSerializer, request.data)
        user = authenticate(request=request, username=data["username"], password=data["password"])
        if getattr(request, "axes_locked_out", False):
            retry = timezone.localtime(lockout_retry_at(request, {"username": data["username"]}))
            return Response(
                error_body(
                    "locked",
                    _("Too many failed attempts: logging in is blocked until %(time)s.")
                    % {"time": retry.strftime("%H:%M")},
                ),
                status=status.HTTP_403_FORBIDDEN,
            )
        if user is None or not user.is_active:
            return Response(error_body("invalid_credentials", _("Wrong username or password.")), status=400)
        if has_device(user):
            otp_check(user=user, token=data.get("otp"))
        elif mfa_required(user):
            message = _("Your account needs a second factor: log in on the website once to set it up.")
            return Response(error_body("mfa_enrolment_required", message), status=status.HTTP_403_FORBIDDEN)
        # Requests check their own token only (api/auth.py): the user's expired tokens go here.
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
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
        roles = request_scope(request).roles()
        schools = {
            pk: (name, uai)
            for pk, name, uai in School.objects.filter(pk__in=[r[2] for r in roles if r[1] == "school"]).values_list(
                "pk", "name", "uai"
            )
        }
        centres = dict(
            Centre.objects.filter(pk__in=[r[2] for r in roles if r[1] == "centre"]).values_list("pk", "name")
        )

        def organisation(kind: str | None, org_id: int | None) -> dict:
            if kind == "school" and org_id in schools:
                return {"organisation_name": schools[org_id][0], "uai": schools[org_id][1]}
            return {"organisation_name": centres.get(org_id) if kind == "centre" else None, "uai": None}

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
                            **organisation(kind, org_id),
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
        scope = request_scope(request)
        centre = centre_for(scope, pk, Action.ASSIGN)
        data = validated(s.HandoverSerializer, request.data)
        users = get_user_model().objects.in_bulk([data["from_user"], data["to_user"]])
        missing = {key: [_("Unknown user.")] for key in ("from_user", "to_user") if data[key] not in users}
        if missing:
            raise InvalidInput(fields=missing)
        moved = services.caseload_handover(
            actor=request.user,
            scope=scope,
            centre=centre,
            from_user=users[data["from_user"]],
            to_user=users[data["to_user"]],
        )
        return Response({"moved": moved})


class NeighbourhoodViewSet(ReadOnlyModelViewSet):
    queryset = Neighbourhood.objects.prefetch_related("postcodes").order_by("name")
    serializer_class = s.NeighbourhoodSerializer
    pagination_class = ReferencePagination


class CasePagination(StrictCursorPagination):
    ordering = "-flagged_at"
    page_size = 50


CASE_READ = errors(403)


class CaseViewSet(GenericViewSet):
    # Only for the schema, which reads the `{id}` type (a UUID) from the model: get_queryset scopes every request.
    queryset = Case.objects.none()
    serializer_class = s.CaseSerializer
    pagination_class = CasePagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = CASE_ORDERINGS

    def get_queryset(self):
        return case_list(request_scope(self.request))

    def _respond(self, case_id, *, status_code=status.HTTP_200_OK) -> Response:
        """The case after a write, read again with everything a case shows."""
        case = case_list(request_scope(self.request)).filter(pk=case_id).first()
        if case is None:
            # The step took the case out of the caller's sight (a centre declining it): done, nothing to show.
            return Response(status=status.HTTP_204_NO_CONTENT)
        return self._case_response(case, status_code=status_code)

    def _case_response(self, case: Case, *, status_code=status.HTTP_200_OK) -> Response:
        body = s.case_representation(request_scope(self.request), case)
        return with_etag(Response(body, status=status_code), case)

    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        record_list_read(
            user=request.user,
            what="api_case_list",
            case_ids=[case.pk for case in page],
            search=request.query_params.get("q", ""),
        )
        scope = request_scope(request)
        return self.get_paginated_response([s.case_representation(scope, case) for case in page])

    @extend_schema(responses={200: s.CaseSerializer, **CASE_READ}, parameters=[ETAG])
    def retrieve(self, request, pk=None):
        scope = request_scope(request)
        case = case_for(scope, pk, within=case_list(scope))
        record_read(user=request.user, case=case, action=AccessAction.READ_CASE)
        return self._case_response(case)

    def _flag(self, data) -> tuple[Case, bool]:
        scope = request_scope(self.request)
        return services.case_flag(
            actor=self.request.user,
            scope=scope,
            school=school_to_flag_for(scope, data.get("school")),
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
        scope = request_scope(request)
        results: list[dict] = [{} for _item in items]
        # One serializer checks every item (building one per item costs more than the flag).
        checker = s.FlagSerializer()
        by_school: dict[str | None, list[tuple[int, dict]]] = {}
        for index, item in enumerate(items):
            try:
                data = checker.run_validation(item)
            except ValidationError as error:
                results[index] = {"index": index, "result": "error", "error": _bulk_error(error)}
                continue
            by_school.setdefault(data.get("school"), []).append((index, data))
        for uai, group in by_school.items():
            try:
                outcomes = services.cases_flag(
                    actor=request.user,
                    scope=scope,
                    school=school_to_flag_for(scope, uai),
                    items=[data for _index, data in group],
                )
            except (InvalidInput, ActionForbidden) as error:
                for index, _data in group:
                    results[index] = {"index": index, "result": "error", "error": _bulk_error(error)}
                continue
            for (index, _data), outcome in zip(group, outcomes, strict=True):
                if outcome.case is None:
                    error_result = _bulk_error(InvalidInput(fields=outcome.errors))
                    results[index] = {"index": index, "result": "error", "error": error_result}
                else:
                    result = "created" if outcome.created else "existing"
                    results[index] = {"index": index, "result": result, "case_id": outcome.case.pk}
        # The cases flagged, read back in one page-like query with everything a case shows.
        flagged = [result["case_id"] for result in results if "case_id" in result]
        cases = {case.pk: case for case in case_list(scope).filter(pk__in=flagged)}
        for result in results:
            if "case_id" in result:
                result["case"] = s.case_representation(scope, cases[result.pop("case_id")])
        return Response(results)

    @extend_schema(
        request=s.FlagUpdateSerializer,
        responses={200: OpenApiResponse(s.CaseSerializer), **errors(409, 412)},
        parameters=[IF_MATCH, ETAG],
    )
    def partial_update(self, request, pk=None):
        step = STEPS["edit_flag"]
        scope = request_scope(request)
        case = case_for(scope, pk, step.action)
        changes = validated(s.FlagUpdateSerializer, request.data)
        current = step.form(case=case, now=timezone.now()).initial
        form = bound_step_form(step, case, {**current, **changes})
        step.run(form, actor=request.user, scope=scope, if_match=if_match_of(request))
        return self._respond(case.pk)

    def run_case_step(self, request, pk, step: Step) -> Response:
        scope = request_scope(request)
        case = case_for(scope, pk, step.action)
        form = bound_step_form(step, case, validated(input_serializer(step.form), request.data))
        step.run(form, actor=request.user, scope=scope, if_match=if_match_of(request))
        if step.changes_grants:
            reload_request_scope(request)
        return self._respond(case.pk)


def _case_step_action(step: Step):
    """`POST /cases/{id}/<step>/`, documented from the step: its body, the case back, 409 and 412 where they apply."""

    def run(self, request, pk=None):
        return self.run_case_step(request, pk, step)

    run.__name__ = step.name
    run.__doc__ = str(step.title)
    responses = {200: OpenApiResponse(s.CaseSerializer), **errors(412)}
    if set(step.allowed_from) != set(ANY_STATUS):
        responses.update(errors(409))
    if step.hides_case:
        responses[204] = OpenApiResponse(description="Done; the case has left the caller's sight.")
    body = input_serializer(step.form) if step.form.base_fields else None
    routed = action(detail=True, methods=["post"], url_path=step.api_path, url_name=step.api_path)(run)
    return extend_schema(request=body, responses=responses, parameters=[IF_MATCH, ETAG])(routed)


for _step in STEPS.values():
    if _step.creates is None and not _step.edits_case:
        setattr(CaseViewSet, _step.name, _case_step_action(_step))


def _bulk_error(error) -> dict:
    if isinstance(error, ValidationError):
        return error_body("invalid", _("Some fields are invalid."), flatten_errors(error.detail))
    return error_body(error.code, error.message, error.fields)


CASE_ID = OpenApiParameter("case_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


@extend_schema(parameters=[CASE_ID])
class CaseRecordsView(APIView):
    """A collection of records of one case (contacts, tutoring sessions, supports): the gate first, then what the
    caller may see of each record; a POST is the step that adds one."""

    step: Step
    serializer: type
    read_action: AccessAction

    def records(self, case: Case):
        raise NotImplementedError

    def context(self, scope: AccessScope, case: Case) -> dict:
        return {"disclosure": disclosure(scope, case), "now": timezone.now()}

    def get(self, request, case_id):
        scope = request_scope(request)
        case = case_for(scope, case_id)
        record_read(user=request.user, case=case, action=self.read_action)
        return Response(self.serializer(self.records(case), many=True, context=self.context(scope, case)).data)

    def post(self, request, case_id):
        scope = request_scope(request)
        case = case_for(scope, case_id, self.step.action)
        form = bound_step_form(self.step, case, validated(input_serializer(self.step.form), request.data))
        record = self.step.run(form, actor=request.user, scope=scope, if_match=if_match_of(request))
        fresh = self.records(case).get(pk=record.pk)
        return Response(self.serializer(fresh, context=self.context(scope, case)).data, status=201)


def _records_schema(view: type[CaseRecordsView]) -> type[CaseRecordsView]:
    """Each collection's own methods, so that each is documented with its own records and body."""

    def get(self, request, case_id):
        return CaseRecordsView.get(self, request, case_id)

    def post(self, request, case_id):
        return CaseRecordsView.post(self, request, case_id)

    view.get = extend_schema(responses={200: view.serializer(many=True), **CASE_READ})(get)
    view.post = extend_schema(
        request=input_serializer(view.step.form), responses={201: view.serializer, **errors(409, 412)}
    )(post)
    return view


@_records_schema
class ContactListView(CaseRecordsView):
    step = STEPS["log_contact"]
    serializer = s.ContactSerializer
    read_action = AccessAction.READ_CONTACTS

    def records(self, case):
        return case.contacts.select_related("author").prefetch_related("supports").order_by("-occurred_at", "-pk")


@_records_schema
class TutoringListView(CaseRecordsView):
    step = STEPS["log_tutoring"]
    serializer = s.TutoringSerializer
    read_action = AccessAction.READ_TUTORING

    def records(self, case):
        return case.tutoring_sessions.select_related("author").order_by("-on", "-pk")


@_records_schema
class SupportListView(CaseRecordsView):
    step = STEPS["record_support"]
    serializer = s.CaseSupportSerializer
    read_action = AccessAction.READ_SUPPORTS

    def records(self, case):
        return case.supports.order_by("-provided_on", "-pk")


@extend_schema(parameters=[CASE_ID])
class ContactDetailView(APIView):
    @extend_schema(
        request=input_serializer(ContactForm, partial=True),
        responses={
            200: s.ContactSerializer,
            409: OpenApiResponse(s.ErrorSerializer, description="Past the correction window: log a new contact."),
        },
    )
    def patch(self, request, case_id, contact_id):
        scope = request_scope(request)
        case = case_for(scope, case_id, Action.LOG_CONTACT)
        contact = case.contacts.filter(pk=contact_id).first()
        if contact is None:
            raise NotFound()
        changes = validated(input_serializer(ContactForm, partial=True), request.data)
        changes.pop("supports", None)
        contact = services.contact_correct(actor=request.user, scope=scope, contact=contact, changes=dict(changes))
        fresh = ContactListView().records(case).get(pk=contact.pk)
        return Response(
            s.ContactSerializer(fresh, context={"disclosure": disclosure(scope, case), "now": timezone.now()}).data
        )


@extend_schema(parameters=[CASE_ID])
class EventListView(APIView):
    @extend_schema(responses={200: s.EventSerializer(many=True), **CASE_READ})
    def get(self, request, case_id):
        scope = request_scope(request)
        case = case_for(scope, case_id)
        record_read(user=request.user, case=case, action=AccessAction.READ_EVENTS)
        events = case.events.select_related("actor").order_by("at", "pk")
        return Response(s.EventSerializer(events, many=True, context={"disclosure": disclosure(scope, case)}).data)


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
            OpenApiParameter(
                "dialect",
                OpenApiTypes.STR,
                enum=list(CSV_FORMATS),
                default="standard",
                description="For the CSV variant: `excel` writes semicolons, a byte order mark and decimal commas.",
            ),
        ],
        responses={
            (200, "application/json"): s.OutcomeReportSerializer,
            (200, "text/csv"): OpenApiTypes.STR,
            **errors(403),
        },
    )
    def get(self, request):
        scope = request_scope(request)
        require_somewhere(scope, Action.VIEW_REPORTS)
        group_by = request.query_params.get("group_by", "centre")
        if group_by not in GROUPINGS:
            raise InvalidInput(
                fields={"group_by": [_("Choose one of: %(values)s.") % {"values": ", ".join(GROUPINGS)}]}
            )
        dialect = request.query_params.get("dialect", "standard")
        if dialect not in CSV_FORMATS:
            raise InvalidInput(
                fields={"dialect": [_("Choose one of: %(values)s.") % {"values": ", ".join(CSV_FORMATS)}]}
            )
        rows = outcome_report(
            scope=scope,
            group_by=group_by,
            closed_from=_parse_date(request, "from"),
            closed_to=_parse_date(request, "to"),
        )
        if _wants_csv(request):
            access_log_write(user=request.user, action=AccessAction.EXPORT, what="outcome_report", detail=group_by)
            columns = ["key", "label", "total", *Outcome.values]
            return csv_stream(
                [[group_by, "label", "total", *Outcome.values], *([row[c] for c in columns] for row in rows)],
                filename=f"radar-outcomes-by-{group_by}.csv",
                csv_format=csv_format_named(dialect),
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
                description="A calendar year, 2000 to 2100. Without `year` or `school_year`: this calendar year.",
            ),
            OpenApiParameter(
                "school_year",
                {"type": "integer", "minimum": 2000, "maximum": 2100},
                description="A school year by the year it starts: 2025 is 1 September 2025 to 31 August 2026.",
            ),
        ],
        responses={200: s.FundersReportSerializer, **errors(403)},
    )
    def get(self, request):
        cases = funders_cases(request_scope(request))
        given = {name: request.query_params[name] for name in ("year", "school_year") if name in request.query_params}
        if len(given) > 1:
            raise InvalidInput(fields={"school_year": [_("Give a calendar year or a school year, not both.")]})
        name, raw = next(iter(given.items()), ("year", str(timezone.localdate().year)))
        if not (raw.isascii() and raw.isdigit()) or not 2000 <= int(raw) <= 2100:
            raise InvalidInput(fields={name: [_("Enter a year such as 2026.")]})
        period = school_year(int(raw)) if name == "school_year" else calendar_year(int(raw))
        return Response(funders_report(cases=cases, period=period))


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
        require_global(request_scope(self.request), Action.VIEW_ACCESS_LOG)
        return AccessLog.objects.select_related("user", "case")

    @extend_schema(responses={200: s.AccessLogSerializer(many=True), **errors(403)})
    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class PupilExportView(APIView):
    @extend_schema(responses={200: s.PupilExportSerializer, **errors(403)})
    def get(self, request, pupil_id):
        response = Response(pupil_export(actor=request.user, scope=request_scope(request), pupil_id=pupil_id))
        response["Cache-Control"] = "no-store"
        return response
