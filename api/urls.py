from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from api import programmes, views
from api.errors import json_not_found

router = SimpleRouter(trailing_slash=True)
router.register("schools", views.SchoolViewSet, basename="school")
router.register("centres", views.CentreViewSet, basename="centre")
router.register("neighbourhoods", views.NeighbourhoodViewSet, basename="neighbourhood")
router.register("cases", views.CaseViewSet, basename="case")
router.register("audit/access", views.AccessLogViewSet, basename="access-log")

app_name = "api"

urlpatterns = [
    path("v1/auth/token/", views.TokenView.as_view(), name="token"),
    path("v1/auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("v1/me/", views.MeView.as_view(), name="me"),
    path("v1/cases/<str:case_id>/contacts/", views.ContactListView.as_view(), name="case-contacts"),
    path("v1/cases/<str:case_id>/contacts/<int:contact_id>/", views.ContactDetailView.as_view(), name="case-contact"),
    path("v1/cases/<str:case_id>/tutoring/", views.TutoringListView.as_view(), name="case-tutoring"),
    path("v1/cases/<str:case_id>/supports/", views.SupportListView.as_view(), name="case-supports"),
    path("v1/cases/<str:case_id>/events/", views.EventListView.as_view(), name="case-events"),
    path("v1/reports/outcomes/", views.OutcomeReportView.as_view(), name="report-outcomes"),
    path("v1/reports/funders/", views.FundersReportView.as_view(), name="report-funders"),
    path("v1/pupils/<int:pupil_id>/export/", views.PupilExportView.as_view(), name="pupil-export"),
    path("v1/groups/", programmes.GroupListView.as_view(), name="groups"),
    path("v1/groups/<str:group_id>/", programmes.GroupDetailView.as_view(), name="group"),
    path("v1/groups/<str:group_id>/close/", programmes.GroupCloseView.as_view(), name="group-close"),
    path("v1/groups/<str:group_id>/members/", programmes.GroupMembersView.as_view(), name="group-members"),
    path("v1/groups/<str:group_id>/members/<str:case_id>/", programmes.GroupMemberView.as_view(), name="group-member"),
    path("v1/groups/<str:group_id>/sessions/", programmes.GroupSessionsView.as_view(), name="group-sessions"),
    path("v1/groups/<str:group_id>/plan/", programmes.GroupPlanView.as_view(), name="group-plan"),
    path("v1/sessions/<str:session_id>/", programmes.SessionDetailView.as_view(), name="session"),
    path(
        "v1/sessions/<str:session_id>/attendance/",
        programmes.SessionAttendanceView.as_view(),
        name="session-attendance",
    ),
    path("v1/devices/", programmes.DeviceListView.as_view(), name="devices"),
    path("v1/devices/<str:device_id>/", programmes.DeviceDetailView.as_view(), name="device"),
    path("v1/loans/", programmes.LoanListView.as_view(), name="loans"),
    path("v1/loans/<str:loan_id>/end/", programmes.LoanEndView.as_view(), name="loan-end"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    # Any path at all, even one holding an encoded newline (`.` alone stops at one): JSON, never Django's HTML 404.
    re_path(r"^[\s\S]*$", json_not_found),
]
