from django.urls import path

from . import views

app_name = "criteria"

urlpatterns = [
    path("recompute/", views.recompute_runs, name="recompute-runs"),
    path("recompute/<int:pk>/progress/", views.recompute_run_progress, name="recompute-run-progress"),
]
