"""/api/v1/: the read-only API and its OpenAPI document."""

from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("reports", views.ReportViewSet, basename="report")
router.register("entities", views.EntityViewSet, basename="entity")
router.register("action-lines", views.ActionLineViewSet, basename="action-line")
router.register("cycles", views.CycleViewSet, basename="cycle")

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("", include(router.urls)),
]
