from django.urls import path

from crmportal.money import views

urlpatterns = [
    path("money/", views.movement_list, name="money-list-movements"),
    path("money/export.csv", views.movement_export, name="money-export-movements"),
    path("money/new/<int:account_id>/", views.operation_create, name="money-create-operation"),
    path("money/new/<int:account_id>/confirm/", views.operation_confirm,
         name="money-confirm-operation"),
    path("money/requests/", views.request_queue, name="money-list-requests"),
    path("money/reconcile/", views.reconcile_list, name="money-list-unknown"),
    path("money/reconcile/run/", views.reconcile_run, name="money-reconcile-operations"),
    path("money/operations/<str:reference>/", views.operation_detail, name="money-show-operation"),
    path("money/operations/<str:reference>/approve/", views.operation_approve,
         name="money-approve-operation"),
    path("money/operations/<str:reference>/reject/", views.operation_reject,
         name="money-reject-operation"),
]
