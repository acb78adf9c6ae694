"""Views of the city-model API, by subject: map layers (:mod:`.city`), what
the maps need besides (:mod:`.maps`), addresses and plates (:mod:`.plates`),
the report queue (:mod:`.reports`), the public endpoints (:mod:`.public`)
and search (:mod:`.search`).  Routes are in :mod:`cim.api.urls`."""
