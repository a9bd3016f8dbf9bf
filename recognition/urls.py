from django.urls import path

from . import views

app_name = "recognition"

urlpatterns = [
    path("units/<str:code>/recognition/", views.unit_recognition, name="unit"),
    path("units/<str:code>/dossiers/", views.subtree, name="subtree"),
    path("dossiers/<int:pk>/", views.dossier_detail, name="dossier"),
    path("dossiers/<int:pk>/documents/<int:document_pk>/", views.dossier_document, name="document"),
    path("recognitions/<int:pk>/revoke/", views.recognition_revoke, name="revoke"),
]
