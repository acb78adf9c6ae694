"""Planning analyses: each a service that validates its input, computes in
PostGIS or numpy, and saves an :class:`~cim.models.AnalysisRun`."""
