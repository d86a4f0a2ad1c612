from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.security import security_txt
from config.views import healthz
from outreach.mail import QueuedPasswordResetForm
from outreach.views import security

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(".well-known/security.txt", security_txt, name="security-txt"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", security.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("account/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=QueuedPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("", include("outreach.urls")),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
