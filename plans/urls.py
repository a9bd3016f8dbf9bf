from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("units/<str:code>/targets/", views.targets, name="targets"),
    path("units/<str:code>/responsibility/", views.responsibility, name="responsibility"),
    path("units/<str:code>/capital/", views.capital, name="capital"),
    path("units/<str:code>/projection/", views.projection, name="projection"),
]
