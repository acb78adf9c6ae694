"""Load the catalogue of common public services (一码办事) and the guided
questions (智能导办) that lead a resident to the right one."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from cim.models import GuideOption, GuideQuestion, ServiceItem
from cim.services.audit import audit_record

HALL, COMMUNITY, POLICE = "gov_service_hall", "community_centre", "police_station"
WEEKDAYS = ("周一至周五 9:00–12:00, 13:30–17:30", "Mon–Fri 9:00–12:00, 13:30–17:30")
ID = ("居民身份证原件及复印件", "Resident ID card (original and copy)")
HUKOU = ("户口簿", "Household register (hukou booklet)")
PHOTO = ("近期一寸免冠照片2张", "Two recent 1-inch passport photos")

# code, zh, en, department zh, department en, hall, materials, time limit zh/en
ITEMS = [
    ("residence-permit", "居住证办理", "Residence permit", "公安局", "Public Security Bureau", POLICE,
     [ID, PHOTO, ("居住满半年的证明(租房合同/房产证/工作证明)",
                  "Proof of six months' residence (lease, deed or employment)")],
     ("15个工作日", "15 working days")),
    ("social-security-card", "社会保障卡申领", "Social security card", "人力资源和社会保障局",
     "Human Resources and Social Security Bureau", HALL, [ID, PHOTO], ("即时制卡", "Issued on the spot")),
    ("business-licence", "营业执照办理(个体工商户)", "Business licence (sole trader)",
     "市场监督管理局", "Market Regulation Administration", HALL,
     [ID, ("经营场所使用证明", "Proof of the business premises"),
      ("个体工商户登记申请书", "Registration application form")], ("1个工作日", "1 working day")),
    ("hukou-transfer", "户口迁移", "Household registration transfer", "公安局",
     "Public Security Bureau", POLICE,
     [ID, HUKOU, ("准予迁入证明", "Permission to move in"), ("房产证或亲属关系证明",
                                                          "Property deed or proof of kinship")],
     ("5个工作日", "5 working days")),
    ("medical-reimbursement", "医保费用报销", "Medical insurance reimbursement", "医疗保障局",
     "Healthcare Security Administration", HALL,
     [ID, ("社会保障卡", "Social security card"),
      ("医疗费用发票及清单", "Medical invoices and itemised bills"), ("出院小结", "Discharge summary")],
     ("20个工作日", "20 working days")),
    ("senior-card", "老年人优待证", "Senior citizen's card", "民政局(社区代办)",
     "Civil Affairs Bureau (via the community)", COMMUNITY, [ID, PHOTO], ("5个工作日", "5 working days")),
    ("disability-card", "残疾人证申领", "Disability certificate", "残疾人联合会(社区受理)",
     "Disabled Persons' Federation (filed at the community)", COMMUNITY,
     [ID, HUKOU, PHOTO, ("指定医院残疾评定结果", "Disability assessment from a designated hospital")],
     ("20个工作日", "20 working days")),
    ("minimum-living-allowance", "最低生活保障申请", "Minimum living allowance (dibao)",
     "民政局(社区受理)", "Civil Affairs Bureau (filed at the community)", COMMUNITY,
     [ID, HUKOU, ("家庭收入及财产申报", "Declaration of household income and assets"),
      ("授权核对家庭经济状况的声明", "Consent to check household finances")],
     ("30个工作日", "30 working days")),
    ("marriage-registration", "结婚登记", "Marriage registration", "民政局婚姻登记处",
     "Civil Affairs Bureau, marriage registry", HALL,
     [ID, HUKOU, ("双方近期半身彩色合影照片3张", "Three recent colour photos of the couple")],
     ("当场办结", "Same day")),
    ("birth-registration", "出生登记(新生儿落户)", "Birth registration", "公安局", "Public Security Bureau",
     POLICE, [HUKOU, ("出生医学证明", "Medical birth certificate"), ("父母身份证及结婚证",
                                                              "Parents' ID cards and marriage certificate")],
     ("当场办结", "Same day")),
    ("id-card", "居民身份证申领/换领", "Resident ID card (new or renewal)", "公安局",
     "Public Security Bureau", POLICE, [HUKOU, ("原身份证(换领)", "Old ID card (renewal)")],
     ("20个工作日", "20 working days")),
    ("pension-certification", "养老金资格认证", "Pension eligibility check", "人力资源和社会保障局",
     "Human Resources and Social Security Bureau", COMMUNITY, [ID, ("社会保障卡", "Social security card")],
     ("当场办结", "Same day")),
]

# question code, zh, en, root, [(option zh, option en, next question code | None, item code | None)]
GUIDE = [
    ("start", "您想办理哪方面的事情？", "What do you need to get done?", True, [
        ("证件和户口", "Papers and household registration", "papers", None),
        ("社保、医保和养老", "Social security, health insurance, pension", "social", None),
        ("开店办企业", "Opening a shop or business", None, "business-licence"),
        ("婚姻和生育", "Marriage and birth", "family", None),
        ("困难救助和优待", "Support and concessions", "support", None),
    ]),
    ("papers", "需要办理哪种证件？", "Which paper do you need?", False, [
        ("外地户口在天水居住", "I live in Tianshui with a hukou elsewhere", None, "residence-permit"),
        ("把户口迁来或迁走", "Move my hukou in or out", None, "hukou-transfer"),
        ("办理或更换身份证", "Get or renew an ID card", None, "id-card"),
    ]),
    ("social", "具体是哪项业务？", "Which service exactly?", False, [
        ("领社保卡", "Get a social security card", None, "social-security-card"),
        ("报销医药费", "Claim back medical costs", None, "medical-reimbursement"),
        ("领养老金要认证", "Pension eligibility check", None, "pension-certification"),
    ]),
    ("family", "是结婚还是孩子出生？", "Marriage or a new baby?", False, [
        ("结婚登记", "Getting married", None, "marriage-registration"),
        ("给新生儿上户口", "Registering a newborn", None, "birth-registration"),
    ]),
    ("support", "为谁申请？", "Who is it for?", False, [
        ("60岁以上老人", "Someone over 60", None, "senior-card"),
        ("残疾人", "A person with a disability", None, "disability-card"),
        ("生活困难家庭", "A family in hardship", None, "minimum-living-allowance"),
    ]),
]


class Command(BaseCommand):
    help = "Seed the service-item catalogue (Chinese and English) and the guided questions."

    @transaction.atomic
    def handle(self, *args, **opts):
        items = {}
        for sort, (code, name, name_en, dept, dept_en, hall, materials, limit) in enumerate(ITEMS):
            items[code], _ = ServiceItem.objects.update_or_create(code=code, defaults={
                "name": name, "name_en": name_en, "department": dept, "department_en": dept_en,
                "hall_category": hall, "materials": [{"zh": zh, "en": en} for zh, en in materials],
                "hours": WEEKDAYS[0], "hours_en": WEEKDAYS[1], "time_limit": limit[0],
                "time_limit_en": limit[1], "sort": sort})
        questions = {}
        for code, text, text_en, root, _ in GUIDE:
            questions[code], _ = GuideQuestion.objects.update_or_create(
                code=code, defaults={"text": text, "text_en": text_en, "root": root})
        GuideOption.objects.filter(question__in=questions.values()).delete()
        n_options = 0
        for code, _, _, _, options in GUIDE:
            for sort, (label, label_en, nxt, item) in enumerate(options):
                GuideOption.objects.create(question=questions[code], label=label, label_en=label_en,
                                           next_question=questions.get(nxt) if nxt else None,
                                           item=items.get(item) if item else None, sort=sort)
                n_options += 1
        audit_record(actor="seed_service_items", action="service_item.seed",
                     object_type="cim.serviceitem",
                     after={"items": len(items), "questions": len(questions), "options": n_options})
        self.stdout.write(self.style.SUCCESS(
            f"{len(items)} service items, {len(questions)} guide questions, {n_options} options"))
