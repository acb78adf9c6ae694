"""REST API of the city model under ``/api/cim/``: FilterSets (:mod:`.filters`),
permissions and throttles of the public side, serializers and views by
subject (:mod:`.serializers`, :mod:`.views`), routes (:mod:`.urls`).

The API imports the core (models, selectors, services); the core never
imports the API.  Shared plumbing (pagination, bbox, errors, schema hooks)
is in :mod:`config.common`."""
