from django.urls import path

from . import views

app_name = "criteria"

urlpatterns = [
    path("rule-sets/", views.rule_set_list, name="rule-set-list"),
    path("rule-sets/<slug:code>/v<int:version>/", views.rule_set_detail, name="rule-set-detail"),
    path("recompute/", views.recompute_runs, name="recompute-runs"),
    path("recompute/<int:pk>/progress/", views.recompute_run_progress, name="recompute-run-progress"),
]
