"""drf-spectacular extensions for our own classes (imported from CimConfig.ready)."""

from drf_spectacular.authentication import BasicScheme


class CimBasicScheme(BasicScheme):
    target_class = "cim.authentication.BasicAuthentication"
