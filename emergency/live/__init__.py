"""Live operations: AVL position ingestion, coalesced fan-out to the consoles,
the ordered event stream with resume, stale flags and retention.

Pure algorithms (no Django): :mod:`.validation`, :mod:`.coalesce`,
:mod:`.cursor`, :mod:`.ratelimit`.  Database work: :mod:`.ingest` (the one
ingestion service for HTTP, WebSocket and the simulator), :mod:`.selectors`,
:mod:`.retention`.  Channel layer: :mod:`.publish` (sync → Redis) and
:mod:`.hub` (one per ASGI process, feeding the consumers of
:mod:`emergency.consumers`).  Settings: :mod:`.conf`.
"""
