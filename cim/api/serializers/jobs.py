"""Serializers of jobs: what a job is and how far it is, and a submission."""

from __future__ import annotations

import json

from django.urls import reverse
from rest_framework import serializers

from cim.models import Job, JobStatus
from cim.services.jobs import KINDS

__all__ = ["JobSerializer", "JobSubmitSerializer", "result_name"]


class JobSerializer(serializers.ModelSerializer):
    """A job: its kind, parameters, status, progress, result and the link to
    its result file (when it made one)."""

    kind_label = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None, read_only=True)
    input_name = serializers.SerializerMethodField()
    result_url = serializers.SerializerMethodField()
    result_name = serializers.SerializerMethodField()
    finished = serializers.BooleanField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "kind_label",
            "params",
            "status",
            "status_label",
            "finished",
            "progress",
            "message",
            "result",
            "result_url",
            "result_name",
            "input_name",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "cancel_requested",
            "idempotent",
            "attempts",
        ]
        read_only_fields = fields

    def get_kind_label(self, job: Job) -> str:
        spec = KINDS.get(job.kind)
        return str(spec.label) if spec else job.kind

    def get_input_name(self, job: Job) -> str | None:
        return job.input_file.name.rsplit("/", 1)[-1] if job.input_file else None

    def get_result_name(self, job: Job) -> str | None:
        return result_name(job) if job.result_file else None

    def get_result_url(self, job: Job) -> str | None:
        if not job.result_file or job.status != JobStatus.SUCCEEDED:
            return None
        return reverse("job-result", args=[job.pk])


def result_name(job: Job) -> str:
    """The name a job's result file is downloaded under."""
    return (job.result or {}).get("file_name") or job.result_file.name.rsplit("/", 1)[-1]


class _ParamsField(serializers.JSONField):
    """An object; in a multipart form (a job with a file) the JSON text of one."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                data = json.loads(data or "{}")
            except ValueError:
                raise serializers.ValidationError("not valid JSON") from None
        if not isinstance(data, dict):
            raise serializers.ValidationError("must be an object")
        return data


class JobSubmitSerializer(serializers.Serializer):
    """A job to run: ``kind``, ``params`` (an object) and, for imports, ``file``
    (send the request as multipart/form-data, ``params`` then as JSON text)."""

    kind = serializers.CharField(max_length=64)
    params = _ParamsField(required=False, default=dict)
    file = serializers.FileField(required=False, allow_empty_file=False)
