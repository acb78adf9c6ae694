"""BIM buildings: the import (file → rows + a tiles build, published after
the commit) and their place in the city's 3D Tiles.

The city tileset (:mod:`cim.services.tiles`) leaves out every city building
that a tiled BIM model replaces and references each model's own tileset
(``/tiles/bim/<id>/tileset.json``) from its root (:func:`bim_city_links`).
"""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path

from django.db import transaction

from cim.conf import cim_settings
from cim.errors import Conflict, DomainError, NotFound
from cim.importers.ifc import Loaded, ManualPlacement, load_ifc
from cim.importers.report import ImportReport
from cim.models import BimModel, Building, ImportRun
from cim.services.audit import audit_record
from cim.services.bim_links import bim_city_links, city_tiles_link_bim
from cim.services.buildings import _tiles_refresh
from cim.services.history import bim_delete_files_on_commit, bim_link_building, clean_reason
from cim.services.imports import import_execute
from cim.tiling.publish import current_build, discard, publish

__all__ = ["bim_city_links", "bim_import", "bim_model_delete", "bim_relink", "city_tiles_link_bim"]

log = logging.getLogger(__name__)


def bim_import(
    *,
    path: Path,
    placement: ManualPlacement | None = None,
    replaces: int | None = None,
    classes: tuple[str, ...] | None = None,
    by=None,
    progress=False,
    workers: int | None = None,
    options: dict | None = None,
) -> tuple[ImportRun, ImportReport, BimModel]:
    """Import one IFC file as a BIM building (all or nothing: on any error
    no row is kept and no tile file published; the run is recorded failed),
    publish its tiles, then bring the city tileset up to date (the replaced
    building left out, the model referenced)."""
    loaded = Loaded()
    load = partial(
        load_ifc,
        path=Path(path),
        loaded=loaded,
        placement=placement,
        replaces=replaces,
        classes=classes,
        progress=progress,
        by=by,
        workers=workers,
    )
    try:
        run, report = import_execute(
            kind="ifc",
            path=Path(path),
            options=options,
            by=by,
            load=lambda run, report: load(run=run, report=report),
        )
    except BaseException:
        if loaded.build_dir is not None:
            discard(loaded.build_dir)
        raise
    publish(Path(cim_settings.BIM_TILES_DIR) / str(loaded.model.pk), loaded.build_dir)
    report.notes.append(city_tiles_refresh(by=by))
    return run, report, loaded.model


@transaction.atomic
def bim_relink(*, bim: BimModel, replaces: int | None, by, reason) -> dict:
    """Re-link ``bim`` to the city building ``replaces`` (None: unlink it),
    for ``reason`` (required): the buildings' rows change, so each one's
    history keeps the change with ``by`` and the reason; audited; the city
    tiles are re-encoded by the incremental build once committed."""
    reason = clean_reason(reason)
    bim = BimModel.objects.select_for_update().get(pk=bim.pk)
    building = None
    if replaces is not None:
        building = Building.objects.filter(pk=replaces).first()
        if building is None:
            raise NotFound(f"there is no city building #{replaces}", field="replaces")
    before = bim.replaces_id
    notes = bim_link_building(bim, building, by=by, reason=reason)
    if notes:
        audit_record(actor=by, action="bim.link", obj=bim, before={"replaces": before},
                     after={"replaces": replaces}, note=reason)
        _tiles_refresh(by)
    return {"id": bim.pk, "replaces": replaces, "notes": notes}


@transaction.atomic
def bim_model_delete(*, bim: BimModel, by, reason) -> dict:
    """Delete a BIM model for ``reason`` (required): the city building it
    replaced is restored (a version in its history, by ``by``, with the
    reason), the model's elements go with it, its tiles are removed and the
    city tileset relinked once committed; audited."""
    reason = clean_reason(reason)
    bim = BimModel.objects.select_for_update().get(pk=bim.pk)
    replaced = bim.replaces_id
    notes = bim_link_building(bim, None, by=by, reason=f"the model was deleted: {reason}")
    audit_record(actor=by, action="bim.delete", obj=bim,
                 before={"name": bim.name, "file_name": bim.file_name, "replaces": replaced}, note=reason)
    pk = bim.pk
    bim.delete()
    bim_delete_files_on_commit(pk)
    if replaced is not None:
        _tiles_refresh(by)
    return {"id": pk, "restored": replaced, "notes": notes}


def city_tiles_refresh(*, by=None) -> str:
    """Re-encode the city tiles a BIM model changed (incremental build) and
    link the models; a sentence for the report."""
    from cim.services.tiles import tiles_build

    if current_build(Path(cim_settings.TILES_DIR)) is None:
        return "the city has no 3D Tiles yet: the model joins them at the first build_tiles"
    try:
        result = tiles_build(by=by)
    except (Conflict, DomainError) as exc:
        log.warning("city tiles not rebuilt after a BIM import: %s", exc)
        city_tiles_link_bim()
        return f"city tiles not rebuilt ({exc}); BIM models linked"
    if result.mode == "unchanged":
        city_tiles_link_bim()
    return f"city tiles: {result.mode}, {result.tiles_written} tiles written; BIM models linked"


