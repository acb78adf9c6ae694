"""The import-run reference of sourced records (buildings, road nodes and
segments, service points, waterways) is checked by PostgreSQL once per
statement instead of once per row.

A foreign-key constraint runs a query and locks the referenced row for
every row written, which cost a bulk import ≈ 8 µs a row (33,000 rows for
Monaco).  Here the column keeps no constraint (``db_constraint=False``) and
statement triggers with transition tables enforce the same rule:

- after an INSERT or UPDATE of a sourced table, the distinct runs the
  statement wrote are looked up and locked (FOR KEY SHARE, as a foreign key
  does) in one query; a run that does not exist fails the statement with
  ``foreign_key_violation`` (SQLSTATE 23503), naming ``import_run_id``;
- deleting runs that rows still name, or truncating ``cim_importrun`` while
  such rows remain, fails the same way; a run's id cannot change.

Like the foreign keys these replace, the checks hold for every writer (the
ORM, raw SQL, COPY), whatever its role.  Unlike Django's keys (DEFERRABLE
INITIALLY DEFERRED) they are checked at the end of each statement, not at
commit: a run must exist before rows name it (the importers record the run
first, in a transaction of its own).
"""

import django.db.models.deletion
from django.db import migrations, models

SOURCED_TABLES = ["cim_building", "cim_roadnode", "cim_roadsegment", "cim_servicepoint", "cim_waterway"]

FUNCTIONS = r"""
CREATE FUNCTION cim_import_run_written() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  missing bigint;
BEGIN
  -- One query per statement: the distinct runs written, each looked up and
  -- locked against deletion until this transaction ends.
  SELECT n.run INTO missing
    FROM (SELECT DISTINCT import_run_id AS run FROM new_rows WHERE import_run_id IS NOT NULL) n
    LEFT JOIN LATERAL (SELECT r.id FROM cim_importrun r WHERE r.id = n.run FOR KEY SHARE) k ON true
   WHERE k.id IS NULL
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insert or update on table "%" violates the reference import_run_id → cim_importrun',
                    TG_TABLE_NAME
      USING ERRCODE = 'foreign_key_violation', TABLE = TG_TABLE_NAME, COLUMN = 'import_run_id',
            DETAIL = format('Key (import_run_id)=(%s) is not present in table "cim_importrun".', missing);
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION cim_import_run_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tbl text;
  named bigint;
BEGIN
  FOREACH tbl IN ARRAY TG_ARGV LOOP
    IF TG_OP = 'TRUNCATE' THEN
      EXECUTE format('SELECT import_run_id FROM %I WHERE import_run_id IS NOT NULL LIMIT 1', tbl) INTO named;
    ELSE
      EXECUTE format('SELECT t.import_run_id FROM %I t WHERE t.import_run_id IN (SELECT id FROM old_rows) '
                     'LIMIT 1', tbl) INTO named;
    END IF;
    IF named IS NOT NULL THEN
      RAISE EXCEPTION 'update or delete on table "cim_importrun" violates the reference import_run_id of "%"',
                      tbl
        USING ERRCODE = 'foreign_key_violation', TABLE = tbl, COLUMN = 'import_run_id',
              DETAIL = format('Key (id)=(%s) is still referenced from table "%s".', named, tbl);
    END IF;
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION cim_import_run_id_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the id of an import run cannot change' USING ERRCODE = 'foreign_key_violation',
        TABLE = 'cim_importrun', COLUMN = 'id';
END $$;
"""

_ARGS = ", ".join(f"'{table}'" for table in SOURCED_TABLES)
TRIGGERS = "\n".join(
    [
        f"""CREATE TRIGGER {table}_run_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION cim_import_run_written();
         CREATE TRIGGER {table}_run_update AFTER UPDATE ON {table} REFERENCING NEW TABLE AS new_rows
             FOR EACH STATEMENT EXECUTE FUNCTION cim_import_run_written();"""
        for table in SOURCED_TABLES
    ]
    + [
        f"""CREATE TRIGGER cim_importrun_delete AFTER DELETE ON cim_importrun
               REFERENCING OLD TABLE AS old_rows
               FOR EACH STATEMENT EXECUTE FUNCTION cim_import_run_removed({_ARGS});
           CREATE TRIGGER cim_importrun_truncate AFTER TRUNCATE ON cim_importrun
               FOR EACH STATEMENT EXECUTE FUNCTION cim_import_run_removed({_ARGS});
           CREATE TRIGGER cim_importrun_id BEFORE UPDATE OF id ON cim_importrun
               FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id)
               EXECUTE FUNCTION cim_import_run_id_fixed();"""
    ]
)

DROP = "\n".join(
    [
        f"DROP TRIGGER {table}_run_insert ON {table}; DROP TRIGGER {table}_run_update ON {table};"
        for table in SOURCED_TABLES
    ]
    + [
        "DROP TRIGGER cim_importrun_delete ON cim_importrun;",
        "DROP TRIGGER cim_importrun_truncate ON cim_importrun;",
        "DROP TRIGGER cim_importrun_id ON cim_importrun;",
        "DROP FUNCTION cim_import_run_written(); DROP FUNCTION cim_import_run_removed();",
        "DROP FUNCTION cim_import_run_id_fixed();",
    ]
)


def _field():
    return models.ForeignKey(
        blank=True,
        db_constraint=False,
        db_index=False,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to="cim.importrun",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cim", "0014_report_queue"),
    ]

    operations = [
        *(
            migrations.AlterField(model_name=model, name="import_run", field=_field())
            for model in ("building", "roadnode", "roadsegment", "servicepoint", "waterway")
        ),
        migrations.RunSQL(FUNCTIONS + TRIGGERS, reverse_sql=DROP),
    ]
