from django.urls import path

from crmportal.trading import views

urlpatterns = [
    path("trading/", views.trading_home, name="trading-show-home"),
    path("trading/positions/", views.position_list, name="trading-list-positions"),
    path("trading/positions/history/", views.position_history,
         name="trading-list-position-history"),
    path("trading/positions/<int:position_id>/", views.position_detail,
         name="trading-show-position"),
    path("trading/orders/", views.order_list, name="trading-list-orders"),
    path("trading/orders/history/", views.order_history, name="trading-list-order-history"),
    path("trading/orders/<int:order_id>/", views.order_detail, name="trading-show-order"),
    path("trading/deals/", views.deal_list, name="trading-list-deals"),
    path("trading/deals/<int:deal_id>/", views.deal_detail, name="trading-show-deal"),
    path("trading/<slug:kind_name>/export.csv", views.list_export, name="trading-export-list"),
    path("accounts/<int:account_id>/statement/", views.account_statement,
         name="trading-show-statement"),
]
