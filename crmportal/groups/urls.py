from django.urls import path

from crmportal.groups import views, views_commissions, views_symbols

urlpatterns = [
    path("groups/", views.group_list, name="groups-list-groups"),
    path("groups/<int:group_id>/", views.group_detail, name="groups-show-group"),
    path("groups/<int:group_id>/edit/", views.group_edit, name="groups-edit-group"),
    path("groups/<int:group_id>/commissions/new/", views_commissions.commission_form,
         name="groups-create-commission"),
    path("groups/<int:group_id>/commissions/<int:commission_id>/",
         views_commissions.commission_detail, name="groups-show-commission"),
    path("groups/<int:group_id>/commissions/<int:commission_id>/edit/",
         views_commissions.commission_form, name="groups-edit-commission"),
    path("groups/<int:group_id>/commissions/<int:commission_id>/delete/",
         views_commissions.commission_delete, name="groups-delete-commission"),
    path("groups/<int:group_id>/symbols/", views_symbols.group_symbols,
         name="groups-list-group-symbols"),
    path("groups/<int:group_id>/symbols/bulk/", views_symbols.group_symbols_bulk,
         name="groups-bulk-group-symbols"),
    path("groups/<int:group_id>/symbols/<int:row_id>/", views_symbols.group_symbol_row,
         name="groups-show-group-symbol"),
    path("groups/<int:group_id>/symbols/<int:row_id>/edit/", views_symbols.group_symbol_edit,
         name="groups-edit-group-symbol"),
    path("symbols/", views_symbols.symbol_list, name="symbols-list-symbols"),
    path("symbols/<int:symbol_id>/", views_symbols.symbol_detail, name="symbols-show-symbol"),
]
