from django.contrib.auth import views as auth_views
from django.urls import include, path

from crmportal import views
from crmportal.staff.views import StaffLoginView, change_password

urlpatterns = [
    path("", include("crmportal.dashboard.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("login/", StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/password/", change_password, name="staff-change-password"),
    path("audit/", include("crmportal.audit.urls")),
    path("live/", include("crmportal.live.urls")),
    path("", include("crmportal.trading.urls")),  # before any accounts/ include (statement)
    path("", include("crmportal.staff.urls")),
    path("", include("crmportal.clients.urls")),
    path("", include("crmportal.groups.urls")),
    path("", include("crmportal.accounts.urls")),
    path("", include("crmportal.money.urls")),
]

handler403 = "crmportal.views.permission_denied"
handler404 = "crmportal.views.page_not_found"
handler500 = "crmportal.views.server_error"
