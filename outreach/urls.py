from django.urls import path

from outreach.views import cases, centre, common, coordination, programmes, school, todo

app_name = "outreach"

urlpatterns = [
    path("", common.home, name="home"),
    path("no-role/", common.no_role, name="no_role"),
    path("todo/", todo.todo_page, name="todo"),
    path("help/", common.help_page, name="help"),
    path("accessibility/", common.accessibility_page, name="accessibility"),
    path("legal/", common.legal_page, name="legal"),
    path("privacy/", common.privacy_page, name="privacy"),
    path("cases/", cases.case_list_page, name="case_list"),
    path("cases/new/", school.flag_page, name="flag"),
    path("cases/import/", school.flag_upload_page, name="flag_upload"),
    path("cases/<uuid:case_id>/", cases.case_page, name="case"),
    path("cases/<uuid:case_id>/print/", cases.case_print_page, name="case_print"),
    path("cases/<uuid:case_id>/edit/", school.flag_edit_page, name="flag_edit"),
    path("cases/<uuid:case_id>/contact-details/", school.contact_details_page, name="contact_details"),
    path("cases/<uuid:case_id>/do/<str:step>/", cases.case_step, name="case_step"),
    path("cases/<uuid:case_id>/join-group/", programmes.case_join_group, name="case_join_group"),
    path("handover/", centre.handover_page, name="handover"),
    path("groups/", programmes.group_list_page, name="groups"),
    path("groups/<int:group_id>/", programmes.group_page, name="group"),
    path("groups/<int:group_id>/join/", programmes.group_join, name="group_join"),
    path("groups/<int:group_id>/leave/<uuid:case_id>/", programmes.group_leave, name="group_leave"),
    path("groups/<int:group_id>/plan/", programmes.group_plan, name="group_plan"),
    path("groups/<int:group_id>/sessions/", programmes.group_add_session, name="group_add_session"),
    path("groups/<int:group_id>/close/", programmes.group_close, name="group_close"),
    path("sessions/<int:session_id>/", programmes.register_page, name="register"),
    path("devices/", programmes.device_list_page, name="devices"),
    path("loans/<int:loan_id>/end/", programmes.loan_end_page, name="loan_end"),
    path("triage/", coordination.triage_page, name="triage"),
    path("dashboard/", coordination.dashboard_page, name="dashboard"),
    path("reports/", coordination.reports_page, name="reports"),
    path("reports/funders/", coordination.funders_report_page, name="funders_report"),
    path("access-log/", coordination.access_log_page, name="access_log"),
]
