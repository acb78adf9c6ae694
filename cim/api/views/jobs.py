"""``/api/jobs/``: long work on workers (imports, builds, plate sheets…).

Submit with ``POST /api/jobs/`` (the answer comes at once, 202, with the
queued job), follow ``GET /api/jobs/{id}/`` (or the ``/ws/jobs/`` events),
cancel with ``POST /api/jobs/{id}/cancel/``, fetch a result file from
``GET /api/jobs/{id}/result/``.  Staff see their own jobs, admins every job;
who may submit which kind is in :mod:`cim.services.jobs.kinds`.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from cim import roles
from cim.api.serializers.jobs import JobSerializer, JobSubmitSerializer, result_name
from cim.errors import DomainError
from cim.models import JobStatus
from cim.permissions import RolePermission
from cim.selectors.jobs import jobs_visible_to
from cim.services import jobs as job_services
from config.common.parsers import LimitedJSONParser

__all__ = ["JobViewSet"]


class JobAccess(RolePermission):
    """Staff read and submit (each kind names its own roles); the auditor
    and the public do not."""

    read_roles = roles.STAFF_ROLES
    write_roles = roles.STAFF_ROLES


@extend_schema(tags=["jobs"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Jobs: submitted here, run by the workers, followed to their result."""

    permission_classes = [JobAccess]
    serializer_class = JobSerializer
    parser_classes = [LimitedJSONParser, MultiPartParser]

    def get_queryset(self):
        jobs = jobs_visible_to(self.request.user)
        params = self.request.query_params
        if wanted := params.get("status"):
            statuses = wanted.split(",")
            if not set(statuses) <= set(JobStatus.values):
                raise DomainError(f"expected any of {', '.join(JobStatus.values)}", field="status")
            jobs = jobs.filter(status__in=statuses)
        if kind := params.get("kind"):
            jobs = jobs.filter(kind=kind)
        return jobs

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, description="comma list: queued,running,…"),
            OpenApiParameter("kind", OpenApiTypes.STR, description="e.g. tiles.build"),
        ]
    )
    def list(self, request, *args, **kwargs):
        """One's own jobs (admins: everyone's), newest first."""
        job_services.jobs_reap()
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        job_services.jobs_reap()
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        request={"application/json": JobSubmitSerializer, "multipart/form-data": JobSubmitSerializer},
        responses={202: JobSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Queue a job; the answer (202) is the queued job."""
        s = JobSubmitSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        job = job_services.job_submit(
            kind=s.validated_data["kind"],
            params=s.validated_data["params"],
            upload=s.validated_data.get("file"),
            by=request.user,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: JobSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued or running job (409 when it has finished)."""
        job = job_services.job_cancel(job=self.get_object(), by=request.user)
        return Response(JobSerializer(job).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, 404: None})
    @action(detail=True, url_path="result", url_name="result")
    def result(self, request, pk=None):
        """The job's result file (a PDF, an export…), as an attachment."""
        job = self.get_object()
        if not job.result_file or job.status != JobStatus.SUCCEEDED:
            raise Http404("this job has no result file")
        response = FileResponse(job.result_file.open("rb"), as_attachment=True, filename=result_name(job))
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(
        responses={
            200: inline_serializer(
                "JobKinds",
                {
                    "kinds": serializers.ListField(
                        child=inline_serializer(
                            "JobKindInfo",
                            {
                                "kind": serializers.CharField(),
                                "label": serializers.CharField(),
                                "needs_file": serializers.BooleanField(),
                                "idempotent": serializers.BooleanField(),
                            },
                        )
                    )
                },
            )
        }
    )
    @action(detail=False)
    def kinds(self, request):
        """The kinds of job the signed-in user may submit."""
        return Response(
            {
                "kinds": [
                    {
                        "kind": k.name,
                        "label": str(k.label),
                        "needs_file": k.needs_file,
                        "idempotent": k.idempotent,
                    }
                    for k in job_services.kinds_for(request.user)
                ]
            }
        )
