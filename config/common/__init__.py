"""Plumbing shared by the ``cim`` and ``emergency`` apps, importing neither
app's models: API pagination (:mod:`.pagination`), the bbox filter
(:mod:`.filters`), the one exception handler and its error body
(:mod:`.errors`), the OpenAPI hooks (:mod:`.schema`), size-limited JSON
parsing (:mod:`.parsers`, :mod:`.jsonlimits`), declared app settings
(:mod:`.appsettings`), the client address rule (:mod:`.clientip`) and text
clipping to a field's length (:mod:`.clip`).  The error handler knows one
core class, the domain error base :class:`cim.errors.DomainError`."""
