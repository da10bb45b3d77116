"""What each demo letter category says about itself: a description and example
phrases in Arabic and English, in the words citizens use when they write to the
minister. Written for this project; an administrator rewrites them on the
administration page, and the suggestions read them before any letter is classified."""

from __future__ import annotations

from typing import NamedTuple


class CategoryText(NamedTuple):
    description_ar: str
    description_en: str
    examples_ar: list[str]
    examples_en: list[str]


DESCRIPTIONS: dict[str, CategoryText] = {
    "request": CategoryText(
        "طلب خدمة أو إجراء من إحدى جهات الوزارة لا يدخل في تصنيف فرعي أدق.",
        "A request for a service or a step from one of the ministry's agencies that fits "
        "no narrower subcategory.",
        [
            "أرجو التكرم بالموافقة على طلبي",
            "أتقدم إلى معاليكم بطلب",
            "أطلب المساعدة في إنهاء معاملتي",
            "أرجو توجيه الجهة المختصة بالنظر في طلبي",
            "معاملتي متأخرة منذ أشهر",
            "أطلب استثنائي من الشروط",
        ],
        [
            "I kindly ask for your approval",
            "I am writing to ask for your help",
            "please help me finish my application",
            "please refer my request to the competent department",
            "my application has been pending for months",
            "I ask for an exception to the conditions",
        ],
    ),
    "request_civil": CategoryText(
        "طلبات الأحوال المدنية: الهوية الوطنية، سجل الأسرة، شهادات الميلاد والوفاة، "
        "وتصحيح الأسماء والبيانات الشخصية.",
        "Civil affairs requests: national ID cards, family records, birth and death "
        "certificates, corrections of names and personal details.",
        [
            "بدل فاقد للهوية الوطنية",
            "تجديد بطاقة الهوية",
            "إضافة مولود إلى سجل الأسرة",
            "إصدار شهادة ميلاد",
            "تصحيح الاسم في الهوية",
            "تسجيل واقعة وفاة",
            "سجل أسرة مستقل",
            "خطأ في تاريخ الميلاد",
        ],
        [
            "replace my lost national ID",
            "renew my ID card",
            "add my newborn to the family record",
            "issue a birth certificate",
            "correct my name on the ID card",
            "register a death",
            "a separate family record",
            "wrong date of birth on my ID",
        ],
    ),
    "request_passport": CategoryText(
        "طلبات الجوازات: إصدار الجوازات وتجديدها، التأشيرات، الخروج والعودة، الإقامات "
        "ونقل الكفالة، ومنع السفر.",
        "Passport requests: issuing and renewing passports, visas, exit and re-entry, "
        "residence permits and sponsorship transfers, travel bans.",
        [
            "تجديد جواز السفر",
            "إصدار جواز سفر للأبناء",
            "تأشيرة خروج وعودة",
            "تجديد الإقامة",
            "نقل كفالة عامل",
            "رفع منع السفر",
            "تمديد تأشيرة الزيارة",
            "فقدت جوازي أثناء السفر",
        ],
        [
            "renew my passport",
            "passports for my children",
            "exit and re-entry visa",
            "renew a residence permit",
            "transfer a worker's sponsorship",
            "lift a travel ban",
            "extend a visit visa",
            "I lost my passport abroad",
        ],
    ),
    "request_support": CategoryText(
        "طلب مساعدة لظرف إنساني: إعانة مالية، سداد ديون، قريب موقوف أو سجين معسر، أو تكاليف علاج.",
        "A request for help in hardship: financial aid, debts, a detained or imprisoned "
        "relative, the costs of medical treatment.",
        [
            "أطلب مساعدة مالية لظروفي الصعبة",
            "تراكمت علي الديون ولا أستطيع سدادها",
            "عجزت عن سداد إيجار المنزل",
            "الإفراج عن ابني الموقوف",
            "زوجي سجين بسبب دين",
            "تكاليف علاج والدتي",
            "العلاج خارج المملكة على نفقة الدولة",
            "أسرة بلا عائل",
        ],
        [
            "I need financial help",
            "debts I cannot pay",
            "I cannot pay the rent",
            "release my detained son",
            "my husband is in prison over a debt",
            "the cost of my mother's treatment",
            "treatment abroad at the state's expense",
            "a family with no provider",
        ],
    ),
    "complaint": CategoryText(
        "شكوى من خدمة أو جهة أو شخص لا تدخل في تصنيف فرعي أدق.",
        "A complaint about a service, an agency or a person that fits no narrower subcategory.",
        [
            "أتقدم بشكوى",
            "لم أجد تجاوباً رغم مراجعاتي المتكررة",
            "تضررت من إجراء غير نظامي",
            "أطلب إنصافي",
            "تعطلت مصالحي دون سبب",
            "لم يرد أحد على بلاغي",
        ],
        [
            "I wish to file a complaint",
            "no answer despite repeated visits",
            "harmed by an irregular procedure",
            "I ask to be treated fairly",
            "my affairs were held up for no reason",
            "nobody answered my report",
        ],
    ),
    "complaint_traffic": CategoryText(
        "شكاوى المرور: المخالفات والاعتراض عليها، الحوادث، رخص القيادة، لوحات المركبات "
        "ونقل ملكيتها، والحجز المروري.",
        "Traffic complaints: fines and objections to them, accidents, driving licences, "
        "number plates and transfers of ownership, impounded vehicles.",
        [
            "اعتراض على مخالفة ساهر",
            "المخالفة نفسها مسجلة مرتين",
            "مخالفة على سيارة بعتها",
            "إيقاف رخصة القيادة",
            "تأخر تقرير الحادث",
            "سرقة لوحات السيارة",
            "تعطل نقل ملكية المركبة",
            "حجز السيارة دون سبب",
        ],
        [
            "object to a speed camera fine",
            "the same fine twice",
            "a fine on a car I sold",
            "my driving licence was suspended",
            "the accident report is late",
            "my number plates were stolen",
            "cannot transfer the car's ownership",
            "my car was impounded for no reason",
        ],
    ),
    "complaint_security": CategoryText(
        "شكاوى أمنية: السرقة والاحتيال والابتزاز، التهديد والتحرش والعنف الأسري، "
        "والبلاغات التي لم تُتابَع.",
        "Security complaints: theft, fraud and blackmail, threats, harassment and domestic "
        "violence, reports nobody followed up.",
        [
            "بلاغ سرقة",
            "احتيال مالي عبر الهاتف",
            "ابتزاز إلكتروني",
            "تهديد من الجيران",
            "تحرش في مكان العمل",
            "عنف أسري",
            "لم يتابع أحد بلاغي",
            "بلاغ عن شخص مفقود",
        ],
        [
            "report a theft",
            "phone fraud took money from my account",
            "online blackmail",
            "threats from a neighbour",
            "harassment at work",
            "domestic violence",
            "nobody followed up my police report",
            "a missing person",
        ],
    ),
    "complaint_staff": CategoryText(
        "شكوى من سلوك موظف في إحدى جهات الوزارة: سوء المعاملة، التأخير المتعمد، طلب "
        "رشوة، أو الغياب عن العمل.",
        "A complaint about the conduct of an employee of one of the ministry's agencies: "
        "rudeness, deliberate delays, asking for a bribe, absence from work.",
        [
            "أساء الموظف معاملتي",
            "رفع الموظف صوته علي أمام المراجعين",
            "الموظف يؤخر معاملتي عمداً",
            "طلب مني مبلغاً لإنهاء المعاملة",
            "رشوة",
            "الموظف غائب عن مكتبه",
            "رفض استلام أوراقي دون سبب",
        ],
        [
            "the employee was rude to me",
            "an officer shouted at me in front of everyone",
            "the employee is delaying my file on purpose",
            "asked me for money to finish my paperwork",
            "bribery",
            "the employee is never at his desk",
            "refused to take my papers for no reason",
        ],
    ),
    "appeal": CategoryText(
        "تظلم من قرار أو عقوبة: فصل، غرامة، ترحيل، إيقاف خدمات، أو رفض طلب، وطلبات العفو "
        "ورد الاعتبار.",
        "An appeal against a decision or a penalty: dismissal, a fine, deportation, "
        "suspended services, a refused application; pleas for pardon and rehabilitation.",
        [
            "أتظلم من قرار فصلي",
            "تظلم من غرامة مالية",
            "إعادة النظر في العقوبة",
            "الاعتراض على قرار الترحيل",
            "أوقفت خدماتي بسبب قضية منتهية",
            "طلب العفو عن سجين",
            "رد الاعتبار",
            "تظلم من رفض طلبي",
        ],
        [
            "appeal against my dismissal",
            "appeal against a fine",
            "review the penalty",
            "object to a deportation order",
            "my services were suspended over a closed case",
            "a pardon for a prisoner",
            "clear my record",
            "appeal against a refusal",
        ],
    ),
    "meeting": CategoryText(
        "طلب مقابلة معالي الوزير أو مكتبه لعرض موضوع شخصياً، حضورياً أو عن بعد.",
        "A request to meet the minister or his office to present a matter in person, on "
        "site or remotely.",
        [
            "طلب مقابلة معالي الوزير",
            "أرجو تحديد موعد مع معاليه",
            "السلام على معالي الوزير",
            "عرض موضوعي على معاليه شخصياً",
            "مقابلة مدير مكتب الوزير",
            "المجلس الأسبوعي لمعالي الوزير",
            "لقاء مرئي مع الوزير",
        ],
        [
            "request to meet the minister",
            "an appointment with His Excellency",
            "greet the minister",
            "present my case to the minister in person",
            "meet the director of the minister's office",
            "the minister's weekly majlis",
            "a video call with the minister",
        ],
    ),
}


LETTERS: list[tuple[str, str, str]] = [
    # (category, subject, body), like reception/letters/samples.py, for the demo desk only
    (
        "request_support",
        "طلب مساعدة لسداد دين",
        "تراكمت علي ديون بسبب مرض زوجي وأرجو المساعدة في سدادها.",
    ),
    ("request_support", "تكاليف علاج ابنتي", "ابنتي تحتاج عملية في القلب وتكاليفها فوق طاقتي."),
    (
        "request_support",
        "الإفراج عن والدي المعسر",
        "والدي موقوف بسبب دين لا يستطيع سداده ونحن بلا عائل.",
    ),
    ("request_support", "إعانة لأسرة بلا دخل", "توفي زوجي ولا دخل لنا وأطلب إعانة عاجلة لأبنائي."),
    (
        "complaint_staff",
        "سوء معاملة موظف الاستقبال",
        "رفع موظف الاستقبال صوته علي وأهانني أمام المراجعين.",
    ),
    (
        "complaint_staff",
        "تأخير متعمد لمعاملتي",
        "الموظف يؤجل معاملتي منذ شهرين دون سبب رغم اكتمال الأوراق.",
    ),
    (
        "complaint_staff",
        "طلب مبلغ لإنهاء المعاملة",
        "طلب مني أحد الموظفين مبلغاً مالياً مقابل إنهاء معاملتي بسرعة.",
    ),
    ("complaint_staff", "غياب الموظف المختص", "راجعت ثلاث مرات ولم أجد الموظف المختص في مكتبه."),
]
