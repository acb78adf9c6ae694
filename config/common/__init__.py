"""API plumbing shared by the ``cim`` and ``emergency`` apps: pagination
(:mod:`.pagination`), query-string parsing and the bbox filter
(:mod:`.filters`), the one exception handler and its error body
(:mod:`.errors`), and the OpenAPI hooks (:mod:`.schema`).

Nothing here knows a model of either app; both apps import it, it imports
neither (apart from the domain error base class in :mod:`cim.errors`).
"""
