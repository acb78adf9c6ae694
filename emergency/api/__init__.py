"""REST API of the emergency app under ``/api/emergency/`` (OpenAPI at
``/api/schema/``, tag "emergency").  Roles per endpoint are in
:mod:`emergency.permissions`; errors are ``{"error", "detail", "field"}``
with 400 (bad input), 404, 409 (state conflicts: ``invalid_transition``,
``unit_unavailable``, ``insufficient_stock``).

What the command console needs, in the order of an incident:

* map layers (GeoJSON FeatureCollections, paginated): ``incidents/geojson/``
  (``level_colour`` red/orange/yellow/blue), ``units/geojson/`` (by
  ``status``), ``depots/geojson/``, ``cameras/geojson/``, ``zones/``;
* take a call: ``POST incidents/`` (lon/lat or a cim address id; returns the
  snap to the road network); ``GET incidents/{id}/`` (caller masked;
  ``?reveal=caller`` audited); ``PATCH incidents/{id}/``;
* life cycle: ``POST incidents/{id}/transition/`` ``{"to": …}`` (the detail
  lists ``allowed_transitions``), ``…/level/``, ``…/merge/``;
  ``…/timeline/`` (GET, POST a note); ``…/attachments/`` (multipart
  ``file``) and ``…/attachments/{aid}/file/``; ``…/cameras/``;
  ``…/video-wall/?size=4|9`` (the nearest cameras with their streams,
  audited once per user/camera/10 min) and ``cameras/{id}/stream/``;
* plan: ``GET incidents/{id}/plans/``, ``POST …/activate-plan/``,
  ``GET …/tasks/``, ``PATCH tasks/{id}/`` ``{"done": true}``;
* dispatch: ``GET incidents/{id}/recommendations/`` (per unit type: ranked
  candidates with ``eta_s``, ``recommended`` flags, shortfall; or ad hoc
  ``?unit_type=…&count=…``), ``POST …/assignments/`` ``{"units": [ids]}``
  → the assignments with their route (GeoJSON LineString), ETA, distance;
  409 names a unit someone else took first; ``POST units/{id}/status/``,
  ``POST units/{id}/position/``;
* closures: ``POST closures/`` (segments or an area), ``POST closures/{id}/lift/``;
* supplies: ``POST supply-requests/``, ``…/{id}/commit|ship|receive|cancel/``,
  ``GET depots/{id}/stock/``, ``GET replenishment-alerts/``;
* zones: ``POST zones/`` (drawn ``geometry`` or ``addresses`` + ``buffer_m``),
  ``…/{id}/lift/``, ``…/{id}/contents/``;
* alerts: ``POST alerts/``, ``GET alerts/{id}/cap/`` (CAP 1.2 XML),
  ``POST alerts/{id}/cancel/``;
* live: every change is an event (``GET events/?after=<id>`` to resync; the
  same events go to the Channels group "ops" as ``{"type": "ops.event",
  "id", "kind", "at", "payload"}`` after commit).
"""
