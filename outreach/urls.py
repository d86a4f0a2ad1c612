from django.urls import path

from outreach.views import account, alerts, cases, centre, common, coordination, family_notice, school, security, todo

app_name = "outreach"

urlpatterns = [
    path("", common.home, name="home"),
    path("no-role/", common.no_role, name="no_role"),
    path("todo/", todo.todo_page, name="todo"),
    path("account/", account.account_page, name="account"),
    path("help/", common.help_page, name="help"),
    path("accessibility/", common.accessibility_page, name="accessibility"),
    path("legal/", common.legal_page, name="legal"),
    path("privacy/", common.privacy_page, name="privacy"),
    path("cases/", cases.case_list_page, name="case_list"),
    path("cases/new/", school.flag_page, name="flag"),
    path("cases/import/", school.flag_upload_page, name="flag_upload"),
    path("cases/<uuid:case_id>/", cases.case_page, name="case"),
    path("cases/<uuid:case_id>/print/", cases.case_print_page, name="case_print"),
    path("cases/<uuid:case_id>/family-notice/", family_notice.notice_print_page, name="family_notice_print"),
    path("cases/<uuid:case_id>/edit/", school.flag_edit_page, name="flag_edit"),
    path("cases/<uuid:case_id>/contact-details/", school.contact_details_page, name="contact_details"),
    path("cases/<uuid:case_id>/do/<str:step>/", cases.case_step, name="case_step"),
    path("handover/", centre.handover_page, name="handover"),
    path("triage/", coordination.triage_page, name="triage"),
    path("dashboard/", coordination.dashboard_page, name="dashboard"),
    path("reports/", coordination.reports_page, name="reports"),
    path("reports/funders/", coordination.funders_report_page, name="funders_report"),
    path("access-log/", coordination.access_log_page, name="access_log"),
    path("family-notice/", family_notice.notice_texts_page, name="family_notice_texts"),
    path("family-notice/<str:language>/", family_notice.notice_text_edit_page, name="family_notice_edit"),
    path("alerts/", alerts.alerts_page, name="alerts"),
    path("alerts/<int:alert_id>/review/", alerts.alert_review, name="alert_review"),
    path("account/session/", security.session_status, name="session_status"),
    path("account/mfa/", security.mfa_setup, name="mfa_setup"),
    path("account/mfa/verify/", security.mfa_verify, name="mfa_verify"),
    path("account/integrations/", security.integrations_page, name="integrations"),
]
