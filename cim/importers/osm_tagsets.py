"""The tags of pyosmium objects, read as shared tag sets (pyosmium; no Django).

pyosmium hands each tag to Python as an object of its own (about 3.5 µs a
tag), while looking one key up costs a tenth of that.  The objects of a file
repeat few combinations of tags (Monaco: 167 among 23,370 building ways), so
:class:`TagSets` first looks up the keys that have been commonest so far:
when those lookups find every tag of the object, their values name the
combination exactly, and the :class:`TagSet` read before is returned with
whatever the reader derived from it.  Only new combinations are read tag by
tag.
"""

from __future__ import annotations

from collections import Counter


class TagSet:
    """One combination of tags, shared by every object that has it.

    ``tags`` must not be changed; ``derived`` is the reader's to fill with
    what it computes from the tags, once per combination."""

    __slots__ = ("tags", "derived")

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags
        self.derived = None


def read_tags(data) -> tuple[tuple[str, str], ...]:
    """Every (key, value) of a pyosmium object's C++ side, in file order."""
    it = data.tags_begin()
    step = data.tags_next
    out = []
    try:
        while True:
            out.append(step(it))
    except StopIteration:
        return tuple(out)


class TagSets:
    """Recognises tag combinations seen before; see the module docstring.

    ``probes`` keys are looked up per object, commonest first; the ranking is
    redone as new keys appear (after 64, 128, … objects that had keys outside
    it).  At most ``max_sets`` combinations are kept (then they are read
    afresh), so that a file whose every object is tagged differently costs
    memory in proportion to a batch, not to the file.
    """

    def __init__(self, *, probes: int = 8, max_sets: int = 100_000) -> None:
        self.probes = probes
        self.max_sets = max_sets
        self._keys: tuple[str, ...] = ()
        self._by_values: dict[tuple, TagSet] = {}
        self._by_items: dict[tuple, TagSet] = {}
        self._counts: Counter[str] = Counter()
        self._unranked = 0  # objects read since the ranking with keys outside it
        self._rank_at = 64
        self.empty = TagSet({})

    def get(self, data) -> TagSet:
        """The tag set of a pyosmium object (its ``_pyosmium_data``)."""
        size = data.tags_size()
        if not size:
            return self.empty
        lookup = data.tags_get_value_by_key
        values = []
        found = 0
        for key in self._keys:
            value = lookup(key, None)
            values.append(value)
            if value is not None:
                found += 1
                if found == size:
                    break
        if found == size:
            values = tuple(values)
            known = self._by_values.get(values)
            if known is not None:
                return known
        items = read_tags(data)
        tagset = self._by_items.get(items)
        if tagset is None:
            if len(self._by_items) >= self.max_sets:
                self._by_items.clear()
                self._by_values.clear()
            tagset = self._by_items[items] = TagSet(dict(items))
        if found == size:
            self._by_values[values] = tagset
        else:
            self._counts.update(key for key, _ in items)
            self._unranked += 1
            if self._unranked >= self._rank_at:
                self._rank()
        return tagset

    def _rank(self) -> None:
        self._rank_at = min(2 * self._rank_at, self._unranked + 4096)
        keys = tuple(key for key, _ in self._counts.most_common(self.probes))
        if keys != self._keys:
            self._keys = keys
            self._by_values.clear()  # their values are positions in the old ranking
