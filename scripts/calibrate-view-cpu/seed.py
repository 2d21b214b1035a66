"""Seed one superuser worker with a DRF token, a project, a pipeline and an active async_api job."""
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from jobs.models import Deployment, Job, JobLog, Pipeline, Project, SourceImageCollection


def _progress():
    def stage(key, name, params):
        return {"key": key, "name": name, "status": "STARTED", "progress": 0.42,
                "params": [{"name": n, "key": n.lower().replace(" ", "_"), "category": "default", "value": v}
                           for n, v in params]}
    return {
        "summary": {"status": "STARTED", "progress": 0.42},
        "stages": [
            stage("collect", "Collect", [("Total Images", 5000)]),
            stage("process", "Process", [("Processed", 2100), ("Remaining", 2900), ("Failed", 3)]),
            stage("results", "Results", [("Detections", 8123), ("Classifications", 16200), ("Captures", 2100),
                                         ("Failed", 0)]),
        ],
        "errors": [],
    }


def run():
    user = User.objects.create_superuser("worker", "worker@example.org", "x")
    token = Token.objects.create(user=user)
    for i in range(20):  # other users/tokens so the token table is not a single row
        Token.objects.create(user=User.objects.create_user(f"u{i}", f"u{i}@example.org", "x"))
    project = Project.objects.create(name="Calibration project", owner=user, description="x" * 200)
    pipeline = Pipeline.objects.create(name="Quebec & Vermont moths 2024", slug="quebec_vermont_moths_2024",
                                       default_config={"request_source_image_batch_size": 8})
    dep = Deployment.objects.create(name="Station 1", project=project, latitude=45.5, longitude=-73.6)
    coll = SourceImageCollection.objects.create(name="Random 5000", project=project, kwargs={"size": 5000})
    other = [Job(name=f"old job {i}", status="SUCCESS", project=project, pipeline=pipeline, deployment=dep,
                 progress=_progress()) for i in range(500)]
    Job.objects.bulk_create(other)
    job = Job.objects.create(name="Async ML job", status="STARTED", dispatch_mode="async_api", project=project,
                             pipeline=pipeline, deployment=dep, source_image_collection=coll,
                             progress=_progress(), logs={"stdout": [], "stderr": []},
                             params={"pipeline": pipeline.slug})
    JobLog.objects.bulk_create([JobLog(job=o, level="INFO", message="seed line " * 5) for o in other])
    print(f"export CALIB_TOKEN={token.key} CALIB_JOB={job.pk} CALIB_PROJECT={project.pk}")
