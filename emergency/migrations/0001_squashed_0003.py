"""The emergency app's schema in one migration (the pre-release migrations
0001–0003 squashed; databases that applied them take this one as applied).

Besides the models: statement triggers that send change notices for the
in-memory dispatch picture (emergency.dispatch_state).  PostgreSQL delivers a
notice only when the writing transaction commits, whoever wrote; unit moves
(``last_position``) do not notify, the picture re-reads positions by age.
"""

import django.contrib.gis.db.models.fields
import django.contrib.postgres.indexes
import django.db.models.deletion
import django.utils.timezone
import emergency.models.incidents
from django.conf import settings
from django.db import migrations, models


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

    initial = True

    replaces = [
        ("emergency", "0001_initial"),
        ("emergency", "0002_positions"),
        ("emergency", "0003_dispatch_state_notify"),
    ]

    dependencies = [
        ('cim', '0001_squashed_0012'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Event',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('kind', models.CharField(db_index=True, max_length=48, verbose_name='类型')),
                ('payload', models.JSONField(default=dict, verbose_name='内容')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': '事件消息',
                'verbose_name_plural': '事件消息',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Item',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='物资编码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('unit_of_measure', models.CharField(default='件', max_length=16, verbose_name='计量单位')),
            ],
            options={
                'verbose_name': '物资品类',
                'verbose_name_plural': '物资品类',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Agency',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='机构编码')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('kind', models.CharField(choices=[('fire', '消防救援'), ('medical', '医疗急救'), ('police', '公安'), ('health', '卫生健康'), ('emergency_management', '应急管理'), ('other', '其他')], max_length=24, verbose_name='类别')),
                ('phone', models.CharField(blank=True, max_length=32, verbose_name='值班电话')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('admin_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.adminarea', verbose_name='辖区')),
            ],
            options={
                'verbose_name': '应急机构',
                'verbose_name_plural': '应急机构',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Camera',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='编码')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='位置')),
                ('stream_url', models.CharField(max_length=500, verbose_name='视频流地址')),
                ('protocol', models.CharField(choices=[('rtsp', 'RTSP'), ('hls', 'HLS'), ('flv', 'HTTP-FLV'), ('webrtc', 'WebRTC'), ('other', '其他')], default='hls', max_length=8, verbose_name='协议')),
                ('heading', models.FloatField(blank=True, null=True, verbose_name='朝向(度)')),
                ('active', models.BooleanField(default=True, verbose_name='在线')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('admin_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.adminarea')),
            ],
            options={
                'verbose_name': '视频监控',
                'verbose_name_plural': '视频监控',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Depot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='编码')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='位置')),
                ('address', models.CharField(blank=True, max_length=200, verbose_name='地址')),
                ('phone', models.CharField(blank=True, max_length=32, verbose_name='电话')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('admin_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.adminarea')),
            ],
            options={
                'verbose_name': '应急物资储备库',
                'verbose_name_plural': '应急物资储备库',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='Incident',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('number', models.CharField(blank=True, max_length=32, null=True, unique=True, verbose_name='事件编号')),
                ('title', models.CharField(max_length=200, verbose_name='标题')),
                ('description', models.TextField(blank=True, verbose_name='事件描述')),
                ('category', models.CharField(choices=[('natural_disaster', '自然灾害'), ('accident', '事故灾难'), ('public_health', '公共卫生事件'), ('social_security', '社会安全事件')], max_length=24, verbose_name='事件类别')),
                ('incident_type', models.CharField(choices=[('flood', '洪涝灾害'), ('earthquake', '地震'), ('landslide', '滑坡/泥石流'), ('forest_fire', '森林草原火灾'), ('snowstorm', '雪灾/冰冻'), ('fire', '火灾'), ('traffic_accident', '道路交通事故'), ('hazmat', '危险化学品事故'), ('gas_leak', '燃气泄漏'), ('building_collapse', '建筑坍塌'), ('utility_failure', '供水供电供气中断'), ('epidemic', '传染病疫情'), ('food_poisoning', '食物中毒'), ('medical', '院前急救'), ('public_order', '群体性事件'), ('crime', '刑事治安案件'), ('terrorism', '恐怖袭击'), ('other', '其他')], max_length=24, verbose_name='事件类型')),
                ('level', models.CharField(choices=[('I', '特别重大(Ⅰ级)'), ('II', '重大(Ⅱ级)'), ('III', '较大(Ⅲ级)'), ('IV', '一般(Ⅳ级)')], default='IV', max_length=3, verbose_name='响应级别')),
                ('status', models.CharField(choices=[('received', '已接报'), ('verified', '已核实'), ('dispatched', '已派遣'), ('on_scene', '到场处置'), ('contained', '已控制'), ('closed', '已结案'), ('cancelled', '已撤销'), ('merged', '已合并')], default='received', max_length=16, verbose_name='状态')),
                ('disposition', models.CharField(blank=True, choices=[('resolved', '处置完毕'), ('unfounded', '不实/误报'), ('referred', '移交其他部门')], max_length=16, verbose_name='结案方式')),
                ('status_reason', models.CharField(blank=True, max_length=500, verbose_name='状态说明')),
                ('source', models.CharField(choices=[('12345', '12345 政务服务热线'), ('110', '110 报警'), ('119', '119 火警'), ('120', '120 急救'), ('plate_report', '门牌扫码上报'), ('sensor', '传感器'), ('manual', '人工录入')], max_length=16, verbose_name='来源')),
                ('external_ref', models.CharField(blank=True, help_text='热线工单号、门牌上报查询码等', max_length=64, verbose_name='外部编号')),
                ('caller_name', models.CharField(blank=True, max_length=100, verbose_name='报警人')),
                ('caller_phone', models.CharField(blank=True, max_length=32, verbose_name='报警电话')),
                ('location', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='位置')),
                ('snapped_location', django.contrib.gis.db.models.fields.PointField(blank=True, null=True, srid=4326, verbose_name='路网吸附位置')),
                ('snap_distance_m', models.FloatField(blank=True, null=True, verbose_name='到路网距离(米)')),
                ('area', django.contrib.gis.db.models.fields.MultiPolygonField(blank=True, null=True, srid=4326, verbose_name='影响范围')),
                ('reported_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='接报时间')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('verified_at', models.DateTimeField(blank=True, null=True)),
                ('dispatched_at', models.DateTimeField(blank=True, null=True)),
                ('on_scene_at', models.DateTimeField(blank=True, null=True)),
                ('contained_at', models.DateTimeField(blank=True, null=True)),
                ('closed_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('address', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='incidents', to='cim.address', verbose_name='标准地址')),
                ('admin_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.adminarea', verbose_name='所在区划')),
                ('cameras', models.ManyToManyField(blank=True, related_name='incidents', to='emergency.camera')),
                ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('merged_into', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='merged_duplicates', to='emergency.incident', verbose_name='合并至')),
                ('road_segment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.roadsegment')),
            ],
            options={
                'verbose_name': '突发事件',
                'verbose_name_plural': '突发事件',
                'ordering': ['-reported_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ControlZone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tier', models.CharField(choices=[('sealed', '封控区'), ('controlled', '管控区'), ('prevention', '防范区')], max_length=16, verbose_name='管控等级')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(srid=4326, verbose_name='范围')),
                ('generated', models.BooleanField(default=False, verbose_name='按地址生成')),
                ('buffer_m', models.FloatField(blank=True, null=True, verbose_name='外扩距离(米)')),
                ('buildings_count', models.PositiveIntegerField(default=0, verbose_name='建筑数')),
                ('addresses_count', models.PositiveIntegerField(default=0, verbose_name='地址数')),
                ('people_estimate', models.PositiveIntegerField(default=0, verbose_name='估算人数')),
                ('status', models.CharField(choices=[('active', '生效'), ('lifted', '已解除')], default='active', max_length=8, verbose_name='状态')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('lifted_at', models.DateTimeField(blank=True, null=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('source_addresses', models.ManyToManyField(blank=True, related_name='+', to='cim.address')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='zones', to='emergency.incident')),
            ],
            options={
                'verbose_name': '管控区域',
                'verbose_name_plural': '管控区域',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Attachment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('photo', '照片'), ('video', '视频'), ('audio', '录音')], max_length=8, verbose_name='类型')),
                ('file', models.FileField(max_length=300, upload_to=emergency.models.incidents.attachment_path, verbose_name='文件')),
                ('content_type', models.CharField(max_length=64, verbose_name='媒体类型')),
                ('size_bytes', models.PositiveBigIntegerField(verbose_name='大小(字节)')),
                ('sha256', models.CharField(max_length=64)),
                ('original_name', models.CharField(blank=True, max_length=255, verbose_name='原文件名')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='说明')),
                ('uploaded_at', models.DateTimeField(auto_now_add=True)),
                ('uploaded_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='attachments', to='emergency.incident')),
            ],
            options={
                'verbose_name': '事件附件',
                'verbose_name_plural': '事件附件',
                'ordering': ['uploaded_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Alert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('identifier', models.CharField(max_length=40, unique=True, verbose_name='标识')),
                ('division_code', models.CharField(max_length=6, verbose_name='区划代码')),
                ('sender', models.CharField(max_length=200, verbose_name='发布者')),
                ('sender_name', models.CharField(max_length=200, verbose_name='发布单位')),
                ('sent', models.DateTimeField(verbose_name='发布时间')),
                ('status', models.CharField(choices=[('Actual', '实际'), ('Exercise', '演练'), ('System', '系统'), ('Test', '测试'), ('Draft', '草稿')], default='Actual', max_length=10)),
                ('msg_type', models.CharField(choices=[('Alert', '首次发布'), ('Update', '更新'), ('Cancel', '解除')], default='Alert', max_length=8)),
                ('category', models.CharField(choices=[('Geo', '地质'), ('Met', '气象'), ('Safety', '公共安全'), ('Security', '社会安全'), ('Rescue', '救援'), ('Fire', '火灾'), ('Health', '卫生'), ('Env', '环境'), ('Transport', '交通'), ('Infra', '基础设施'), ('CBRNE', '化生放核爆'), ('Other', '其他')], max_length=10)),
                ('event', models.CharField(max_length=100, verbose_name='事件')),
                ('urgency', models.CharField(choices=[('Immediate', '立即'), ('Expected', '预期'), ('Future', '将来'), ('Past', '已过去'), ('Unknown', '未知')], max_length=10)),
                ('severity', models.CharField(choices=[('Extreme', '特别严重(红色)'), ('Severe', '严重(橙色)'), ('Moderate', '较重(黄色)'), ('Minor', '一般(蓝色)'), ('Unknown', '未知')], max_length=10)),
                ('certainty', models.CharField(choices=[('Observed', '已发生'), ('Likely', '很可能'), ('Possible', '可能'), ('Unlikely', '不太可能'), ('Unknown', '未知')], max_length=10)),
                ('headline', models.CharField(max_length=200, verbose_name='标题')),
                ('description', models.TextField(verbose_name='内容')),
                ('instruction', models.TextField(blank=True, verbose_name='防御指南')),
                ('area_desc', models.CharField(max_length=300, verbose_name='区域描述')),
                ('area', django.contrib.gis.db.models.fields.MultiPolygonField(srid=4326, verbose_name='预警范围')),
                ('expires', models.DateTimeField(blank=True, null=True, verbose_name='失效时间')),
                ('xml', models.TextField(verbose_name='CAP 文档')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('issued_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('references', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='followups', to='emergency.alert')),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alerts', to='emergency.incident')),
            ],
            options={
                'verbose_name': '预警信息',
                'verbose_name_plural': '预警信息',
                'ordering': ['-sent', '-id'],
            },
        ),
        migrations.CreateModel(
            name='IncidentLevelChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_level', models.CharField(choices=[('I', '特别重大(Ⅰ级)'), ('II', '重大(Ⅱ级)'), ('III', '较大(Ⅲ级)'), ('IV', '一般(Ⅳ级)')], max_length=3)),
                ('to_level', models.CharField(choices=[('I', '特别重大(Ⅰ级)'), ('II', '重大(Ⅱ级)'), ('III', '较大(Ⅲ级)'), ('IV', '一般(Ⅳ级)')], max_length=3)),
                ('reason', models.CharField(max_length=500, verbose_name='原因')),
                ('changed_at', models.DateTimeField(auto_now_add=True)),
                ('changed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='level_changes', to='emergency.incident')),
            ],
            options={
                'verbose_name': '响应级别变更',
                'verbose_name_plural': '响应级别变更',
                'ordering': ['changed_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Plan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='预案编号')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('incident_type', models.CharField(choices=[('flood', '洪涝灾害'), ('earthquake', '地震'), ('landslide', '滑坡/泥石流'), ('forest_fire', '森林草原火灾'), ('snowstorm', '雪灾/冰冻'), ('fire', '火灾'), ('traffic_accident', '道路交通事故'), ('hazmat', '危险化学品事故'), ('gas_leak', '燃气泄漏'), ('building_collapse', '建筑坍塌'), ('utility_failure', '供水供电供气中断'), ('epidemic', '传染病疫情'), ('food_poisoning', '食物中毒'), ('medical', '院前急救'), ('public_order', '群体性事件'), ('crime', '刑事治安案件'), ('terrorism', '恐怖袭击'), ('other', '其他')], max_length=24, verbose_name='事件类型')),
                ('level', models.CharField(choices=[('I', '特别重大(Ⅰ级)'), ('II', '重大(Ⅱ级)'), ('III', '较大(Ⅲ级)'), ('IV', '一般(Ⅳ级)')], max_length=3, verbose_name='响应级别')),
                ('description', models.TextField(blank=True, verbose_name='说明')),
                ('checklist', models.JSONField(blank=True, default=list, verbose_name='处置事项')),
                ('active', models.BooleanField(default=True, verbose_name='启用')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('notify_agencies', models.ManyToManyField(blank=True, related_name='+', to='emergency.agency', verbose_name='通知单位')),
            ],
            options={
                'verbose_name': '应急预案',
                'verbose_name_plural': '应急预案',
                'ordering': ['incident_type', 'level', 'code'],
            },
        ),
        migrations.CreateModel(
            name='PlanActivation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('activated_at', models.DateTimeField(auto_now_add=True)),
                ('activated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='plan_activations', to='emergency.incident')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activations', to='emergency.plan')),
            ],
            options={
                'ordering': ['activated_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='DispatchRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('unit_type', models.CharField(choices=[('fire_engine', '消防车'), ('aerial_ladder', '云梯消防车'), ('ambulance', '救护车'), ('police_car', '警车'), ('rescue_team', '救援队'), ('epidemic_team', '防疫队'), ('hazmat', '危化品处置车'), ('command_vehicle', '指挥车'), ('other', '其他')], max_length=24, verbose_name='力量类型')),
                ('count', models.PositiveSmallIntegerField(verbose_name='数量')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='dispatch_requests', to='emergency.incident')),
                ('activation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='dispatch_requests', to='emergency.planactivation')),
            ],
            options={
                'ordering': ['created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PlanSupplyRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField(verbose_name='数量')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='emergency.item')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='supply_requirements', to='emergency.plan')),
            ],
        ),
        migrations.CreateModel(
            name='PlanUnitRequirement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('unit_type', models.CharField(choices=[('fire_engine', '消防车'), ('aerial_ladder', '云梯消防车'), ('ambulance', '救护车'), ('police_car', '警车'), ('rescue_team', '救援队'), ('epidemic_team', '防疫队'), ('hazmat', '危化品处置车'), ('command_vehicle', '指挥车'), ('other', '其他')], max_length=24, verbose_name='力量类型')),
                ('count', models.PositiveSmallIntegerField(verbose_name='数量')),
                ('plan', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='unit_requirements', to='emergency.plan')),
            ],
        ),
        migrations.CreateModel(
            name='RoadClosure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reason', models.CharField(choices=[('incident', '突发事件'), ('flood', '积水/洪水'), ('manual', '人工指令')], max_length=16, verbose_name='原因')),
                ('area', django.contrib.gis.db.models.fields.PolygonField(blank=True, null=True, srid=4326, verbose_name='封闭范围')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='说明')),
                ('starts_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='开始时间')),
                ('ends_at', models.DateTimeField(blank=True, null=True, verbose_name='预计结束')),
                ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='解除时间')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='road_closures', to='emergency.incident')),
                ('segments', models.ManyToManyField(related_name='+', to='cim.roadsegment', verbose_name='封闭路段')),
            ],
            options={
                'verbose_name': '道路封闭',
                'verbose_name_plural': '道路封闭',
                'ordering': ['-starts_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Stock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField(verbose_name='库存')),
                ('minimum', models.PositiveIntegerField(default=0, verbose_name='最低库存')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('depot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='stock', to='emergency.depot')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='stock', to='emergency.item')),
            ],
            options={
                'verbose_name': '库存',
                'verbose_name_plural': '库存',
                'ordering': ['depot', 'item'],
            },
        ),
        migrations.CreateModel(
            name='ReplenishmentAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity_at_alert', models.PositiveIntegerField()),
                ('minimum', models.PositiveIntegerField()),
                ('raised_at', models.DateTimeField(auto_now_add=True)),
                ('resolved_at', models.DateTimeField(blank=True, null=True)),
                ('stock', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='emergency.stock')),
            ],
            options={
                'verbose_name': '补库提醒',
                'verbose_name_plural': '补库提醒',
                'ordering': ['-raised_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SupplyRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('requested', '已申请'), ('committed', '已调拨'), ('shipped', '已发运'), ('received', '已接收'), ('cancelled', '已取消')], default='requested', max_length=16, verbose_name='状态')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='说明')),
                ('requested_at', models.DateTimeField(auto_now_add=True)),
                ('committed_at', models.DateTimeField(blank=True, null=True)),
                ('shipped_at', models.DateTimeField(blank=True, null=True)),
                ('received_at', models.DateTimeField(blank=True, null=True)),
                ('cancelled_at', models.DateTimeField(blank=True, null=True)),
                ('activation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='emergency.planactivation')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='supply_requests', to='emergency.incident')),
                ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '物资申请',
                'verbose_name_plural': '物资申请',
                'ordering': ['-requested_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='StockMovement',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('delta', models.IntegerField(verbose_name='变动')),
                ('quantity_after', models.PositiveIntegerField(verbose_name='变动后库存')),
                ('reason', models.CharField(choices=[('commit', '调拨出库'), ('release', '取消调拨回库'), ('restock', '补充入库'), ('adjust', '盘点调整')], max_length=16, verbose_name='原因')),
                ('at', models.DateTimeField(auto_now_add=True)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('depot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='emergency.depot')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='emergency.item')),
                ('request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='emergency.supplyrequest')),
            ],
            options={
                'verbose_name': '库存流水',
                'verbose_name_plural': '库存流水',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='SupplyRequestLine',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField(verbose_name='数量')),
                ('item', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='emergency.item')),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='lines', to='emergency.supplyrequest')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='SupplyAllocation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('quantity', models.PositiveIntegerField(verbose_name='数量')),
                ('eta_s', models.FloatField(blank=True, null=True, verbose_name='运输时间(秒)')),
                ('depot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='emergency.depot')),
                ('line', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='allocations', to='emergency.supplyrequestline')),
            ],
            options={
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='Task',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('checklist', '处置事项'), ('notify', '通知单位')], max_length=16, verbose_name='类型')),
                ('title', models.CharField(max_length=300, verbose_name='内容')),
                ('position', models.PositiveSmallIntegerField(default=0)),
                ('done', models.BooleanField(default=False, verbose_name='已完成')),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('activation', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tasks', to='emergency.planactivation')),
                ('agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='emergency.agency')),
                ('done_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='tasks', to='emergency.incident')),
            ],
            options={
                'verbose_name': '处置任务',
                'verbose_name_plural': '处置任务',
                'ordering': ['incident', 'position', 'id'],
            },
        ),
        migrations.CreateModel(
            name='TimelineEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('actor_label', models.CharField(max_length=150, verbose_name='操作者')),
                ('kind', models.CharField(choices=[('created', '接报'), ('status', '状态变更'), ('level', '响应级别变更'), ('edit', '信息修改'), ('note', '备注'), ('merge', '合并'), ('attachment', '附件'), ('camera', '视频关联'), ('plan', '预案启动'), ('task', '任务'), ('assignment', '派遣'), ('unit', '力量状态'), ('supply', '物资'), ('zone', '管控区域'), ('alert', '预警发布'), ('closure', '道路封闭')], max_length=16, verbose_name='类型')),
                ('text', models.CharField(max_length=1000, verbose_name='内容')),
                ('data', models.JSONField(blank=True, default=dict, verbose_name='数据')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='timeline', to='emergency.incident')),
            ],
            options={
                'verbose_name': '事件时间线',
                'verbose_name_plural': '事件时间线',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Unit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=32, unique=True, verbose_name='呼号')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('unit_type', models.CharField(choices=[('fire_engine', '消防车'), ('aerial_ladder', '云梯消防车'), ('ambulance', '救护车'), ('police_car', '警车'), ('rescue_team', '救援队'), ('epidemic_team', '防疫队'), ('hazmat', '危化品处置车'), ('command_vehicle', '指挥车'), ('other', '其他')], max_length=24, verbose_name='力量类型')),
                ('crew_size', models.PositiveSmallIntegerField(default=0, verbose_name='编制人数')),
                ('crew', models.JSONField(blank=True, default=list, verbose_name='人员')),
                ('status', models.CharField(choices=[('available', '可调派'), ('dispatched', '已派遣'), ('en_route', '出动途中'), ('on_scene', '到场'), ('returning', '返回中'), ('out_of_service', '停用/维修')], default='available', max_length=16, verbose_name='状态')),
                ('status_changed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='状态时间')),
                ('last_position', django.contrib.gis.db.models.fields.PointField(blank=True, null=True, srid=4326, verbose_name='最新位置')),
                ('last_position_at', models.DateTimeField(blank=True, null=True, verbose_name='定位时间')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='units', to='emergency.agency', verbose_name='所属机构')),
                ('home_station', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.servicepoint', verbose_name='驻地')),
                ('members', models.ManyToManyField(blank=True, related_name='units', to=settings.AUTH_USER_MODEL, verbose_name='队员账号')),
            ],
            options={
                'verbose_name': '应急力量',
                'verbose_name_plural': '应急力量',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='PositionReport',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('at', models.DateTimeField(verbose_name='定位时间')),
                ('received_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='接收时间')),
                ('geom', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='位置')),
                ('speed_kmh', models.FloatField(blank=True, null=True, verbose_name='速度(km/h)')),
                ('heading', models.FloatField(blank=True, null=True, verbose_name='航向(度)')),
                ('source', models.CharField(choices=[('http', 'HTTP 批量上报'), ('ws', 'WebSocket 上报'), ('sim', '模拟器'), ('api', '单条接口')], max_length=8, verbose_name='来源')),
                ('reported_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='上报账号')),
                ('unit', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='position_reports', to='emergency.unit', verbose_name='应急力量')),
            ],
            options={
                'verbose_name': '定位记录',
                'verbose_name_plural': '定位记录',
                'ordering': ['unit', 'at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Assignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('assigned_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('position_source', models.CharField(help_text='avl: 最新定位; station: 驻地', max_length=8, verbose_name='出发位置')),
                ('eta_s', models.FloatField(blank=True, null=True, verbose_name='预计到达(秒)')),
                ('distance_m', models.FloatField(blank=True, null=True, verbose_name='路程(米)')),
                ('route', django.contrib.gis.db.models.fields.LineStringField(blank=True, null=True, srid=4326, verbose_name='路线')),
                ('route_edge_ids', models.JSONField(blank=True, default=list)),
                ('released_at', models.DateTimeField(blank=True, null=True)),
                ('release_reason', models.CharField(blank=True, max_length=200)),
                ('assigned_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('dispatch_request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assignments', to='emergency.dispatchrequest')),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='emergency.incident')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='emergency.unit')),
            ],
            options={
                'verbose_name': '派遣',
                'verbose_name_plural': '派遣',
                'ordering': ['assigned_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='UnitStatusChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('from_status', models.CharField(choices=[('available', '可调派'), ('dispatched', '已派遣'), ('en_route', '出动途中'), ('on_scene', '到场'), ('returning', '返回中'), ('out_of_service', '停用/维修')], max_length=16)),
                ('to_status', models.CharField(choices=[('available', '可调派'), ('dispatched', '已派遣'), ('en_route', '出动途中'), ('on_scene', '到场'), ('returning', '返回中'), ('out_of_service', '停用/维修')], max_length=16)),
                ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                ('note', models.CharField(blank=True, max_length=500)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='emergency.incident')),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='status_changes', to='emergency.unit')),
            ],
            options={
                'verbose_name': '力量状态变更',
                'verbose_name_plural': '力量状态变更',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='camera',
            constraint=models.CheckConstraint(condition=models.Q(('heading__isnull', True), models.Q(('heading__gte', 0), ('heading__lt', 360)), _connector='OR'), name='camera_heading_range'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['status', 'level'], name='emergency_i_status_7b5d04_idx'),
        ),
        migrations.AddIndex(
            model_name='incident',
            index=models.Index(fields=['incident_type'], name='emergency_i_inciden_dbae10_idx'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'closed'), _negated=True), models.Q(('disposition', ''), _negated=True), _connector='OR'), name='incident_closed_has_disposition'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'merged'), ('merged_into__isnull', False)), models.Q(models.Q(('status', 'merged'), _negated=True), ('merged_into__isnull', True)), _connector='OR'), name='incident_merged_has_target'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.CheckConstraint(condition=models.Q(('merged_into', models.F('id')), _negated=True), name='incident_not_merged_into_self'),
        ),
        migrations.AddConstraint(
            model_name='incident',
            constraint=models.UniqueConstraint(condition=models.Q(('external_ref', ''), _negated=True), fields=('source', 'external_ref'), name='incident_source_external_ref'),
        ),
        migrations.AddConstraint(
            model_name='controlzone',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'lifted'), ('lifted_at__isnull', False)), models.Q(('status', 'active'), ('lifted_at__isnull', True)), _connector='OR'), name='zone_lifted_has_time'),
        ),
        migrations.AddConstraint(
            model_name='controlzone',
            constraint=models.CheckConstraint(condition=models.Q(('buffer_m__isnull', True), models.Q(('buffer_m__gte', 0), ('buffer_m__lte', 5000)), _connector='OR'), name='zone_buffer_range'),
        ),
        migrations.AddConstraint(
            model_name='attachment',
            constraint=models.CheckConstraint(condition=models.Q(('size_bytes__gt', 0)), name='attachment_size_positive'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.CheckConstraint(condition=models.Q(('division_code__regex', '^[0-9]{6}$')), name='alert_division_code_digits'),
        ),
        migrations.AddConstraint(
            model_name='alert',
            constraint=models.CheckConstraint(condition=models.Q(('identifier__regex', '^[0-9]{14}_[0-9]{14}_[0-9]$')), name='alert_identifier_format'),
        ),
        migrations.AddConstraint(
            model_name='incidentlevelchange',
            constraint=models.CheckConstraint(condition=models.Q(('from_level', models.F('to_level')), _negated=True), name='levelchange_differs'),
        ),
        migrations.AddConstraint(
            model_name='plan',
            constraint=models.UniqueConstraint(condition=models.Q(('active', True)), fields=('incident_type', 'level'), name='plan_one_active_per_type_level'),
        ),
        migrations.AddConstraint(
            model_name='planactivation',
            constraint=models.UniqueConstraint(fields=('incident', 'plan'), name='activation_once_per_incident_plan'),
        ),
        migrations.AddConstraint(
            model_name='dispatchrequest',
            constraint=models.CheckConstraint(condition=models.Q(('count__gte', 1), ('count__lte', 100)), name='dispatchrequest_count_range'),
        ),
        migrations.AddConstraint(
            model_name='plansupplyrequirement',
            constraint=models.UniqueConstraint(fields=('plan', 'item'), name='plansupply_once_per_item'),
        ),
        migrations.AddConstraint(
            model_name='plansupplyrequirement',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='plansupply_quantity_positive'),
        ),
        migrations.AddConstraint(
            model_name='planunitrequirement',
            constraint=models.UniqueConstraint(fields=('plan', 'unit_type'), name='planunit_once_per_type'),
        ),
        migrations.AddConstraint(
            model_name='planunitrequirement',
            constraint=models.CheckConstraint(condition=models.Q(('count__gte', 1), ('count__lte', 100)), name='planunit_count_range'),
        ),
        migrations.AddConstraint(
            model_name='roadclosure',
            constraint=models.CheckConstraint(condition=models.Q(('ends_at__isnull', True), ('ends_at__gt', models.F('starts_at')), _connector='OR'), name='closure_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='stock',
            constraint=models.UniqueConstraint(fields=('depot', 'item'), name='stock_depot_item'),
        ),
        migrations.AddConstraint(
            model_name='stock',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 0)), name='stock_quantity_nonnegative'),
        ),
        migrations.AddConstraint(
            model_name='stock',
            constraint=models.CheckConstraint(condition=models.Q(('minimum__gte', 0)), name='stock_minimum_nonnegative'),
        ),
        migrations.AddConstraint(
            model_name='replenishmentalert',
            constraint=models.UniqueConstraint(condition=models.Q(('resolved_at__isnull', True)), fields=('stock',), name='replenishment_one_open_per_stock'),
        ),
        migrations.AddConstraint(
            model_name='supplyrequestline',
            constraint=models.UniqueConstraint(fields=('request', 'item'), name='requestline_once_per_item'),
        ),
        migrations.AddConstraint(
            model_name='supplyrequestline',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='requestline_quantity_positive'),
        ),
        migrations.AddConstraint(
            model_name='supplyallocation',
            constraint=models.CheckConstraint(condition=models.Q(('quantity__gte', 1)), name='allocation_quantity_positive'),
        ),
        migrations.AddConstraint(
            model_name='task',
            constraint=models.CheckConstraint(condition=models.Q(('done', False), ('done_at__isnull', False), _connector='OR'), name='task_done_has_time'),
        ),
        migrations.AddIndex(
            model_name='unit',
            index=models.Index(fields=['unit_type', 'status'], name='emergency_u_unit_ty_ec749c_idx'),
        ),
        migrations.AddConstraint(
            model_name='unit',
            constraint=models.CheckConstraint(condition=models.Q(('crew_size__lte', 100)), name='unit_crew_size_range'),
        ),
        migrations.AddConstraint(
            model_name='unit',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('last_position__isnull', True), ('last_position_at__isnull', True)), models.Q(('last_position__isnull', False), ('last_position_at__isnull', False)), _connector='OR'), name='unit_position_has_time'),
        ),
        migrations.AddIndex(
            model_name='positionreport',
            index=models.Index(fields=['unit', 'at'], name='positionreport_unit_at'),
        ),
        migrations.AddIndex(
            model_name='positionreport',
            index=django.contrib.postgres.indexes.BrinIndex(fields=['received_at'], name='positionreport_received_brin'),
        ),
        migrations.AddConstraint(
            model_name='positionreport',
            constraint=models.CheckConstraint(condition=models.Q(('heading__isnull', True), models.Q(('heading__gte', 0), ('heading__lt', 360)), _connector='OR'), name='positionreport_heading_range'),
        ),
        migrations.AddConstraint(
            model_name='positionreport',
            constraint=models.CheckConstraint(condition=models.Q(('speed_kmh__isnull', True), models.Q(('speed_kmh__gte', 0), ('speed_kmh__lte', 1000)), _connector='OR'), name='positionreport_speed_range'),
        ),
        migrations.AddConstraint(
            model_name='assignment',
            constraint=models.UniqueConstraint(condition=models.Q(('released_at__isnull', True)), fields=('unit',), name='assignment_one_active_per_unit'),
        ),
        migrations.AddConstraint(
            model_name='assignment',
            constraint=models.CheckConstraint(condition=models.Q(('released_at__isnull', True), ('released_at__gte', models.F('assigned_at')), _connector='OR'), name='assignment_released_after_assigned'),
        ),
        migrations.RunSQL(_create(), _drop()),
    ]
