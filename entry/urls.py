from django.urls import path

from . import views

urlpatterns = [
    path("entry/", views.entry_index, name="entry-index"),
    path("entry/<str:code>/<str:period>/", views.entry_unit, name="entry-unit"),
    path("entry/<str:code>/<str:period>/submit/", views.entry_submit, name="entry-submit"),
    path("entry/<str:code>/<str:period>/excel/", views.excel_template, name="entry-excel"),
    path("entry/<str:code>/<str:period>/excel/upload/", views.excel_upload, name="entry-excel-upload"),
    path("entry/<str:code>/<str:period>/values/<int:indicator_id>/", views.value_detail, name="entry-value"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence-download"),
    path("evidence/<int:pk>/delete/", views.evidence_delete, name="evidence-delete"),
    path("review/", views.review_queue, name="review-queue"),
    path("review/<str:code>/<str:period>/", views.review_unit, name="review-unit"),
    path("periods/", views.periods, name="entry-periods"),
    path("periods/<str:period>/lock/", views.period_lock, name="entry-period-lock"),
]
