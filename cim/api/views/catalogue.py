"""Staff API of the service catalogue (服务事项目录) and its versions (admins).

* ``GET /api/cim/catalogue/versions/`` — the versions, newest first.
* ``POST /api/cim/catalogue/versions/`` — save a whole document as a new version.
* ``GET /api/cim/catalogue/versions/draft/`` — the document the editor starts from.
* ``POST …/versions/{number}/publish/`` — make a version the live catalogue.
* ``POST …/versions/{number}/restore/`` — save an old version again as the newest.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from cim import errors
from cim.models import CatalogueVersion
from cim.permissions import AdminOnly
from cim.selectors.catalogue import catalogue_draft_document, catalogue_versions
from cim.services.catalogue import (
    catalogue_version_publish,
    catalogue_version_restore,
    catalogue_version_save,
)

__all__ = ["CatalogueVersionViewSet"]


class CatalogueVersionSerializer(serializers.ModelSerializer):
    based_on = serializers.IntegerField(source="based_on.number", default=None, read_only=True)

    class Meta:
        model = CatalogueVersion
        fields = ["number", "note", "changes", "based_on", "created_at", "created_label",
                  "published", "published_at", "published_label", "data"]
        read_only_fields = fields


class CatalogueSaveSerializer(serializers.Serializer):
    data = serializers.JSONField(help_text="the whole catalogue: items, halls, questions")
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


@extend_schema(tags=["catalogue"])
class CatalogueVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                              mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Versions of the service catalogue: save, view, publish, restore."""

    permission_classes = [AdminOnly]
    serializer_class = CatalogueVersionSerializer
    lookup_field = "number"
    lookup_value_regex = "[0-9]{1,9}"

    def get_queryset(self):
        return catalogue_versions(self.request.user)

    def get_object(self):
        number = int(self.kwargs["number"])
        version = self.get_queryset().filter(number=number).first()
        if version is None:
            raise errors.NotFound(f"no catalogue version {number}", field="number")
        return version

    @extend_schema(request=CatalogueSaveSerializer, responses={201: CatalogueVersionSerializer})
    def create(self, request, *args, **kwargs):
        s = CatalogueSaveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        version = catalogue_version_save(by=request.user, **s.validated_data)
        return Response(CatalogueVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["get"])
    def draft(self, request):
        """The document the editor changes: the newest version (or the live catalogue)."""
        return Response(catalogue_draft_document(request.user))

    @extend_schema(request=None, responses={200: CatalogueVersionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, number=None):
        version = catalogue_version_publish(version=self.get_object(), by=request.user)
        return Response(CatalogueVersionSerializer(version).data)

    @extend_schema(request=None, responses={201: CatalogueVersionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, number=None):
        version = catalogue_version_restore(version=self.get_object(), by=request.user)
        return Response(CatalogueVersionSerializer(version).data, status=status.HTTP_201_CREATED)
