"""Cut-down copies of the Antenna models touched by POST /api/v2/jobs/{id}/tasks/."""
import logging

from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)

ACTIVE_STATES = ("CREATED", "PENDING", "STARTED", "RETRY", "CANCELING")


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    project_accessor = "project"

    class Meta:
        abstract = True

    def get_project(self):
        obj = self
        for part in self.project_accessor.split("__"):
            obj = getattr(obj, part, None)  # lazy FK fetch: a query, as in Antenna
            if obj is None:
                break
        return obj

    def check_permission(self, user, action):
        """Antenna's BaseModel.check_permission, for a custom action."""
        project = self.get_project()
        if not project:
            return False
        if action == "retrieve":
            return True
        return self.check_custom_permission(user, action)

    def check_custom_permission(self, user, action):
        project = self.get_project()
        return user.has_perm(f"{action}_{self._meta.model_name}", project)


class Project(BaseModel):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    draft = models.BooleanField(default=False)
    priority = models.IntegerField(default=1)
    active = models.BooleanField(default=True)
    feature_flags = models.JSONField(default=dict, blank=True)


class Pipeline(BaseModel):
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    version = models.IntegerField(default=1)
    version_name = models.CharField(max_length=255, blank=True)
    default_config = models.JSONField(default=dict, blank=True)


class Deployment(BaseModel):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    data_source_uri = models.CharField(max_length=255, blank=True)


class SourceImageCollection(BaseModel):
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    method = models.CharField(max_length=255, default="random")
    kwargs = models.JSONField(default=dict, blank=True)


class SourceImage(BaseModel):
    path = models.CharField(max_length=255)
    public_base_url = models.CharField(max_length=255, blank=True)
    timestamp = models.DateTimeField(null=True)
    width = models.IntegerField(null=True)
    height = models.IntegerField(null=True)
    size = models.BigIntegerField(null=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    deployment = models.ForeignKey(Deployment, null=True, on_delete=models.SET_NULL)


class JobLogHandler(logging.Handler):
    """Antenna's JobLogHandler: log to the app logger (stdout) and insert one JobLog row."""

    def __init__(self, job, *args, **kwargs):
        self.job = job
        super().__init__(*args, **kwargs)

    def emit(self, record):
        logger.log(record.levelno, self.format(record))
        try:
            JobLog.objects.create(job_id=self.job.pk, level=record.levelname, message=self.format(record))
        except Exception as e:  # noqa: BLE001
            logger.error(f"Failed to save log for job #{self.job.pk}: {e}")


class Job(BaseModel):
    name = models.CharField(max_length=255)
    queue = models.CharField(max_length=255, default="default")
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=255, default="CREATED")
    progress = models.JSONField(default=dict)  # Antenna: pydantic SchemaField (extra parse cost not modelled)
    logs = models.JSONField(default=dict)  # Antenna: legacy pydantic SchemaField
    params = models.JSONField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    task_id = models.CharField(max_length=255, null=True, blank=True)
    delay = models.IntegerField(default=0)
    limit = models.IntegerField(null=True, blank=True, default=None)
    shuffle = models.BooleanField(default=True)
    job_type_key = models.CharField(max_length=255, default="ml")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="jobs")
    deployment = models.ForeignKey(Deployment, null=True, blank=True, on_delete=models.CASCADE)
    source_image_single = models.ForeignKey(SourceImage, null=True, blank=True, on_delete=models.SET_NULL)
    source_image_collection = models.ForeignKey(
        SourceImageCollection, null=True, blank=True, on_delete=models.SET_NULL
    )
    pipeline = models.ForeignKey(Pipeline, null=True, blank=True, on_delete=models.SET_NULL)
    dispatch_mode = models.CharField(max_length=255, default="async_api")

    def check_custom_permission(self, user, action):
        # Antenna's Job.check_custom_permission: f"{action}_{job_type}_job" on the project.
        project = self.get_project()
        return user.has_perm(f"{action}_{self.job_type_key.lower()}_job", project)

    @property
    def logger(self):
        _logger = logging.getLogger(f"jobs.job.{self.pk}")
        handler = next((h for h in _logger.handlers if isinstance(h, JobLogHandler)), None)
        if handler is None:
            logger.info("Adding JobLogHandler to logger for job %s", self.pk)
            _logger.addHandler(JobLogHandler(self))
        else:
            handler.job = self
        _logger.propagate = False
        return _logger


class JobLog(BaseModel):
    project_accessor = "job__project"
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="log_entries")
    level = models.CharField(max_length=20)
    message = models.TextField()
    context = models.JSONField(blank=True, default=dict)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["job", "-created_at"])]
