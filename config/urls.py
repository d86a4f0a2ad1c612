from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.security import security_txt
from config.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(".well-known/security.txt", security_txt, name="security-txt"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("outreach.urls")),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
