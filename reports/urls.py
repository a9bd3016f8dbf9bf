from django.urls import path

from . import views
from .exports import views as export_views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("units/<str:code>/", views.unit_detail, name="unit-detail"),
    path("units/<str:code>/charts.json", views.unit_charts, name="unit-charts"),
    path("units/<str:code>/report.xlsx", export_views.progress_report, {"fmt": "xlsx"}, name="unit-report-xlsx"),
    path("units/<str:code>/report.pdf", export_views.progress_report, {"fmt": "pdf"}, name="unit-report-pdf"),
]
