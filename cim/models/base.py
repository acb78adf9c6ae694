"""Fields shared by every record that came from a data source."""

from django.contrib.postgres.functions import TransactionNow
from django.db import models
from django.utils.translation import gettext_lazy as _


class SourcedModel(models.Model):
    """A record that knows where it came from.

    ``(source, source_id)`` is the key a re-import updates in place;
    ``synthetic`` marks generated demo data so that the UI can say so.
    """

    # Identifiers, compared byte by byte ("C"): the same order as the
    # codepoint order of C.UTF-8, without the locale's string comparison in
    # every lookup of the (source, source_id) key and every bulk load into it.
    source = models.CharField(_("来源"), max_length=64, db_collation="C")
    source_id = models.CharField(_("来源编号"), max_length=128, db_collation="C")
    synthetic = models.BooleanField(_("合成数据"), default=False)
    # Provenance, not indexed: records are looked up by their import run only
    # to count the placed ones after an import that had admin areas or a DEM
    # (bulk.placement_notes, one scan), and removing a run (never done by the
    # platform) scans too; an index would have to be kept up to date on every
    # load, or rebuilt after a first import.
    #
    # The reference is checked by PostgreSQL once per statement rather than
    # once per row: no foreign-key constraint (whose trigger runs a query and
    # takes a row lock for every row a bulk COPY writes) but statement
    # triggers (migration 0006_import_provenance) that check the distinct
    # runs a statement wrote, and lock them against deletion, in one query,
    # and refuse to delete or truncate a run that rows still name.  A
    # dangling run is refused either way (IntegrityError, SQLSTATE 23503).
    import_run = models.ForeignKey(
        "cim.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False,
        db_constraint=False,
    )
    # The database fills the times in too (the transaction's time, as the
    # imports' SQL writes them), so that bulk COPYs need not send them and
    # PostgreSQL need not parse them row by row.
    created_at = models.DateTimeField(auto_now_add=True, db_default=TransactionNow())
    updated_at = models.DateTimeField(auto_now=True, db_default=TransactionNow())

    class Meta:
        abstract = True
