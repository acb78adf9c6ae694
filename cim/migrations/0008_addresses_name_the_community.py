"""Full names of existing addresses name the community, not its committee
(…莲园社区居委会友谊东街153号 → …莲园社区友谊东街153号), as new ones do since
cim.addresses.naming.place_name.  Forward only: the committee's name stays on the
admin area; reversing leaves the addresses as they are."""

from django.db import migrations


def rename(apps, schema_editor):
    from cim.addresses.naming import place_name

    AdminArea = apps.get_model("cim", "AdminArea")
    Address = apps.get_model("cim", "Address")
    if not Address.objects.exists():
        return
    table = Address._meta.db_table
    with schema_editor.connection.cursor() as cur:
        for area_id, name in AdminArea.objects.filter(level="community").values_list("id", "name"):
            place = place_name(name)
            if place != name:
                cur.execute(f"UPDATE {table} SET full_name = replace(full_name, %s, %s) "
                            "WHERE admin_area_id = %s AND strpos(full_name, %s) > 0",
                            [name, place, area_id, name])


class Migration(migrations.Migration):
    dependencies = [("cim", "0007_drop_redundant_source_indexes")]
    operations = [migrations.RunPython(rename, migrations.RunPython.noop)]
