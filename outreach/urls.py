from django.urls import path

from outreach.views import cases, centre, common, coordination, family_requests, school, todo

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
    path("cases/<uuid:case_id>/pupil-export/", cases.pupil_export_page, name="pupil_export"),
    path("cases/<uuid:case_id>/edit/", school.flag_edit_page, name="flag_edit"),
    path("cases/<uuid:case_id>/contact-details/", school.contact_details_page, name="contact_details"),
    path("cases/<uuid:case_id>/do/<str:step>/", cases.case_step, name="case_step"),
    path("handover/", centre.handover_page, name="handover"),
    path("triage/", coordination.triage_page, name="triage"),
    path("dashboard/", coordination.dashboard_page, name="dashboard"),
    path("reports/", coordination.reports_page, name="reports"),
    path("reports/funders/", coordination.funders_report_page, name="funders_report"),
    path("family-requests/", family_requests.family_request_list, name="family_requests"),
    path("family-requests/<int:request_id>/", family_requests.family_request_page, name="family_request"),
    path("cases/<uuid:case_id>/family-request/", family_requests.family_request_new, name="family_request_new"),
    path("access-log/", coordination.access_log_page, name="access_log"),
]
