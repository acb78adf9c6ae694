"""Terrain: pure raster sampling and geoid handling (no Django)."""
