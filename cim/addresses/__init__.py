"""Standard addresses without Django: names, hierarchical codes, door numbering
and Open Location Codes."""
