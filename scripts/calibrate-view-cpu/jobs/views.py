"""One view shaped like Antenna's JobViewSet.tasks (ami/jobs/views.py, POST /api/v2/jobs/{id}/tasks/).

Actions on the same viewset (same router, same URL resolution cost):
  tasks/         full:   serializer, project lookup, get_object (select_related), permission,
                         Redis heartbeat gate (cache.add), job.logger.info -> JobLog INSERT, Response
  tasks_noside/  full minus the heartbeat gate and the JobLog insert
  tasks_bridge/  full plus async_to_sync() around a coroutine that only builds the task dicts
                 (the asgiref bridge Antenna uses for its NATS call; no NATS I/O)
  bare/          floor: DRF token auth + permission + JSON parse + Response, no other DB or Redis work
Test-only knobs: tasks_bridge/?nats_ms=X awaits asyncio.sleep(X ms) inside the bridge (a NATS wait
stand-in); bare/?sleep_ms=X does time.sleep(X ms) in the view (a blocking-I/O stand-in). Both are used
to show how waits inside a sync view occupy a uvicorn worker.
NATS JetStream (reserve_tasks) is left out: not available here.
"""
import asyncio
import logging
import time

from asgiref.sync import async_to_sync
from django.core.cache import cache
from django.shortcuts import get_object_or_404
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .models import ACTIVE_STATES, Job, Project

logger = logging.getLogger(__name__)
HEARTBEAT_THROTTLE_SECONDS = 30


class MLJobTasksRequestSerializer(serializers.Serializer):
    batch_size = serializers.IntegerField(min_value=1, required=True)
    client_info = serializers.JSONField(required=False, default=None)


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ["id", "name", "status"]


class ObjectPermission(permissions.BasePermission):
    """Antenna's ami.base.permissions.ObjectPermission."""

    def has_permission(self, request, view):
        return True

    def has_object_permission(self, request, view, obj):
        return obj.check_permission(request.user, view.action)


def _actor_log_context(request):
    user_desc = getattr(request.user, "email", None) or str(request.user)
    token_id = getattr(request.auth, "pk", None)
    token_fingerprint = f"{str(token_id)[:8]}…" if token_id is not None else None
    return user_desc, token_fingerprint


def _mark_pipeline_pull_services_seen(job):
    """Antenna's heartbeat gate. The celery .delay() behind it fires at most once per 30 s
    per (pipeline, project), so in steady state the gate returns early; it is omitted."""
    if not job.pipeline_id:
        return
    cache_key = f"heartbeat:pipeline:{job.pipeline_id}:project:{job.project_id}"
    if not cache.add(cache_key, 1, timeout=HEARTBEAT_THROTTLE_SECONDS):
        return
    # update_pipeline_pull_services_seen.delay(job.pk)  -- celery not modelled


def _fake_tasks(job, batch_size):
    # Shape of Antenna's PipelineProcessingTask.dict(); in Antenna these come from NATS.
    return [
        {
            "id": f"{job.pk}-{i}",
            "image_id": str(1000 + i),
            "image_url": f"https://example.invalid/captures/{job.pk}/{1000 + i}.jpg",
            "reply_subject": f"$JS.ACK.job_{job.pk}.job-{job.pk}-consumer.1.{i}.{i}.1700000000000000000.0",
        }
        for i in range(batch_size)
    ]


class JobViewSet(viewsets.ModelViewSet):
    queryset = Job.objects.select_related(
        "deployment",
        "pipeline",
        "source_image_collection",
        "source_image_single",
    )
    serializer_class = JobSerializer
    permission_classes = [ObjectPermission]

    def get_active_project(self):
        # Antenna's get_active_project: validate ?project_id= then fetch the Project (404 if absent).
        raw = self.request.query_params.get("project_id")
        if not raw:
            return None
        project_id = serializers.IntegerField(min_value=0).run_validation(raw)
        return get_object_or_404(Project, pk=project_id)

    def get_queryset(self):
        jobs = super().get_queryset()
        project = self.get_active_project()
        if project:
            jobs = jobs.filter(project=project)
        # Antenna also excludes old failed jobs here (cutoff_hours).
        jobs = jobs.exclude(status__in=["FAILURE"], updated_at__lt="2000-01-01")
        return jobs

    def _tasks(self, request, side_effects=True, bridge=False):
        serializer = MLJobTasksRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        batch_size = serializer.validated_data["batch_size"]

        job = self.get_object()  # queryset + filter(pk) + check_object_permissions

        if job.dispatch_mode != "async_api":
            raise ValidationError("Only async_api jobs have fetchable tasks")
        user_desc, token_fingerprint = _actor_log_context(request)
        if job.status not in ACTIVE_STATES:
            return Response({"tasks": []})
        if not job.pipeline:
            raise ValidationError("This job does not have a pipeline configured")

        if side_effects:
            _mark_pipeline_pull_services_seen(job)

        if bridge:
            nats_ms = float(request.query_params.get("nats_ms", 0))

            async def get_tasks():
                if nats_ms:
                    await asyncio.sleep(nats_ms / 1e3)  # stands in for the NATS round trip
                return _fake_tasks(job, batch_size)

            tasks = async_to_sync(get_tasks)()
        else:
            tasks = _fake_tasks(job, batch_size)

        token_suffix = f", token_id={token_fingerprint}" if token_fingerprint is not None else ""
        fetch_msg = f"Tasks fetched: requested={batch_size}, delivered={len(tasks)}, user={user_desc}{token_suffix}"
        if side_effects:
            job.logger.info(fetch_msg)  # JobLogHandler: stderr line + JobLog INSERT
        return Response({"tasks": tasks})

    @action(detail=True, methods=["post"], name="tasks")
    def tasks(self, request, pk=None):
        return self._tasks(request)

    @action(detail=True, methods=["post"], name="tasks_noside")
    def tasks_noside(self, request, pk=None):
        return self._tasks(request, side_effects=False)

    @action(detail=True, methods=["post"], name="tasks_bridge")
    def tasks_bridge(self, request, pk=None):
        return self._tasks(request, bridge=True)

    @action(detail=False, methods=["post"], name="bare")
    def bare(self, request):
        sleep_ms = float(request.query_params.get("sleep_ms", 0))
        if sleep_ms:
            time.sleep(sleep_ms / 1e3)  # blocking I/O stand-in (releases the GIL)
        return Response({"tasks": []})

    # Antenna's JobViewSet has these extra actions too (they add URL patterns ahead of tasks/).
    @action(detail=True, methods=["post"])
    def run(self, request, pk=None):
        return Response({})

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return Response({})

    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        return Response({})

    @action(detail=True, methods=["post"])
    def result(self, request, pk=None):
        return Response({})


class _PadViewSet(viewsets.ReadOnlyModelViewSet):
    """Stands in for the other viewsets Antenna registers before `jobs` (URL resolution cost)."""

    queryset = Job.objects.all()
    serializer_class = JobSerializer
