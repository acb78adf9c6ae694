"""The report queue (issue 12): SLA clocks (first response, closing), the incident a
report became, and who wrote each event.  Existing reports get their clocks from
their events."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cim', '0013_analyses'),
    ]

    operations = [
        migrations.AddField(
            model_name='publicreport',
            name='acknowledged_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='首次响应时间'),
        ),
        migrations.AddField(
            model_name='publicreport',
            name='closed_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='办结时间'),
        ),
        migrations.AddField(
            model_name='publicreport',
            name='incident_number',
            field=models.CharField(blank=True, max_length=32, verbose_name='转办事件编号'),
        ),
        migrations.AddField(
            model_name='publicreportevent',
            name='actor',
            field=models.CharField(blank=True, max_length=150, verbose_name='操作人'),
        ),
        migrations.RunSQL(
            sql=[
                """UPDATE cim_publicreport r SET acknowledged_at = (
                       SELECT min(e.at) FROM cim_publicreportevent e
                       WHERE e.report_id = r.id AND e.status <> 'new')""",
                """UPDATE cim_publicreport r SET closed_at = (
                       SELECT max(e.at) FROM cim_publicreportevent e
                       WHERE e.report_id = r.id AND e.status IN ('resolved', 'rejected'))
                   WHERE r.status IN ('resolved', 'rejected')""",
            ],
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
