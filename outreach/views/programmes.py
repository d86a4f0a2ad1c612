"""The centre's programmes: tutoring groups, their register (taken on a phone), and the device inventory and loans.

Only the centre's staff see these pages; anyone else gets a 404 (access.require_centre_staff and the gates).
"""

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from outreach import devices, programmes
from outreach.access import (
    case_for,
    cases_visible_to,
    centres_run,
    centres_staffed,
    device_for,
    devices_visible_to,
    group_for,
    groups_visible_to,
    loan_for,
    loans_visible_to,
    may_take_register,
    request_scope,
    require_centre_staff,
    session_for,
)
from outreach.charts import fmt
from outreach.models import Centre, DeviceState, GroupMembership, Presence, Status
from outreach.programme_forms import (
    DeviceForm,
    GroupForm,
    JoinForm,
    LendForm,
    LoanEndForm,
    PlanForm,
    RegisterForm,
    SessionForm,
    joinable_cases,
)
from outreach.redaction import disclosure, pupil_label
from outreach.selectors import centre_staff
from outreach.views.common import pupil_page, show_domain_error
from schools.domain_errors import ActionForbidden, DomainError, InvalidInput, InvalidTransition, NotFound
from schools.permissions import Action


def _back(request, default: str) -> str:
    back_to = request.POST.get("next", "")
    if back_to and url_has_allowed_host_and_scheme(back_to, allowed_hosts={request.get_host()}):
        return back_to
    return default


def _error_message(request, error: DomainError) -> None:
    texts = [message for messages_ in (error.fields or {}).values() for message in messages_]
    messages.error(request, " ".join(texts) or error.message)


# Groups ----------------------------------------------------------------------------------------------------------


def _group_form(scope, data=None) -> GroupForm | None:
    run = Centre.objects.filter(pk__in=centres_run(scope)).order_by("name")
    if not run:
        return None
    staff = {user.pk: user for centre in run for user in centre_staff(centre)}
    return GroupForm(data, centres=list(run), staff=sorted(staff.values(), key=lambda user: user.get_full_name()))


@pupil_page
@require_http_methods(["GET", "POST"])
def group_list_page(request):
    scope = request_scope(request)
    require_centre_staff(scope)
    form = _group_form(scope, request.POST or None)
    if request.method == "POST":
        if form is None:
            raise ActionForbidden()
        if form.is_valid():
            data = form.cleaned_data
            try:
                group = programmes.group_create(
                    actor=request.user,
                    scope=scope,
                    centre=form.centres[data["centre"]],
                    name=data["name"],
                    mode=data["mode"],
                    weekday=data["weekday"],
                    starts_at=data["starts_at"],
                    duration_minutes=data["duration_minutes"],
                    animator_ids=data["animators"],
                )
            except DomainError as error:
                show_domain_error(form, error)
            else:
                messages.success(request, _("Group created."))
                return redirect("outreach:group", group.pk)
    groups = (
        groups_visible_to(scope)
        .select_related("centre")
        .prefetch_related("animators")
        .annotate(member_count=programmes.member_count())
        .order_by("closed_at", "name", "pk")
    )
    context = {"groups": groups, "form": form}
    return render(request, "outreach/group_list.html", context, status=400 if form and form.errors else 200)


@pupil_page
@require_GET
def group_page(request, group_id):
    scope = request_scope(request)
    group = group_for(scope, group_id)
    today = timezone.localdate()
    animators = list(group.animators.all())
    members = []
    memberships = (
        programmes.current_members(group)
        .select_related("case__pupil", "case__school")
        .order_by("case__pupil__last_name", "case__pupil__first_name", "pk")
    )
    for membership in memberships:
        case = membership.case
        members.append(
            {"case": case, "label": pupil_label(disclosure(scope, case), case), "since": membership.joined_on}
        )
    sessions = list(
        group.sessions.annotate(
            present=Count("attendance", filter=Q(attendance__presence=Presence.PRESENT)),
            absent=Count("attendance", filter=Q(attendance__presence=Presence.ABSENT)),
            excused=Count("attendance", filter=Q(attendance__presence=Presence.EXCUSED)),
        ).order_by("-on", "-starts_at")[:40]
    )
    for session in sessions:
        session.rate = programmes.attendance_rate(session.present, session.absent)
    manages = group.centre_id in centres_run(scope)
    open_group = group.closed_at is None
    context = {
        "group": group,
        "animators": animators,
        "members": members,
        "sessions": sessions,
        "today": today,
        "manages": manages,
        "takes_register": may_take_register(scope, group, {user.pk for user in animators}),
        "join_form": JoinForm(choices=joinable_cases(scope, group, cases_visible_to(scope))) if open_group else None,
        "plan_form": PlanForm(today=today) if manages and open_group else None,
        "session_form": SessionForm(group=group, today=today, prefix="session") if open_group else None,
    }
    return render(request, "outreach/group_detail.html", context)


@pupil_page
@require_POST
def group_join(request, group_id):
    scope = request_scope(request)
    group = group_for(scope, group_id)
    case_id = request.POST.get("choice", "")
    back = _back(request, reverse("outreach:group", args=[group.pk]))
    try:
        if not case_id:
            raise InvalidInput(fields={"choice": [_("Choose a pupil.")]})
        case = case_for(scope, case_id, Action.LOG_CONTACT)
        programmes.group_join(actor=request.user, scope=scope, group=group, case=case)
    except InvalidInput as error:
        _error_message(request, error)
    except DomainError as error:
        if isinstance(error, NotFound | ActionForbidden):
            raise
        _error_message(request, error)
    else:
        messages.success(request, _("The pupil joined the group."))
    return redirect(back)


@pupil_page
@require_POST
def case_join_group(request, case_id):
    """From the case page: the group is chosen."""
    scope = request_scope(request)
    case = case_for(scope, case_id, Action.LOG_CONTACT)
    back = reverse("outreach:case", args=[case.pk]) + "#groups"
    try:
        group = group_for(scope, request.POST.get("choice", ""))
        programmes.group_join(actor=request.user, scope=scope, group=group, case=case)
    except NotFound:
        messages.error(request, _("Choose a group."))
    except DomainError as error:
        if isinstance(error, ActionForbidden):
            raise
        _error_message(request, error)
    else:
        messages.success(request, _("The pupil joined the group."))
    return redirect(back)


@pupil_page
@require_POST
def group_leave(request, group_id, case_id):
    scope = request_scope(request)
    group = group_for(scope, group_id)
    case = case_for(scope, case_id, Action.LOG_CONTACT)
    try:
        programmes.group_leave(actor=request.user, scope=scope, group=group, case=case)
    except InvalidTransition as error:
        _error_message(request, error)
    else:
        messages.success(request, _("The pupil left the group."))
    return redirect(_back(request, reverse("outreach:group", args=[group.pk])))


@pupil_page
@require_POST
def group_close(request, group_id):
    scope = request_scope(request)
    group = group_for(scope, group_id, manage=True)
    try:
        programmes.group_close(actor=request.user, scope=scope, group=group)
    except InvalidTransition as error:
        _error_message(request, error)
    else:
        messages.success(request, _("Group closed."))
    return redirect("outreach:group", group.pk)


@pupil_page
@require_POST
def group_plan(request, group_id):
    scope = request_scope(request)
    group = group_for(scope, group_id, manage=True)
    form = PlanForm(request.POST, today=timezone.localdate())
    try:
        if not form.is_valid():
            raise InvalidInput(fields=dict(form.errors))
        planned = programmes.sessions_plan(
            actor=request.user, scope=scope, group=group, until=form.cleaned_data["until"]
        )
    except DomainError as error:
        if isinstance(error, ActionForbidden):
            raise
        _error_message(request, error)
    else:
        messages.success(request, _("Sessions planned: %(count)d.") % {"count": len(planned)})
    return redirect("outreach:group", group.pk)


@pupil_page
@require_POST
def group_add_session(request, group_id):
    scope = request_scope(request)
    group = group_for(scope, group_id)
    form = SessionForm(request.POST, group=group, today=timezone.localdate(), prefix="session")
    try:
        if not form.is_valid():
            raise InvalidInput(fields=dict(form.errors))
        session = programmes.session_add(actor=request.user, scope=scope, group=group, **form.cleaned_data)
    except DomainError as error:
        if isinstance(error, ActionForbidden):
            raise
        _error_message(request, error)
        return redirect("outreach:group", group.pk)
    messages.success(request, _("Session added."))
    return redirect("outreach:register", session.pk)


# The register ----------------------------------------------------------------------------------------------------


@pupil_page
@require_http_methods(["GET", "POST"])
def register_page(request, session_id):
    """The register of one session on one phone screen: every member, present, absent or excused, and a note."""
    scope = request_scope(request)
    session = session_for(scope, session_id, register=request.method == "POST")
    group = session.group
    now = timezone.now()
    lines = {str(line.case_id): line for line in session.attendance.all()}
    if lines:
        cases = [line.case for line in session.attendance.select_related("case__pupil", "case__school")]
    else:
        cases = [m.case for m in programmes.register_members(session).select_related("case__pupil", "case__school")]
    cases.sort(key=lambda case: (case.pupil.last_name, case.pupil.first_name, str(case.pk)))
    members = [(case, pupil_label(disclosure(scope, case), case)) for case in cases]
    until = programmes.correctable_until(session)
    editable = until is None or now <= until
    form = RegisterForm(request.POST or None, members=members, lines=lines)
    if request.method == "POST" and form.is_valid():
        service = programmes.register_correct if lines else programmes.register_take
        try:
            service(actor=request.user, scope=scope, session=session, marks=form.marks(), now=now)
        except DomainError as error:
            show_register_error(form, error)
        else:
            messages.success(request, _("Register saved."))
            return redirect("outreach:group", group.pk)
    animator_ids = set(group.animators.values_list("pk", flat=True))
    context = {
        "session": session,
        "group": group,
        "form": form,
        "taken": bool(lines),
        "editable": editable and session.on <= timezone.localdate(now),
        "may_take": may_take_register(scope, group, animator_ids),
        "correctable_until": until,
        "present": sum(1 for line in lines.values() if line.presence == Presence.PRESENT),
        "absent": sum(1 for line in lines.values() if line.presence == Presence.ABSENT),
        "excused": sum(1 for line in lines.values() if line.presence == Presence.EXCUSED),
    }
    context["rate"] = programmes.attendance_rate(context["present"], context["absent"])
    return render(request, "outreach/register.html", context, status=400 if form.errors else 200)


def show_register_error(form: RegisterForm, error: DomainError) -> None:
    """attendance.<case id>.presence goes next to that pupil's line."""
    if not error.fields:
        form.add_error(None, error.message)
        return
    for key, texts in error.fields.items():
        parts = key.split(".")
        name = f"{parts[2]}_{parts[1]}" if len(parts) == 3 else None
        for text in texts:
            form.add_error(name if name in form.fields else None, text)


# Devices ---------------------------------------------------------------------------------------------------------


def _lend_form(scope, data=None) -> LendForm:
    today = timezone.localdate()
    available = devices_visible_to(scope).filter(state=DeviceState.AVAILABLE).select_related("centre")
    staffed = centres_staffed(scope)
    cases = (
        cases_visible_to(scope)
        .filter(centre_id__in=staffed, status=Status.IN_PROGRESS)
        .select_related("pupil", "school")
        .order_by("pupil__last_name", "pupil__first_name", "pk")
    )
    return LendForm(
        data,
        devices=[(str(device.pk), f"{device} · {device.partner}".strip(" ·")) for device in available],
        cases=[(str(case.pk), pupil_label(disclosure(scope, case), case)) for case in cases],
        today=today,
    )


@pupil_page
@require_http_methods(["GET", "POST"])
def device_list_page(request):
    """The centre's devices: what is out, what is overdue, what is available; adding a device and lending one."""
    scope = request_scope(request)
    require_centre_staff(scope)
    run = list(Centre.objects.filter(pk__in=centres_run(scope)).order_by("name"))
    add_form = DeviceForm(request.POST or None, centres=run, prefix="device") if run else None
    lend_form = _lend_form(scope)
    if request.method == "POST":
        if "device-kind" in request.POST:
            if add_form is None:
                raise ActionForbidden()
            if add_form.is_valid():
                data = add_form.cleaned_data
                try:
                    devices.device_add(
                        actor=request.user,
                        scope=scope,
                        centre=add_form.centres[data["centre"]],
                        kind=data["kind"],
                        reference=data["reference"],
                        partner=data["partner"],
                    )
                except DomainError as error:
                    show_domain_error(add_form, error)
                else:
                    messages.success(request, _("Device added."))
                    return redirect("outreach:devices")
        else:
            lend_form = _lend_form(scope, request.POST)
            if lend_form.is_valid():
                data = lend_form.cleaned_data
                try:
                    devices.device_lend(
                        actor=request.user,
                        scope=scope,
                        device=device_for(scope, data["device"]),
                        case=case_for(scope, data["case"], Action.LOG_CONTACT),
                        lent_on=data["lent_on"],
                        due_on=data["due_on"],
                        condition_out=data["condition_out"],
                        reference_out=data["reference_out"],
                    )
                except DomainError as error:
                    show_domain_error(lend_form, error)
                else:
                    messages.success(request, _("Device lent."))
                    return redirect("outreach:devices")
    today = timezone.localdate()
    visible = devices_visible_to(scope)
    inventory = visible.select_related("centre").prefetch_related(
        Prefetch(
            "loans",
            queryset=loans_visible_to(scope)
            .filter(ended_on__isnull=True)
            .select_related("case__pupil", "case__school"),
            to_attr="open_loans",
        )
    )
    rows = []
    for device in inventory.order_by("centre__name", "kind", "reference"):
        loan = device.open_loans[0] if device.open_loans else None
        rows.append(
            {
                "device": device,
                "loan": loan,
                "borrower": pupil_label(disclosure(scope, loan.case), loan.case) if loan else "",
                "overdue": bool(loan and loan.due_on < today),
                "end_form": _loan_end_form(loan) if loan else None,
            }
        )
    context = {
        "stock": devices.stock(visible, today),
        "rows": rows,
        "add_form": add_form,
        "lend_form": lend_form,
    }
    errors = (add_form is not None and add_form.errors) or lend_form.errors
    return render(request, "outreach/devices.html", context, status=400 if errors else 200)


def _loan_end_form(loan) -> LoanEndForm:
    """One form per loan on a page: ids of their own, the same field names."""
    return LoanEndForm(prefix="end", auto_id=f"id_loan{loan.pk}_%s")


@pupil_page
@require_POST
def loan_end_page(request, loan_id):
    scope = request_scope(request)
    loan = loan_for(scope, loan_id)
    form = LoanEndForm(request.POST, prefix="end")
    back = _back(request, reverse("outreach:devices"))
    try:
        if not form.is_valid():
            raise InvalidInput(fields=dict(form.errors))
        devices.loan_end(actor=request.user, scope=scope, loan=loan, **form.cleaned_data)
    except DomainError as error:
        if isinstance(error, ActionForbidden | NotFound):
            raise
        _error_message(request, error)
    else:
        messages.success(request, _("Loan ended."))
    return redirect(back)


def case_programmes(scope, case) -> dict:
    """What the case page shows of the centre's programmes: the case's groups and loans, for the centre's staff."""
    if case.centre_id is None or case.centre_id not in centres_staffed(scope):
        return {}
    today = timezone.localdate()
    memberships = list(
        GroupMembership.objects.filter(case=case, left_on__isnull=True).select_related("group").order_by("group__name")
    )
    member_of = {membership.group_id for membership in memberships}
    groups = groups_visible_to(scope).filter(centre_id=case.centre_id, closed_at__isnull=True).exclude(pk__in=member_of)
    loans = list(loans_visible_to(scope).filter(case=case).select_related("device"))
    for loan in loans:
        loan.overdue = loan.ended_on is None and loan.due_on < today
        loan.end_form = _loan_end_form(loan)
    return {
        "memberships": memberships,
        "group_join_form": JoinForm(choices=[(str(g.pk), g.name) for g in groups], label=_("Group"))
        if case.status == Status.IN_PROGRESS
        else None,
        "loans": loans,
        "devices_available": devices_visible_to(scope)
        .filter(centre_id=case.centre_id, state=DeviceState.AVAILABLE)
        .count(),
    }


def _percent(rate) -> str:
    return "—" if rate is None else f"{fmt(rate * 100, 1)} %"


def programme_sections(report: dict) -> list[dict]:
    """The funders' report's sections of the centre's programmes: CLAS groups, devices, the cohort."""
    clas, lent, cohort = report["clas"], report["devices"], report["cohort"]

    def section(key: str, title: str, items) -> dict:
        return {"key": key, "title": title, "items": [(str(label), value) for label, value in items]}

    return [
        section(
            "clas",
            _("Group tutoring (CLAS)"),
            [
                (_("Groups"), clas["groups"]),
                (_("Sessions held"), clas["sessions_held"]),
                (_("Pupils enrolled"), clas["pupils_enrolled"]),
                (_("Hours attended"), fmt(clas["hours_attended"], 1)),
                (
                    _("Hours attended per pupil"),
                    "—" if clas["hours_attended_per_pupil"] is None else fmt(clas["hours_attended_per_pupil"], 1),
                ),
                (_("Attendance rate (present / present and absent)"), _percent(clas["attendance_rate"])),
            ],
        ),
        section(
            "devices",
            _("Device loans"),
            [
                (_("Loans"), lent["loans"]),
                (_("Devices out at the end of the period"), lent["out_at_end"]),
                (_("Devices returned"), lent["returns"]),
                (_("Devices given to families"), lent["given"]),
                (
                    _("Tutoring attendance of pupils with a lent device (%(count)d)")
                    % {"count": lent["pupils_with_device"]},
                    _percent(lent["attendance_with_device"]),
                ),
                (
                    _("Tutoring attendance of pupils without (%(count)d)") % {"count": lent["pupils_without_device"]},
                    _percent(lent["attendance_without_device"]),
                ),
            ],
        ),
        section(
            "cohort",
            _("Chronic absence (10 % of half-days or more), before and after"),
            [
                (_("Pupils flagged in the period with a return confirmed"), cohort["pupils"]),
                (_("Chronically absent when flagged"), _percent(cohort["share_at_flagging"])),
                (_("Chronically absent at the latest return confirmation"), _percent(cohort["share_at_return"])),
            ],
        ),
    ]
