from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    # Django 5 logs out on POST only: the header holds a small form, never a link.
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("reports.urls")),
    path("", include("criteria.urls")),
    path("", include("entry.urls")),
    path("", include("communes.urls")),
    path("", include("ocop.urls")),
    path("", include("recognition.urls")),
    path("", include("plans.urls")),
    path("", include("notifications.urls")),
]

handler400 = "ntm_tracker.views.bad_request"
