"""The city model's schema in one migration (the pre-release migrations
0001–0012 squashed; databases that applied them take this one as applied).

Self-contained: the trigram extension, the platform's role groups, and the
models as they stand; no live application code is imported.
"""

import django.contrib.gis.db.models.fields
import django.contrib.postgres.functions
import django.contrib.postgres.indexes
import django.db.models.deletion
from django.conf import settings
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models


ROLES = ("admin", "planner", "commander", "dispatcher", "responder")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ("cim", "0001_initial"),
        ("cim", "0002_extensions_and_roles"),
        ("cim", "0003_addresses"),
        ("cim", "0004_plates_reports_service_items"),
        ("cim", "0005_water"),
        ("cim", "0006_address_public_trgm"),
        ("cim", "0007_drop_redundant_source_indexes"),
        ("cim", "0008_addresses_name_the_community"),
        ("cim", "0009_building_centroid_no_spatial_index"),
        ("cim", "0010_sourced_times_default_now"),
        ("cim", "0011_source_ids_byte_order"),
        ("cim", "0012_import_run_not_indexed"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        TrigramExtension(),
        migrations.CreateModel(
            name='GuideQuestion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='编码')),
                ('text', models.CharField(max_length=200, verbose_name='问题')),
                ('text_en', models.CharField(max_length=250, verbose_name='问题(英文)')),
                ('root', models.BooleanField(default=False, verbose_name='起始问题')),
            ],
            options={
                'verbose_name': '导办问题',
                'verbose_name_plural': '导办问题',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='ServiceItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.SlugField(max_length=40, unique=True, verbose_name='事项编码')),
                ('name', models.CharField(max_length=100, verbose_name='事项名称')),
                ('name_en', models.CharField(max_length=150, verbose_name='英文名称')),
                ('department', models.CharField(max_length=100, verbose_name='主管部门')),
                ('department_en', models.CharField(blank=True, max_length=150, verbose_name='主管部门(英文)')),
                ('hall_category', models.CharField(choices=[('gov_service_hall', '政务服务大厅'), ('community_centre', '社区服务中心'), ('hospital', '医院'), ('clinic', '诊所/卫生服务站'), ('fire_station', '消防站'), ('police_station', '派出所/警务站'), ('school', '学校'), ('kindergarten', '幼儿园'), ('shelter', '应急避难场所'), ('pharmacy', '药店'), ('other', '其他')], max_length=32, verbose_name='办理场所类别')),
                ('materials', models.JSONField(default=list, help_text='[{"zh": "身份证", "en": "ID card"}, …]', verbose_name='所需材料')),
                ('hours', models.CharField(max_length=120, verbose_name='办理时间')),
                ('hours_en', models.CharField(blank=True, max_length=160, verbose_name='办理时间(英文)')),
                ('time_limit', models.CharField(blank=True, max_length=60, verbose_name='办理时限')),
                ('time_limit_en', models.CharField(blank=True, max_length=80, verbose_name='办理时限(英文)')),
                ('sort', models.PositiveSmallIntegerField(default=100, verbose_name='排序')),
            ],
            options={
                'verbose_name': '服务事项',
                'verbose_name_plural': '服务事项',
                'ordering': ['sort', 'code'],
            },
        ),
        migrations.CreateModel(
            name='AdminArea',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=12, unique=True, verbose_name='区划代码')),
                ('name', models.CharField(max_length=100, verbose_name='名称')),
                ('name_en', models.CharField(blank=True, max_length=100, verbose_name='英文名称')),
                ('level', models.CharField(choices=[('province', '省'), ('city', '市'), ('district', '区/县'), ('street', '街道/乡镇'), ('community', '社区/村')], max_length=16, verbose_name='级别')),
                ('boundary', django.contrib.gis.db.models.fields.MultiPolygonField(blank=True, null=True, srid=4326, verbose_name='边界')),
                ('boundary_synthetic', models.BooleanField(default=False, help_text='演示城市中社区边界是生成的；区县边界来自真实数据。', verbose_name='边界为合成数据')),
                ('boundary_source', models.CharField(blank=True, max_length=200, verbose_name='边界来源')),
                ('contact_phone', models.CharField(blank=True, max_length=32, verbose_name='联系电话')),
                ('office_address', models.CharField(blank=True, max_length=200, verbose_name='办公地址')),
                ('population', models.PositiveIntegerField(blank=True, null=True, verbose_name='人口')),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='cim.adminarea')),
            ],
            options={
                'verbose_name': '行政区划',
                'verbose_name_plural': '行政区划',
                'ordering': ['code'],
            },
        ),
        migrations.CreateModel(
            name='AuditLog',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='时间')),
                ('actor_label', models.CharField(max_length=150, verbose_name='操作者')),
                ('action', models.CharField(db_index=True, max_length=64, verbose_name='操作')),
                ('object_type', models.CharField(max_length=64, verbose_name='对象类型')),
                ('object_id', models.CharField(blank=True, max_length=64, verbose_name='对象编号')),
                ('before', models.JSONField(blank=True, null=True, verbose_name='变更前')),
                ('after', models.JSONField(blank=True, null=True, verbose_name='变更后')),
                ('note', models.CharField(blank=True, max_length=500, verbose_name='备注')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '审计日志',
                'verbose_name_plural': '审计日志',
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='Building',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(db_collation='C', max_length=64, verbose_name='来源')),
                ('source_id', models.CharField(db_collation='C', max_length=128, verbose_name='来源编号')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('updated_at', models.DateTimeField(auto_now=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('name', models.CharField(blank=True, max_length=200, verbose_name='名称')),
                ('footprint', django.contrib.gis.db.models.fields.MultiPolygonField(srid=4326, verbose_name='基底轮廓')),
                ('centroid', django.contrib.gis.db.models.fields.PointField(spatial_index=False, srid=4326, verbose_name='中心点')),
                ('height', models.FloatField(verbose_name='高度(米)')),
                ('height_source', models.CharField(choices=[('measured', '实测/数据给定'), ('levels', '按层数推算'), ('model', '三维模型'), ('estimated', '估算')], default='measured', max_length=16, verbose_name='高度来源')),
                ('floors', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='层数')),
                ('use', models.CharField(choices=[('residential', '住宅'), ('commercial', '商业'), ('office', '办公'), ('public', '公共服务'), ('education', '教育'), ('healthcare', '医疗'), ('industrial', '工业'), ('religious', '宗教'), ('transport', '交通'), ('agricultural', '农业'), ('other', '其他')], default='other', max_length=16, verbose_name='用途')),
                ('year_built', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='建成年份')),
                ('base_elevation', models.FloatField(blank=True, null=True, verbose_name='基底高程(米)')),
                ('lod', models.PositiveSmallIntegerField(default=1, verbose_name='细节层次')),
                ('solid', models.JSONField(blank=True, null=True, verbose_name='三维实体')),
                ('tags', models.JSONField(blank=True, default=dict, verbose_name='原始属性')),
                ('admin_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='buildings', to='cim.adminarea', verbose_name='所在区划')),
            ],
            options={
                'verbose_name': '建筑',
                'verbose_name_plural': '建筑',
            },
        ),
        migrations.CreateModel(
            name='Address',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('thoroughfare', '道路/街巷'), ('door', '门牌'), ('building', '楼栋'), ('unit', '单元'), ('room', '户室')], max_length=16, verbose_name='类型')),
                ('label', models.CharField(help_text='如 民主路、12号、3单元、502室', max_length=100, verbose_name='本级名称')),
                ('number', models.PositiveIntegerField(blank=True, null=True, verbose_name='号')),
                ('suffix', models.CharField(blank=True, default='', max_length=1, verbose_name='附号')),
                ('serial', models.PositiveSmallIntegerField(blank=True, help_text='道路在区县内的编号，用于地址编码', null=True, verbose_name='道路序号')),
                ('full_name', models.CharField(max_length=300, verbose_name='标准地址')),
                ('code', models.CharField(max_length=40, unique=True, verbose_name='地址编码')),
                ('plus_code', models.CharField(blank=True, max_length=16, verbose_name='开放位置码')),
                ('status', models.CharField(choices=[('planned', '规划'), ('current', '现行'), ('retired', '废止')], default='current', max_length=16, verbose_name='状态')),
                ('position', django.contrib.gis.db.models.fields.PointField(blank=True, null=True, srid=4326, verbose_name='位置')),
                ('position_kind', models.CharField(choices=[('entrance', '出入口'), ('building', '建筑中心'), ('segment', '道路中线'), ('assigned', '人工指定')], default='entrance', max_length=16, verbose_name='位置含义')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('source', models.CharField(default='manual', max_length=64, verbose_name='来源')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('parent', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='children', to='cim.address')),
                ('admin_area', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='addresses', to='cim.adminarea', verbose_name='所属社区/区划')),
                ('building', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='addresses', to='cim.building')),
            ],
            options={
                'verbose_name': '标准地址',
                'verbose_name_plural': '标准地址',
            },
        ),
        migrations.CreateModel(
            name='ImportRun',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('osm', 'OpenStreetMap PBF'), ('vector', '矢量数据 (GDAL)'), ('cityjson', 'CityJSON'), ('dem', '数字高程模型'), ('demo', '天水演示城市')], max_length=16, verbose_name='类型')),
                ('source_name', models.CharField(max_length=500, verbose_name='文件')),
                ('checksum', models.CharField(blank=True, db_index=True, max_length=64, verbose_name='SHA-256')),
                ('file_size', models.BigIntegerField(blank=True, null=True, verbose_name='文件大小')),
                ('status', models.CharField(choices=[('running', '进行中'), ('succeeded', '成功'), ('failed', '失败')], default='running', max_length=16, verbose_name='状态')),
                ('started_at', models.DateTimeField(auto_now_add=True, verbose_name='开始时间')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='结束时间')),
                ('counts', models.JSONField(blank=True, default=dict, verbose_name='各图层数量')),
                ('options', models.JSONField(blank=True, default=dict, verbose_name='参数')),
                ('message', models.TextField(blank=True, verbose_name='信息')),
                ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': '导入记录',
                'verbose_name_plural': '导入记录',
                'ordering': ['-started_at'],
            },
        ),
        migrations.CreateModel(
            name='DemRaster',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('path', models.CharField(max_length=500, unique=True, verbose_name='文件')),
                ('source_name', models.CharField(max_length=500, verbose_name='原始文件')),
                ('checksum', models.CharField(db_index=True, max_length=64, verbose_name='SHA-256')),
                ('crs', models.CharField(max_length=64, verbose_name='坐标系')),
                ('vertical_datum', models.CharField(choices=[('egm96', 'EGM96 正高'), ('ellipsoid', '椭球高')], default='egm96', max_length=16, verbose_name='高程基准')),
                ('bounds', django.contrib.gis.db.models.fields.PolygonField(srid=4326, verbose_name='范围')),
                ('width', models.PositiveIntegerField()),
                ('height', models.PositiveIntegerField()),
                ('resolution_m', models.FloatField(verbose_name='分辨率(米)')),
                ('nodata', models.FloatField(blank=True, null=True)),
                ('min_elevation', models.FloatField(blank=True, null=True)),
                ('max_elevation', models.FloatField(blank=True, null=True)),
                ('priority', models.SmallIntegerField(default=0, verbose_name='优先级')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('import_run', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.importrun')),
            ],
            options={
                'verbose_name': '数字高程模型',
                'verbose_name_plural': '数字高程模型',
                'ordering': ['-priority', 'resolution_m'],
            },
        ),
        migrations.AddField(
            model_name='building',
            name='import_run',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.importrun'),
        ),
        migrations.CreateModel(
            name='Plate',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('code', models.CharField(max_length=11, unique=True, verbose_name='门牌码')),
                ('status', models.CharField(choices=[('issued', '已制发'), ('installed', '已安装'), ('damaged', '损坏'), ('replaced', '已更换'), ('retired', '已注销')], default='issued', max_length=16, verbose_name='状态')),
                ('size', models.CharField(choices=[('large', '大号 (二维码120毫米)'), ('medium', '中号 (二维码75毫米)'), ('small', '小号 (二维码40毫米)')], default='medium', max_length=8, verbose_name='规格')),
                ('issued_at', models.DateTimeField(auto_now_add=True, verbose_name='制发时间')),
                ('installed_at', models.DateTimeField(blank=True, null=True, verbose_name='安装时间')),
                ('status_changed_at', models.DateTimeField(auto_now_add=True, verbose_name='状态变更时间')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='备注')),
                ('address', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='plates', to='cim.address', verbose_name='标准地址')),
                ('issued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('replaced_by', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='replaces', to='cim.plate', verbose_name='替换为')),
            ],
            options={
                'verbose_name': '门牌',
                'verbose_name_plural': '门牌',
            },
        ),
        migrations.CreateModel(
            name='PlateAlert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('scan_spike', '扫码量突增'), ('resident_flag', '群众反映门牌可疑')], max_length=16, verbose_name='类型')),
                ('status', models.CharField(choices=[('open', '待处理'), ('closed', '已处理')], default='open', max_length=8, verbose_name='状态')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                ('detail', models.JSONField(blank=True, default=dict, verbose_name='详情')),
                ('comment', models.CharField(blank=True, max_length=500, verbose_name='群众说明')),
                ('client_hash', models.CharField(blank=True, max_length=64, verbose_name='客户端摘要')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='处理时间')),
                ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('plate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='alerts', to='cim.plate')),
            ],
            options={
                'verbose_name': '门牌告警',
                'verbose_name_plural': '门牌告警',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='PlateEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                ('from_status', models.CharField(blank=True, max_length=16, verbose_name='原状态')),
                ('to_status', models.CharField(choices=[('issued', '已制发'), ('installed', '已安装'), ('damaged', '损坏'), ('replaced', '已更换'), ('retired', '已注销')], max_length=16, verbose_name='新状态')),
                ('note', models.CharField(blank=True, max_length=300, verbose_name='备注')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('plate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cim.plate')),
            ],
            options={
                'verbose_name': '门牌状态变更',
                'verbose_name_plural': '门牌状态变更',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='PlateScanDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(verbose_name='日期')),
                ('scans', models.PositiveIntegerField(default=0, verbose_name='扫码次数')),
                ('clients', models.PositiveIntegerField(default=0, verbose_name='独立访客(估计)')),
                ('plate', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='scan_days', to='cim.plate')),
            ],
            options={
                'verbose_name': '门牌扫码统计',
                'verbose_name_plural': '门牌扫码统计',
                'ordering': ['-day'],
            },
        ),
        migrations.CreateModel(
            name='PublicReport',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('tracking_code', models.CharField(max_length=9, unique=True, verbose_name='查询码')),
                ('position', django.contrib.gis.db.models.fields.PointField(blank=True, null=True, srid=4326, verbose_name='位置')),
                ('category', models.CharField(choices=[('road', '道路与井盖'), ('lighting', '路灯照明'), ('sanitation', '环境卫生'), ('water', '供水排水'), ('safety', '安全隐患'), ('noise', '噪声扰民'), ('plate', '门牌问题'), ('other', '其他')], max_length=16, verbose_name='类别')),
                ('description', models.TextField(max_length=2000, verbose_name='问题描述')),
                ('photo', models.FileField(blank=True, upload_to='reports/%Y/%m/', verbose_name='照片')),
                ('reporter_name', models.CharField(blank=True, max_length=50, verbose_name='联系人')),
                ('reporter_phone', models.CharField(blank=True, max_length=20, verbose_name='联系电话')),
                ('client_hash', models.CharField(blank=True, max_length=64, verbose_name='客户端摘要')),
                ('language', models.CharField(default='zh-hans', max_length=8, verbose_name='语言')),
                ('status', models.CharField(choices=[('new', '已受理'), ('claimed', '处理人已认领'), ('in_progress', '处理中'), ('resolved', '已办结'), ('rejected', '不予受理')], default='new', max_length=16, verbose_name='状态')),
                ('claimed_at', models.DateTimeField(blank=True, null=True, verbose_name='认领时间')),
                ('public_reply', models.CharField(blank=True, max_length=500, verbose_name='答复')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_index=True, verbose_name='提交时间')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                ('address', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='cim.address', verbose_name='地址')),
                ('claimed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='认领人')),
                ('plate', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='reports', to='cim.plate')),
            ],
            options={
                'verbose_name': '群众上报',
                'verbose_name_plural': '群众上报',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='PublicReportEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(auto_now_add=True, verbose_name='时间')),
                ('status', models.CharField(choices=[('new', '已受理'), ('claimed', '处理人已认领'), ('in_progress', '处理中'), ('resolved', '已办结'), ('rejected', '不予受理')], max_length=16, verbose_name='状态')),
                ('public_note', models.CharField(blank=True, max_length=500, verbose_name='公开说明')),
                ('report', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cim.publicreport')),
            ],
            options={
                'verbose_name': '上报处理记录',
                'verbose_name_plural': '上报处理记录',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='RejectedFeature',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('layer', models.CharField(max_length=32, verbose_name='图层')),
                ('source_id', models.CharField(blank=True, max_length=128, verbose_name='来源编号')),
                ('reason', models.CharField(max_length=64, verbose_name='原因')),
                ('detail', models.TextField(blank=True, verbose_name='说明')),
                ('run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rejections', to='cim.importrun')),
            ],
            options={
                'verbose_name': '被拒要素',
                'verbose_name_plural': '被拒要素',
                'ordering': ['id'],
            },
        ),
        migrations.CreateModel(
            name='RoadNode',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(db_collation='C', max_length=64, verbose_name='来源')),
                ('source_id', models.CharField(db_collation='C', max_length=128, verbose_name='来源编号')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('updated_at', models.DateTimeField(auto_now=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='位置')),
                ('import_run', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.importrun')),
            ],
            options={
                'verbose_name': '路网节点',
                'verbose_name_plural': '路网节点',
            },
        ),
        migrations.CreateModel(
            name='RoadSegment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(db_collation='C', max_length=64, verbose_name='来源')),
                ('source_id', models.CharField(db_collation='C', max_length=128, verbose_name='来源编号')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('updated_at', models.DateTimeField(auto_now=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('name', models.CharField(blank=True, max_length=200, verbose_name='道路名称')),
                ('geom', django.contrib.gis.db.models.fields.LineStringField(srid=4326, verbose_name='几何')),
                ('road_class', models.CharField(choices=[('motorway', '高速公路'), ('trunk', '快速路'), ('primary', '主干路'), ('secondary', '次干路'), ('tertiary', '支路'), ('residential', '居住区道路'), ('service', '服务道路'), ('unclassified', '其他道路'), ('link', '匝道'), ('pedestrian', '步行道'), ('track', '机耕路')], default='unclassified', max_length=16, verbose_name='道路等级')),
                ('speed_kmh', models.FloatField(verbose_name='限速(公里/小时)')),
                ('speed_from_tag', models.BooleanField(default=False, verbose_name='限速来自数据')),
                ('oneway', models.BooleanField(default=False, verbose_name='单行')),
                ('lanes', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='车道数')),
                ('closed', models.BooleanField(default=False, verbose_name='封闭')),
                ('bridge', models.BooleanField(default=False, verbose_name='桥梁')),
                ('tunnel', models.BooleanField(default=False, verbose_name='隧道')),
                ('length_m', models.FloatField(verbose_name='长度(米)')),
                ('tags', models.JSONField(blank=True, default=dict, verbose_name='原始属性')),
                ('from_node', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cim.roadnode')),
                ('import_run', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.importrun')),
                ('to_node', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cim.roadnode')),
            ],
            options={
                'verbose_name': '路段',
                'verbose_name_plural': '路段',
            },
        ),
        migrations.AddField(
            model_name='address',
            name='road',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.roadsegment'),
        ),
        migrations.CreateModel(
            name='GuideOption',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('label', models.CharField(max_length=100, verbose_name='选项')),
                ('label_en', models.CharField(max_length=150, verbose_name='选项(英文)')),
                ('sort', models.PositiveSmallIntegerField(default=0)),
                ('next_question', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cim.guidequestion')),
                ('question', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='options', to='cim.guidequestion')),
                ('item', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='cim.serviceitem')),
            ],
            options={
                'verbose_name': '导办选项',
                'verbose_name_plural': '导办选项',
                'ordering': ['sort', 'id'],
            },
        ),
        migrations.CreateModel(
            name='ServicePoint',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(db_collation='C', max_length=64, verbose_name='来源')),
                ('source_id', models.CharField(db_collation='C', max_length=128, verbose_name='来源编号')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('updated_at', models.DateTimeField(auto_now=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('name', models.CharField(max_length=200, verbose_name='名称')),
                ('name_en', models.CharField(blank=True, max_length=200, verbose_name='英文名称')),
                ('category', models.CharField(choices=[('gov_service_hall', '政务服务大厅'), ('community_centre', '社区服务中心'), ('hospital', '医院'), ('clinic', '诊所/卫生服务站'), ('fire_station', '消防站'), ('police_station', '派出所/警务站'), ('school', '学校'), ('kindergarten', '幼儿园'), ('shelter', '应急避难场所'), ('pharmacy', '药店'), ('other', '其他')], max_length=32, verbose_name='类别')),
                ('geom', django.contrib.gis.db.models.fields.PointField(srid=4326, verbose_name='位置')),
                ('address', models.CharField(blank=True, max_length=200, verbose_name='地址')),
                ('phone', models.CharField(blank=True, max_length=32, verbose_name='电话')),
                ('opening_hours', models.CharField(blank=True, max_length=120, verbose_name='办公时间')),
                ('capacity', models.PositiveIntegerField(blank=True, null=True, verbose_name='容量')),
                ('tags', models.JSONField(blank=True, default=dict, verbose_name='原始属性')),
                ('admin_area', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='service_points', to='cim.adminarea')),
                ('import_run', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.importrun')),
            ],
            options={
                'verbose_name': '服务网点',
                'verbose_name_plural': '服务网点',
            },
        ),
        migrations.CreateModel(
            name='Waterway',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('source', models.CharField(db_collation='C', max_length=64, verbose_name='来源')),
                ('source_id', models.CharField(db_collation='C', max_length=128, verbose_name='来源编号')),
                ('synthetic', models.BooleanField(default=False, verbose_name='合成数据')),
                ('created_at', models.DateTimeField(auto_now_add=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('updated_at', models.DateTimeField(auto_now=True, db_default=django.contrib.postgres.functions.TransactionNow())),
                ('name', models.CharField(blank=True, max_length=200, verbose_name='名称')),
                ('kind', models.CharField(choices=[('river', '河流'), ('stream', '溪流/沟道'), ('lake', '湖泊')], max_length=16, verbose_name='类型')),
                ('geom', django.contrib.gis.db.models.fields.MultiPolygonField(srid=4326, verbose_name='水域范围')),
                ('centreline', django.contrib.gis.db.models.fields.LineStringField(blank=True, null=True, srid=4326, verbose_name='中心线')),
                ('tags', models.JSONField(blank=True, default=dict, verbose_name='原始属性')),
                ('import_run', models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='cim.importrun')),
            ],
            options={
                'verbose_name': '水系',
                'verbose_name_plural': '水系',
            },
        ),
        migrations.AddConstraint(
            model_name='adminarea',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[0-9]{6}([0-9]{3}){0,2}$')), name='adminarea_code_digits'),
        ),
        migrations.AddIndex(
            model_name='auditlog',
            index=models.Index(fields=['object_type', 'object_id'], name='cim_auditlo_object__8ced6d_idx'),
        ),
        migrations.AddIndex(
            model_name='building',
            index=models.Index(fields=['use'], name='cim_buildin_use_c30f8d_idx'),
        ),
        migrations.AddConstraint(
            model_name='building',
            constraint=models.UniqueConstraint(fields=('source', 'source_id'), name='building_source_key'),
        ),
        migrations.AddConstraint(
            model_name='building',
            constraint=models.CheckConstraint(condition=models.Q(('height__gt', 0), ('height__lte', 1000)), name='building_height_range'),
        ),
        migrations.AddConstraint(
            model_name='building',
            constraint=models.CheckConstraint(condition=models.Q(('floors__isnull', True), models.Q(('floors__gte', 1), ('floors__lte', 200)), _connector='OR'), name='building_floors_range'),
        ),
        migrations.AddConstraint(
            model_name='building',
            constraint=models.CheckConstraint(condition=models.Q(('year_built__isnull', True), models.Q(('year_built__gte', 1000), ('year_built__lte', 2100)), _connector='OR'), name='building_year_range'),
        ),
        migrations.AddConstraint(
            model_name='building',
            constraint=models.CheckConstraint(condition=models.Q(('lod__in', [0, 1, 2, 3])), name='building_lod_range'),
        ),
        migrations.AddIndex(
            model_name='plate',
            index=models.Index(fields=['status'], name='plate_status'),
        ),
        migrations.AddConstraint(
            model_name='plate',
            constraint=models.CheckConstraint(condition=models.Q(('code__regex', '^[0-9A-HJKMNP-TV-Z]{11}$')), name='plate_code_format'),
        ),
        migrations.AddConstraint(
            model_name='plate',
            constraint=models.UniqueConstraint(condition=models.Q(('status__in', ('issued', 'installed', 'damaged'))), fields=('address',), name='plate_one_in_service_per_address'),
        ),
        migrations.AddIndex(
            model_name='platealert',
            index=models.Index(fields=['status', 'kind'], name='platealert_status_kind'),
        ),
        migrations.AddConstraint(
            model_name='platescanday',
            constraint=models.UniqueConstraint(fields=('plate', 'day'), name='platescanday_unique_day'),
        ),
        migrations.AddIndex(
            model_name='publicreport',
            index=models.Index(fields=['status', 'created_at'], name='publicreport_queue'),
        ),
        migrations.AddConstraint(
            model_name='publicreport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('claimed_by__isnull', True), ('claimed_at__isnull', True)), models.Q(('claimed_by__isnull', False), ('claimed_at__isnull', False)), _connector='OR'), name='publicreport_claim_consistent'),
        ),
        migrations.AddConstraint(
            model_name='publicreport',
            constraint=models.CheckConstraint(condition=models.Q(('tracking_code__regex', '^R[0-9A-HJKMNP-TV-Z]{8}$')), name='publicreport_tracking_format'),
        ),
        migrations.AddConstraint(
            model_name='roadnode',
            constraint=models.UniqueConstraint(fields=('source', 'source_id'), name='roadnode_source_key'),
        ),
        migrations.AddIndex(
            model_name='roadsegment',
            index=models.Index(fields=['road_class'], name='cim_roadseg_road_cl_99eddd_idx'),
        ),
        migrations.AddConstraint(
            model_name='roadsegment',
            constraint=models.UniqueConstraint(fields=('source', 'source_id'), name='roadsegment_source_key'),
        ),
        migrations.AddConstraint(
            model_name='roadsegment',
            constraint=models.CheckConstraint(condition=models.Q(('speed_kmh__gt', 0), ('speed_kmh__lte', 200)), name='roadsegment_speed_range'),
        ),
        migrations.AddConstraint(
            model_name='roadsegment',
            constraint=models.CheckConstraint(condition=models.Q(('length_m__gte', 0)), name='roadsegment_length_positive'),
        ),
        migrations.AddConstraint(
            model_name='roadsegment',
            constraint=models.CheckConstraint(condition=models.Q(('lanes__isnull', True), models.Q(('lanes__gte', 1), ('lanes__lte', 16)), _connector='OR'), name='roadsegment_lanes_range'),
        ),
        migrations.AddIndex(
            model_name='address',
            index=django.contrib.postgres.indexes.GinIndex(fields=['full_name'], name='address_fullname_trgm', opclasses=['gin_trgm_ops']),
        ),
        migrations.AddIndex(
            model_name='address',
            index=django.contrib.postgres.indexes.GinIndex(condition=models.Q(('kind__in', ['thoroughfare', 'door', 'building'])), fields=['full_name'], name='address_public_trgm', opclasses=['gin_trgm_ops']),
        ),
        migrations.AddIndex(
            model_name='address',
            index=models.Index(fields=['kind', 'status'], name='cim_address_kind_44e3ed_idx'),
        ),
        migrations.AddIndex(
            model_name='address',
            index=models.Index(fields=['admin_area', 'kind'], name='address_area_kind'),
        ),
        migrations.AddConstraint(
            model_name='address',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'thoroughfare'), ('parent__isnull', True)), models.Q(models.Q(('kind', 'thoroughfare'), _negated=True), ('parent__isnull', False)), _connector='OR'), name='address_parent_by_kind'),
        ),
        migrations.AddConstraint(
            model_name='address',
            constraint=models.UniqueConstraint(condition=models.Q(('parent__isnull', False)), fields=('parent', 'label'), name='address_label_unique_in_parent'),
        ),
        migrations.AddConstraint(
            model_name='address',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'thoroughfare')), fields=('admin_area', 'label'), name='address_thoroughfare_unique_in_district'),
        ),
        migrations.AddConstraint(
            model_name='address',
            constraint=models.UniqueConstraint(condition=models.Q(('kind', 'thoroughfare')), fields=('admin_area', 'serial'), name='address_thoroughfare_serial_unique'),
        ),
        migrations.AddConstraint(
            model_name='address',
            constraint=models.CheckConstraint(condition=models.Q(('number__isnull', True), ('number__gte', 1), _connector='OR'), name='address_number_positive'),
        ),
        migrations.AddConstraint(
            model_name='guideoption',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('next_question__isnull', False), ('item__isnull', True)), models.Q(('next_question__isnull', True), ('item__isnull', False)), _connector='OR'), name='guideoption_leads_somewhere'),
        ),
        migrations.AddIndex(
            model_name='servicepoint',
            index=models.Index(fields=['category'], name='cim_service_categor_23b709_idx'),
        ),
        migrations.AddConstraint(
            model_name='servicepoint',
            constraint=models.UniqueConstraint(fields=('source', 'source_id'), name='servicepoint_source_key'),
        ),
        migrations.AddIndex(
            model_name='waterway',
            index=models.Index(fields=['kind'], name='cim_waterwa_kind_c80b32_idx'),
        ),
        migrations.AddConstraint(
            model_name='waterway',
            constraint=models.UniqueConstraint(fields=('source', 'source_id'), name='waterway_source_key'),
        ),
        migrations.RunPython(create_roles, migrations.RunPython.noop),
    ]
