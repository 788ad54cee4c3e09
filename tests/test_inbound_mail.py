"""Reading inbound email (core/inbound_mail): ids, the new text of a reply, HTML as text."""

from __future__ import annotations

from apps.meter_service.core import inbound_mail


def test_a_reply_keeps_what_was_written_now():
    text = "ممنون، درست شد.\r\n\r\nOn Tue, Dec 1, 2026 at 10:00 Gas <a@b.ir> wrote:\r\n> old\r\n"
    assert inbound_mail.trim_reply(text) == "ممنون، درست شد."
    persian = "هنوز مشکل دارم.\n\nدر تاریخ ۱۴۰۵/۰۹/۱۰ شرکت گاز نوشت:\n> پاسخ قبلی"
    assert inbound_mail.trim_reply(persian) == "هنوز مشکل دارم."
    outlook = "Fine.\n-----Original Message-----\nFrom: x\nold"
    assert inbound_mail.trim_reply(outlook) == "Fine."
    signed = "خط اول\n> نقل\nخط دوم\n-- \nعلی\n0912"
    assert inbound_mail.trim_reply(signed) == "خط اول\nخط دوم"


def test_html_becomes_text_without_markup_or_scripts():
    html = '<div>Hi&nbsp;<a href="x">there</a><script>steal()</script></div><p>a &lt;b&gt;</p>'
    assert inbound_mail.html_to_text(html) == "Hi there\n\na <b>"


def test_ids_and_sender_are_read_and_a_message_without_id_gets_a_stable_one():
    raw = (
        b"From: =?utf-8?b?2LnZhNuM?= <Ali@Mail.Example>\r\nSubject: x\r\n"
        b"In-Reply-To: <a@gas>\r\nReferences: <z@gas> <a@gas>\r\n\r\nbody\r\n"
    )
    first, second = inbound_mail.parse(raw), inbound_mail.parse(raw)
    assert first.sender == "ali@mail.example"
    assert first.references == ["<a@gas>", "<z@gas>"]
    assert first.message_id == second.message_id and first.message_id.startswith("<")
    assert inbound_mail.same_address("Ali <ALI@mail.example>", "ali@mail.example")
    assert not inbound_mail.same_address("", "")


def test_authentication_results_fail_on_dmarc_or_on_spf_and_dkim_without_a_pass():
    failure = inbound_mail.authentication_failure
    assert failure([]) == ""
    assert failure(["mx; spf=pass; dkim=pass; dmarc=pass"]) == ""
    assert failure(["mx; spf=pass; dmarc=fail (p=reject) header.from=x"]) == "dmarc=fail"
    assert failure(["mx; spf=fail smtp.mailfrom=x"]) == "spf=fail"
    assert failure(["mx; spf=fail; dkim=pass header.d=x"]) == ""  # forwarded, signature held
    assert failure(["mx; dkim=fail (bad signature); spf=none"]) == "dkim=fail"
    # A comment naming a method is not a result; an authserv-id is not a method.
    assert failure(["mx; spf=pass (dkim=fail in a comment)"]) == ""
    assert failure(["spf=fail.example; spf=pass"]) == ""
    # Only the site's server counts when it is named; case does not matter.
    assert failure(["other.example; dmarc=fail"], authserv_id="mx.gas") == ""
    assert failure(["MX.GAS 1; DMARC=FAIL"], authserv_id="mx.gas") == "dmarc=fail"
    passed = inbound_mail.authentication_passed
    assert passed(["mx.gas; spf=pass"], authserv_id="mx.gas")
    assert not passed(["other; spf=pass"], authserv_id="mx.gas")
    assert not passed(["mx.gas; spf=pass; dmarc=fail"], authserv_id="mx.gas")


def test_authentication_results_are_read_from_the_message():
    raw = (
        b"Authentication-Results: mx.gas; spf=fail\r\n"
        b"Authentication-Results: mx.gas; dkim=pass\r\n"
        b"From: a@b\r\nMessage-ID: <m@b>\r\n\r\nbody\r\n"
    )
    assert inbound_mail.parse(raw).authentication == ["mx.gas; spf=fail", "mx.gas; dkim=pass"]
