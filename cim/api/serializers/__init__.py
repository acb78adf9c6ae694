"""Serializers of the city-model API, by subject: the map layers and their
plain records (:mod:`.city`), addresses and plates (:mod:`.plates`),
residents' reports (:mod:`.reports`)."""
