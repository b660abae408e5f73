from django.urls import path

from crmportal.dashboard import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/panels/<slug:name>/", views.panel, name="dashboard-show-panel"),
    path("dashboard/charts/<slug:name>/", views.chart, name="dashboard-show-chart"),
    path("dashboard/charts/<slug:name>.csv", views.chart_csv, name="dashboard-export-chart"),
]
