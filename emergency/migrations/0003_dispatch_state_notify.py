"""Change notices for the in-memory dispatch picture (emergency.dispatch_state).

Statement triggers on the tables a recommendation reads call
``pg_notify('emergency_dispatch_state', <table>)``.  PostgreSQL delivers a
notice only when the writing transaction commits (and once per distinct
payload per transaction), whoever wrote: a service, the admin, an import or
raw SQL.  Moves of units (``last_position``, ``last_position_at``, written by
the position ingestion at most once a second per unit) do not notify: the
picture re-reads positions by age instead, so live tracking does not
invalidate it twenty times a second.
"""

from django.db import migrations

CHANNEL = "emergency_dispatch_state"

FUNCTION = f"""
CREATE OR REPLACE FUNCTION emergency_dispatch_state_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
"""

# (table, trigger name suffix, events)
TRIGGERS = [
    ("emergency_unit", "ins_del", "INSERT OR DELETE OR TRUNCATE"),
    ("emergency_unit", "upd", "UPDATE OF status, unit_type, agency_id, home_station_id, code, name"),
    ("emergency_agency", "all", "INSERT OR DELETE OR TRUNCATE OR UPDATE OF name"),
    ("emergency_assignment", "all", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("emergency_roadclosure", "all", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("emergency_roadclosure_segments", "all", "INSERT OR UPDATE OR DELETE OR TRUNCATE"),
    ("cim_servicepoint", "all", "INSERT OR DELETE OR TRUNCATE OR UPDATE OF geom"),
]


def _create() -> str:
    parts = [FUNCTION]
    for table, suffix, events in TRIGGERS:
        parts.append(f"CREATE TRIGGER {table}_dispatch_notify_{suffix} AFTER {events} ON {table} "
                     f"FOR EACH STATEMENT EXECUTE FUNCTION emergency_dispatch_state_notify();")
    return "\n".join(parts)


def _drop() -> str:
    parts = [f"DROP TRIGGER IF EXISTS {table}_dispatch_notify_{suffix} ON {table};"
             for table, suffix, _ in TRIGGERS]
    parts.append("DROP FUNCTION IF EXISTS emergency_dispatch_state_notify();")
    return "\n".join(parts)


class Migration(migrations.Migration):

    dependencies = [
        ("emergency", "0002_positions"),
        ("cim", "0008_addresses_name_the_community"),
    ]

    operations = [migrations.RunSQL(_create(), _drop())]
