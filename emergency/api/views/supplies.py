"""Supply items, depots and their stock, supply requests through commit →
ship → receive, replenishment alerts."""

from __future__ import annotations

from django.db.models import Count, F, Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.common.pagination import GeoPagination
from emergency import selectors, services
from emergency.api.common import ERRORS, get_or_400, incident_or_400
from emergency.api.queries import SupplyRequestQuery
from emergency.api.serializers import (
    DepotGeoSerializer,
    DepotSerializer,
    ItemSerializer,
    ReplenishmentAlertSerializer,
    StockSerializer,
    StockSetSerializer,
    SupplyRequestCreateSerializer,
    SupplyRequestSerializer,
)
from emergency.api.views.resources import _PlacedRegistryViewSet, _RegistryViewSet
from emergency.choices import SupplyRequestStatus
from emergency.models import Depot, Item
from emergency.permissions import CommanderWrite, DispatcherWrite, RegistryWrite

__all__ = ["DepotViewSet", "ItemViewSet", "ReplenishmentAlertViewSet", "SupplyRequestViewSet"]


@extend_schema(tags=["emergency"])
class ItemViewSet(_RegistryViewSet):
    """Supply items.  Read: admin, commander, dispatcher; write: admin."""

    permission_classes = [RegistryWrite]
    serializer_class = ItemSerializer
    queryset = Item.objects.order_by("code")
    save_service = staticmethod(services.item_save)


@extend_schema(tags=["emergency"])
class DepotViewSet(_PlacedRegistryViewSet):
    """Depots (应急物资储备库).  Read: admin, commander, dispatcher; registry
    write: admin; stock changes (``/stock/`` POST): admin, commander."""

    permission_classes = [RegistryWrite]
    serializer_class = DepotSerializer
    queryset = Depot.objects.order_by("code")
    save_service = staticmethod(services.depot_save)

    @extend_schema(responses={200: DepotGeoSerializer(many=True)})
    @action(detail=False, pagination_class=GeoPagination, serializer_class=DepotGeoSerializer)
    def geojson(self, request):
        """Depots as GeoJSON, with how many items are below their minimum."""
        qs = Depot.objects.annotate(
            below_minimum=Count("stock", filter=Q(stock__quantity__lt=F("stock__minimum")))).order_by("code")
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DepotGeoSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], responses={200: StockSerializer(many=True)})
    @extend_schema(methods=["POST"], request=StockSetSerializer, responses={200: StockSerializer, **ERRORS})
    @action(detail=True, methods=["get", "post"], permission_classes=[CommanderWrite])
    def stock(self, request, pk=None):
        """The depot's stock; POST restocks/corrects an item or sets its minimum."""
        depot = self.get_object()
        if request.method == "POST":
            s = StockSetSerializer(data=request.data)
            s.is_valid(raise_exception=True)
            data = dict(s.validated_data)
            item = get_or_400(Item, data.pop("item"), "item")
            stock = services.stock_set(depot=depot, item=item, by=request.user, **data)
            return Response(StockSerializer(stock).data)
        return Response(StockSerializer(depot.stock.select_related("item"), many=True).data)


@extend_schema(tags=["emergency"])
class SupplyRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Supply requests.  Read and create, ship, receive: admin, commander,
    dispatcher; commit (takes stock) and cancel: admin, commander."""

    permission_classes = [DispatcherWrite]
    serializer_class = SupplyRequestSerializer

    def get_queryset(self):
        qs = selectors.supply_requests_visible_to(self.request.user).prefetch_related(
            "lines__item", "lines__allocations__depot").order_by("-requested_at", "-id")
        if self.action == "list":
            state = SupplyRequestQuery.read(self.request)["status"]
            if state:
                qs = qs.filter(status=state)
        return qs

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR,
                                                enum=SupplyRequestStatus.values)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SupplyRequestCreateSerializer, responses={201: SupplyRequestSerializer, **ERRORS})
    def create(self, request):
        s = SupplyRequestCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        incident = incident_or_400(request.user, s.validated_data["incident"], "incident")
        created = services.supply_request_create(
            incident=incident, by=request.user, note=s.validated_data["note"],
            lines=[(ln["item"], ln["quantity"]) for ln in s.validated_data["lines"]])
        return Response(SupplyRequestSerializer(self.get_queryset().get(pk=created.pk)).data,
                        status=status.HTTP_201_CREATED)

    def _step(self, request, service, **extra):
        done = service(request=self.get_object(), by=request.user, **extra)
        return Response(SupplyRequestSerializer(self.get_queryset().get(pk=done.pk)).data)

    @extend_schema(request=None, responses={200: SupplyRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[CommanderWrite])
    def commit(self, request, pk=None):
        """Allocate from the depots nearest by road that hold enough; takes the stock."""
        return self._step(request, services.supply_request_commit)

    @extend_schema(request=None, responses={200: SupplyRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        """The goods left the depots."""
        return self._step(request, services.supply_request_ship)

    @extend_schema(request=None, responses={200: SupplyRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        """The goods arrived."""
        return self._step(request, services.supply_request_receive)

    @extend_schema(request=None, responses={200: SupplyRequestSerializer, **ERRORS})
    @action(detail=True, methods=["post"], permission_classes=[CommanderWrite])
    def cancel(self, request, pk=None):
        """Call the request off before it ships (committed stock goes back)."""
        return self._step(request, services.supply_request_cancel)


@extend_schema(tags=["emergency"])
class ReplenishmentAlertViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Open replenishment alerts (stock below minimum).  Admin, commander, dispatcher."""

    permission_classes = [DispatcherWrite]
    serializer_class = ReplenishmentAlertSerializer

    def get_queryset(self):
        return selectors.replenishment_open().order_by("-raised_at", "-id")
