"""Serializers of addresses, door plates and plate alerts (staff API)."""

from __future__ import annotations

from rest_framework import serializers

from cim.choices import PlateSize, PlateStatus
from cim.conf import cim_settings
from cim.models import Address, Plate, PlateAlert, PlateEvent
from cim.plates import qr, sheets

__all__ = [
    "AddressSerializer",
    "PlateAlertSerializer",
    "PlateArtworkQuery",
    "PlateHistorySerializer",
    "PlateIssueSerializer",
    "PlateReplaceSerializer",
    "PlateSerializer",
    "PlateSheetQuery",
    "PlateTransitionSerializer",
]


class AddressSerializer(serializers.ModelSerializer):
    lon = serializers.FloatField(source="position.x", default=None, read_only=True)
    lat = serializers.FloatField(source="position.y", default=None, read_only=True)
    admin_code = serializers.CharField(source="admin_area.code", read_only=True)

    class Meta:
        model = Address
        fields = ["id", "kind", "parent", "label", "number", "full_name", "code", "plus_code",
                  "status", "lon", "lat", "position_kind", "admin_code", "building", "synthetic",
                  "source"]


class PlateSerializer(serializers.ModelSerializer):
    address_name = serializers.CharField(source="address.full_name", read_only=True)
    url = serializers.SerializerMethodField()
    replaced_by_code = serializers.CharField(source="replaced_by.code", default=None,
                                             read_only=True)

    class Meta:
        model = Plate
        fields = ["id", "code", "url", "address", "address_name", "status", "size", "issued_at",
                  "installed_at", "status_changed_at", "replaced_by_code", "note"]
        read_only_fields = ["code", "status", "issued_at", "installed_at", "status_changed_at"]

    def get_url(self, obj) -> str:
        return qr.plate_url(obj.code, cim_settings.PLATE_HOST)


class PlateIssueSerializer(serializers.Serializer):
    address = serializers.PrimaryKeyRelatedField(queryset=Address.objects.all())
    size = serializers.ChoiceField(choices=PlateSize.choices, default=PlateSize.MEDIUM)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class PlateTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[PlateStatus.INSTALLED, PlateStatus.DAMAGED,
                                              PlateStatus.RETIRED])
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class PlateReplaceSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    size = serializers.ChoiceField(choices=PlateSize.choices, required=False)


class PlateAlertSerializer(serializers.ModelSerializer):
    plate_code = serializers.CharField(source="plate.code", read_only=True)
    address_name = serializers.CharField(source="plate.address.full_name", read_only=True)

    class Meta:
        model = PlateAlert
        fields = ["id", "plate", "plate_code", "address_name", "kind", "status", "created_at",
                  "detail", "comment", "closed_at"]
        read_only_fields = fields


class PlateArtworkQuery(serializers.Serializer):
    """Query string of ``plates/{code}/artwork/``."""

    size = serializers.ChoiceField(choices=PlateSize.choices, required=False,
                                   help_text="default: the plate's own size")
    file = serializers.ChoiceField(choices=["svg", "png"], default="svg")


class PlateSheetQuery(serializers.Serializer):
    """Query string of ``plates/sheet/``."""

    community = serializers.RegexField(r"^[0-9]{6,12}$", help_text="a 6–12 digit division code",
                                       error_messages={"invalid": "a 6–12 digit division code"})
    size = serializers.ChoiceField(choices=PlateSize.choices, default=PlateSize.MEDIUM)
    paper = serializers.ChoiceField(choices=[*sheets.PAPERS], default="A3")
    part = serializers.IntegerField(min_value=1, required=False,
                                    help_text="a division of more than 400 plates prints in parts")


class PlateEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    to_status = serializers.CharField(read_only=True, help_text="a plate status")

    class Meta:
        model = PlateEvent
        fields = ["at", "from_status", "to_status", "actor", "note"]
        read_only_fields = fields


class PlateScanDaySerializer(serializers.Serializer):
    day = serializers.DateField()
    scans = serializers.IntegerField()
    clients = serializers.IntegerField()


class PlateHistorySerializer(serializers.Serializer):
    """``plates/{code}/history/``: the back office's view of one plate."""

    plate = PlateSerializer()
    events = PlateEventSerializer(many=True)
    alerts = PlateAlertSerializer(many=True)
    replaces = serializers.CharField(source="replaces.code", default=None)
    scan_days = PlateScanDaySerializer(many=True)
    scans_total = serializers.IntegerField()
