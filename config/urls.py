from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from outreach.views import security

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", security.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("outreach.urls")),
]

handler404 = "config.views.not_found"
handler500 = "config.views.server_error"
