from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("units", views.UnitViewSet, basename="api-unit")
router.register("rule-sets", views.RuleSetViewSet, basename="api-rule-set")
router.register("attainment", views.AttainmentViewSet, basename="api-attainment")
router.register("recognitions", views.RecognitionViewSet, basename="api-recognition")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("units/<str:code>/attainment/", views.UnitAttainmentView.as_view(), name="api-unit-attainment"),
    path("", include(router.urls)),
]
