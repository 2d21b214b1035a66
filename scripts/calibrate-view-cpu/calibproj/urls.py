from django.urls import include, path
from rest_framework.routers import DefaultRouter

from jobs.views import JobViewSet, _PadViewSet

# Antenna's config/api_router.py registers these before "jobs" (plus two nested routers).
PAD_BEFORE = [
    "users", "storage", "projects", "deployments/devices", "deployments/sites", "deployments", "events",
    "exports", "captures/thumbnails", "captures/collections", "captures/upload", "captures", "detections",
    "occurrences/stats", "occurrences", "taxa/lists", "taxa", "tags", "ml/algorithms", "ml/labels",
    "ml/pipelines", "ml/processing_services", "classifications", "identifications",
]
PAD_AFTER = ["pages", "status/summary", "labelstudio/captures", "labelstudio/occurrences",
             "labelstudio/hooks", "labelstudio/config"]

router = DefaultRouter()
for prefix in PAD_BEFORE:
    router.register(prefix, _PadViewSet, basename="pad-" + prefix.replace("/", "-"))
router.register(r"jobs", JobViewSet)
for prefix in PAD_AFTER:
    router.register(prefix, _PadViewSet, basename="pad-" + prefix.replace("/", "-"))

urlpatterns = [path("api/v2/", include((router.urls, "api"), namespace="api"))]
