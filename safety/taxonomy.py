"""The harm taxonomy a new installation starts from, and its two report queues.

Used by migration 0002 (with its historical models) and by the demo and the tests, whose
flushed databases lost the migration's rows (``ensure_defaults``)."""

from __future__ import annotations

from typing import Any

URGENT, HIGH, NORMAL, LOW = 1, 2, 3, 4
# key, name, {language: name}, priority, sensitive, graphic, clearance, anonymous allowed,
# soft cap minutes, hard cap minutes
CATEGORIES = [
    (
        "hate-speech",
        "Hate speech",
        {
            "es": "Discurso de odio",
            "fr": "Discours haineux",
            "de": "Hassrede",
            "pt": "Discurso de ódio",
            "ru": "Язык вражды",
            "ar": "خطاب الكراهية",
            "ja": "ヘイトスピーチ",
            "zh-hans": "仇恨言论",
        },
        HIGH,
        True,
        False,
        False,
        False,
        None,
        None,
    ),
    (
        "harassment",
        "Harassment and bullying",
        {
            "es": "Acoso e intimidación",
            "fr": "Harcèlement et intimidation",
            "de": "Belästigung und Mobbing",
            "pt": "Assédio e bullying",
            "ru": "Домогательства и травля",
            "ar": "التحرش والتنمر",
            "ja": "嫌がらせといじめ",
            "zh-hans": "骚扰和欺凌",
        },
        NORMAL,
        False,
        False,
        False,
        False,
        None,
        None,
    ),
    (
        "violent-threats",
        "Violent threats",
        {
            "es": "Amenazas violentas",
            "fr": "Menaces violentes",
            "de": "Gewaltandrohungen",
            "pt": "Ameaças violentas",
            "ru": "Угрозы насилием",
            "ar": "التهديد بالعنف",
            "ja": "暴力的な脅迫",
            "zh-hans": "暴力威胁",
        },
        HIGH,
        True,
        False,
        False,
        False,
        None,
        None,
    ),
    (
        "self-harm",
        "Self-harm and suicide",
        {
            "es": "Autolesiones y suicidio",
            "fr": "Automutilation et suicide",
            "de": "Selbstverletzung und Suizid",
            "pt": "Automutilação e suicídio",
            "ru": "Самоповреждение и суицид",
            "ar": "إيذاء النفس والانتحار",
            "ja": "自傷行為と自殺",
            "zh-hans": "自残和自杀",
        },
        URGENT,
        True,
        True,
        False,
        False,
        60,
        120,
    ),
    (
        "child-safety",
        "Child safety",
        {
            "es": "Seguridad infantil",
            "fr": "Protection de l’enfance",
            "de": "Kinderschutz",
            "pt": "Segurança infantil",
            "ru": "Безопасность детей",
            "ar": "سلامة الأطفال",
            "ja": "子どもの安全",
            "zh-hans": "儿童安全",
        },
        URGENT,
        True,
        True,
        True,
        True,
        45,
        90,
    ),
    (
        "adult-nudity",
        "Adult nudity and sexual content",
        {
            "es": "Desnudos y contenido sexual de adultos",
            "fr": "Nudité et contenu sexuel d’adultes",
            "de": "Nacktheit und sexuelle Inhalte",
            "pt": "Nudez e conteúdo sexual adulto",
            "ru": "Нагота и сексуальный контент",
            "ar": "العري والمحتوى الجنسي",
            "ja": "成人のヌードと性的コンテンツ",
            "zh-hans": "成人裸露和色情内容",
        },
        NORMAL,
        True,
        True,
        False,
        False,
        60,
        120,
    ),
    (
        "graphic-violence",
        "Graphic violence",
        {
            "es": "Violencia gráfica",
            "fr": "Violence explicite",
            "de": "Drastische Gewalt",
            "pt": "Violência explícita",
            "ru": "Сцены насилия",
            "ar": "العنف المصوَّر",
            "ja": "過激な暴力表現",
            "zh-hans": "血腥暴力",
        },
        HIGH,
        True,
        True,
        False,
        False,
        60,
        120,
    ),
    (
        "animal-cruelty",
        "Animal cruelty",
        {
            "es": "Maltrato animal",
            "fr": "Cruauté envers les animaux",
            "de": "Tierquälerei",
            "pt": "Crueldade com animais",
            "ru": "Жестокое обращение с животными",
            "ar": "القسوة على الحيوانات",
            "ja": "動物虐待",
            "zh-hans": "虐待动物",
        },
        HIGH,
        True,
        True,
        False,
        False,
        60,
        120,
    ),
    (
        "impersonation",
        "Impersonation",
        {
            "es": "Suplantación de identidad",
            "fr": "Usurpation d’identité",
            "de": "Identitätsanmaßung",
            "pt": "Falsidade ideológica",
            "ru": "Выдача себя за другого",
            "ar": "انتحال الشخصية",
            "ja": "なりすまし",
            "zh-hans": "冒充他人",
        },
        NORMAL,
        False,
        False,
        False,
        False,
        None,
        None,
    ),
    (
        "intellectual-property",
        "Intellectual property",
        {
            "es": "Propiedad intelectual",
            "fr": "Propriété intellectuelle",
            "de": "Geistiges Eigentum",
            "pt": "Propriedade intelectual",
            "ru": "Интеллектуальная собственность",
            "ar": "الملكية الفكرية",
            "ja": "知的財産",
            "zh-hans": "知识产权",
        },
        NORMAL,
        False,
        False,
        False,
        False,
        None,
        None,
    ),
    (
        "spam-scams",
        "Spam and scams",
        {
            "es": "Spam y estafas",
            "fr": "Spam et arnaques",
            "de": "Spam und Betrug",
            "pt": "Spam e golpes",
            "ru": "Спам и мошенничество",
            "ar": "الرسائل المزعجة والاحتيال",
            "ja": "スパムと詐欺",
            "zh-hans": "垃圾信息和诈骗",
        },
        LOW,
        False,
        False,
        False,
        False,
        None,
        None,
    ),
]


def seed(Queue: Any, HarmCategory: Any, Protection: Any) -> None:
    """A taxonomy to start from, two queues for it (no team is granted them: an admin
    decides who works reports), and the organisation's protection at its default."""
    reports, _ = Queue.objects.get_or_create(slug="safety-reports", defaults={
        "name": "Trust & safety reports", "default_priority": NORMAL})  # fmt: skip
    children, _ = Queue.objects.get_or_create(slug="child-safety", defaults={
        "name": "Child safety", "default_priority": URGENT})  # fmt: skip
    for order, row in enumerate(CATEGORIES):
        key, name, names, priority, sensitive, graphic, clearance, anonymous, soft, hard = row
        HarmCategory.objects.get_or_create(key=key, defaults={
            "name": name, "names": names, "priority": priority, "sensitive": sensitive,
            "graphic": graphic, "requires_clearance": clearance,
            "notifier_optional": anonymous, "soft_cap_minutes": soft,
            "hard_cap_minutes": hard, "order": (order + 1) * 10,
            "queue": children if clearance else reports})  # fmt: skip
    if not Protection.objects.filter(user__isnull=True).exists():
        Protection.objects.create(user=None)


def ensure_defaults() -> None:
    from safety.models import HarmCategory, Protection
    from tickets.models import Queue

    seed(Queue, HarmCategory, Protection)
