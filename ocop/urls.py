from django.urls import path

from . import views

app_name = "ocop"

urlpatterns = [
    path("ocop/", views.home, name="home"),
    path("ocop/schemes/", views.schemes, name="schemes"),
    path("ocop/units/<str:code>/", views.registry, name="registry"),
    path("ocop/units/<str:code>/export.xlsx", views.export, name="export"),
    path("ocop/units/<str:code>/import/", views.import_file, name="import"),
    path("ocop/units/<str:code>/producers/new/", views.producer_new, name="producer-new"),
    path("ocop/units/<str:code>/products/new/", views.product_new, name="product-new"),
    path("ocop/units/<str:code>/expiring/", views.expiring, name="expiring"),
    path("ocop/products/<int:pk>/", views.product_detail, name="product"),
    path("ocop/products/<int:pk>/evaluations/", views.evaluation_new, name="evaluation-new"),
    path("ocop/products/<int:pk>/certificates/", views.certificate_new, name="certificate-new"),
    path("ocop/products/<int:pk>/certificates/<int:certificate_pk>/revoke/", views.certificate_revoke, name="revoke"),
]
