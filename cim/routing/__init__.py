"""Road routing: a pure in-memory engine (:mod:`cim.routing.engine`) and the
Django service that builds and caches it from the road tables
(:mod:`cim.routing.service`)."""
