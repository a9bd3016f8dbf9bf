from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("units/<str:code>/", views.unit_detail, name="unit-detail"),
    path("units/<str:code>/charts.json", views.unit_charts, name="unit-charts"),
]
