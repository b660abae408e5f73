from django.urls import path

from crmportal.live import views

urlpatterns = [
    path("", views.board, name="live-show-board"),
]
