"""The demo site's help articles: what subscribers ask most about the meter test, answered
from the service card (fees, documents, how long, how to follow, complaints)."""

from __future__ import annotations

from helpdesk.models import Queue

from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle
from apps.meter_service.doctype.knowledge_article.services import knowledge_article_create

# (topic slug or "", question fa, answer fa, question en, answer en)
ARTICLES: list[tuple[str, str, str, str, str]] = [
    (
        "fees",
        "هزینه تست کنتور چقدر است؟",
        "هزینه آزمایش کنتور برابر تعرفه مصوب روز است و مالیات بر ارزش افزوده به آن افزوده "
        "می‌شود. مبلغ دقیق پیش از ثبت درخواست به شما نشان داده می‌شود.\n"
        "اگر درخواست را در دفاتر پیشخوان دولت ثبت کنید، ۱۰۹٬۰۰۰ ریال کارمزد دفتر هم افزوده "
        "می‌شود.",
        "How much does a meter test cost?",
        "The test fee is the current approved tariff plus VAT; you see the exact amount before "
        "you submit. Government counter offices (pishkhan) add their 109,000 Rial fee.",
    ),
    (
        "fees",
        "هزینه را چگونه پرداخت کنم؟",
        "در همین سامانه می‌توانید از درگاه اینترنتی بانک پرداخت کنید، یا بخواهید هزینه به "
        "قبض بعدی گاز شما افزوده شود. در دفاتر پیشخوان هزینه از درگاه دفتر پرداخت می‌شود.",
        "How do I pay the fee?",
        "Online through the bank gateway on this website, or on your next gas bill. At counter "
        "offices you pay through the office's gateway.",
    ),
    (
        "meter-test",
        "برای درخواست تست کنتور چه مدارکی لازم است؟",
        "دو چیز: آخرین رقم کنتور (رقم‌های سیاه روی کنتور و تاریخی که آن را خواندید) و آخرین "
        "قبض تسویه‌شده (شناسه قبض و شناسه پرداخت، یا عکس یا اسکن آن به صورت PDF، JPEG یا PNG).",
        "What documents do I need?",
        "The last meter reading (the black digits, and the day you read them) and the last "
        "settled bill (its bill ID and payment ID, or a photo or scan of it).",
    ),
    (
        "meter-test",
        "رسیدگی به درخواست چقدر طول می‌کشد؟",
        "متوسط زمان ارائه خدمت ۲۴ ساعت کاری است و حداکثر یک بار مراجعه حضوری لازم است. "
        "مراجعه حضوری به شرکت در ساعات اداری پذیرفته می‌شود.",
        "How long does it take?",
        "24 working hours on average, with at most one visit in person, during office hours.",
    ),
    (
        "meter-test",
        "درخواستم را چگونه پیگیری کنم؟",
        "با کد رهگیری ده‌رقمی که پس از ثبت برایتان پیامک می‌شود:\n"
        "در صفحه «پیگیری درخواست» همین سامانه با چهار رقم آخر تلفن همراه، با فرستادن کد "
        "رهگیری به سامانه پیامکی ۵۰۰۰۲۵۱۹۴، یا از مرکز تماس (تلفن گویا) ۳۳۳۷۲۴۶۵ و ۳۳۳۷۲۶۶۴.",
        "How do I follow my claim?",
        "With the ten-digit tracking code texted to you: on the Track a claim page, by texting "
        "it to 500025194, or through the contact centre (33372465, 33372664).",
    ),
    (
        "billing",
        "اگر کنتور خراب باشد قبض من چه می‌شود؟",
        "اگر آزمایش خرابی کنتور را تأیید کند، کنتور از طریق واحد پست امداد تعویض می‌شود و "
        "صورت‌حساب شما طبق مقررات اصلاح می‌گردد. در این صورت هزینه آزمایش بازگردانده یا "
        "بخشیده می‌شود.",
        "What happens to my bill if the meter is faulty?",
        "The emergency post replaces the meter and your bill is corrected according to the "
        "regulations; the test fee is refunded or waived.",
    ),
    (
        "general",
        "درخواست تست کنتور را از کجا ثبت کنم؟",
        "از همین وب‌سایت (ورود با شماره اشتراک یا شناسه قبض و کد پیامکی)، در دفاتر پیشخوان "
        "خدمات دولت، یا حضوری در میز خدمت اداره گاز.",
        "Where can I ask for a meter test?",
        "On this website, at government counter offices (pishkhan), or at the gas office's "
        "service desk.",
    ),
    (
        "",
        "چگونه شکایت کنم؟",
        "از بخش شکایات همین سامانه، با تلفن ۳۳۳۷۲۴۰۹ یا مراجعه حضوری، یا از سامانه رسیدگی و "
        "پاسخگویی به شکایات (۳۱۹۴). پاسخ شکایت پیامک می‌شود و اگر ایمیل داده باشید، می‌توانید "
        "به همان ایمیل پاسخ دهید.",
        "How do I complain?",
        "In the complaints section of this website, by phone (33372409) or in person, or through "
        "the national complaints system (3194). Answers are texted; reply to an answer email "
        "to write back.",
    ),
]


def ensure_knowledge_articles(*, actor: Actor) -> int:
    """Create the demo articles that are missing (by question); return how many exist."""
    topics = {q.slug: q for q in Queue.objects.all()}
    existing = set(KnowledgeArticle.objects.values_list("question_fa", flat=True))
    for order, (slug, question_fa, answer_fa, question_en, answer_en) in enumerate(ARTICLES):
        if question_fa in existing:
            continue
        knowledge_article_create(
            actor=actor,
            source="demo",
            question_fa=question_fa,
            answer_fa=answer_fa,
            question_en=question_en,
            answer_en=answer_en,
            topic=topics.get(slug),
            is_published=True,
            order=(order + 1) * 10,
        )
    return KnowledgeArticle.objects.count()
