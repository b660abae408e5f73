from django.urls import path

from crmportal.audit import views

urlpatterns = [path("", views.audit_list, name="audit-list-entries")]
