"""Reading an email someone sent us: its ids, sender, subject, the new text and its files.

Pure functions over the raw RFC 822 bytes (the IMAP poller and the inbound-mail endpoint
hand over the same bytes). Mail clients quote the whole history under the reply and add a
signature; the text kept is what the person wrote this time, cut where clients start the
quote ("On ... wrote:", «در ... نوشت:», "-----Original Message-----", "> " lines) or the
signature ("-- "). An HTML-only message becomes plain text: tags dropped, scripts and styles
with their content, entities decoded; nothing of the HTML is kept or ever rendered.

The sender's authentication is read from the Authentication-Results headers the receiving
mail server adds (RFC 8601): `authentication_failure` says when SPF, DKIM or DMARC failed.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from html.parser import HTMLParser

MESSAGE_ID = re.compile(r"<[^<>\s]+>")

# Where the quoted history starts: the lines mail clients put above it.
QUOTE_HEADERS = (
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),
    re.compile(r"^\s*(در|روز)\b.{0,300}\bنوشت\s*[:：]?\s*$", re.DOTALL),
    re.compile(r"^\s*-{2,}\s*(Original Message|Forwarded message|پیام اصلی)\s*-{2,}\s*$", re.I),
    re.compile(r"^\s*From:\s.+$", re.IGNORECASE),
    re.compile(r"^\s*(از|فرستنده)\s*:\s.+$"),
)
SIGNATURE = re.compile(r"^(-- ?|__+|Sent from my .+|ارسال شده از .+)$", re.IGNORECASE)
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
)
DROPPED_TAGS = frozenset({"script", "style", "head", "title"})


@dataclass(frozen=True)
class MailFile:
    name: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class InboundMail:
    message_id: str
    sender: str
    subject: str
    references: list[str]
    text: str
    files: list[MailFile] = field(default_factory=list)
    # The Authentication-Results headers, as received (the mail server adds them on top).
    authentication: list[str] = field(default_factory=list)


class _TextFromHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0
        self.quoting = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_TAGS:
            self.dropping += 1
        elif tag == "blockquote":
            self.quoting += 1  # a quoted earlier message: not what was written now
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_TAGS:
            self.dropping = max(0, self.dropping - 1)
        elif tag == "blockquote":
            self.quoting = max(0, self.quoting - 1)
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping and not self.quoting:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: no tag, script or style survives; quoted blocks dropped."""
    parser = _TextFromHtml()
    parser.feed(html)
    parser.close()
    lines = [
        re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(parser.parts).split("\n")
    ]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def trim_reply(text: str) -> str:
    """The new text of a reply: everything above the quoted history and the signature."""
    kept: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        stripped = line.rstrip()
        if SIGNATURE.match(stripped):
            break
        # "On <date>, <name> wrote:" is often wrapped onto two lines.
        joined = f"{stripped} {lines[index + 1].strip()}" if index + 1 < len(lines) else ""
        wrapped = bool(joined) and any(p.match(joined) for p in QUOTE_HEADERS[:2])
        if wrapped or any(p.match(stripped) for p in QUOTE_HEADERS):
            break
        if stripped.startswith(">"):
            continue
        kept.append(stripped)
    return "\n".join(kept).strip()


def message_ids(value: str | None) -> list[str]:
    """The <id@host> tokens of a Message-ID, In-Reply-To or References header."""
    return MESSAGE_ID.findall(str(value or ""))


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is not None:
        return str(part.get_content())
    part = message.get_body(preferencelist=("html",))
    if part is not None:
        return html_to_text(str(part.get_content()))
    return ""


def _files(message: EmailMessage) -> list[MailFile]:
    found = []
    for part in message.iter_attachments():
        if part.is_multipart():
            continue
        content = part.get_payload(decode=True)
        if not isinstance(content, bytes):
            continue
        found.append(
            MailFile(
                name=str(part.get_filename() or "attachment"),
                content_type=part.get_content_type(),
                content=content,
            )
        )
    return found


def parse(raw: bytes) -> InboundMail:
    """Read one message. A message without a Message-ID gets one made from its bytes, so
    the same message fetched twice still has one id."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)  # the default policy's message class
    found = message_ids(message.get("Message-ID"))
    message_id = found[0] if found else f"<{hashlib.sha256(raw).hexdigest()}@no-message-id>"
    references = message_ids(message.get("In-Reply-To")) + message_ids(message.get("References"))
    sender = parseaddr(str(message.get("From") or ""))[1]
    return InboundMail(
        message_id=message_id[:255],
        sender=sender.strip().lower(),
        subject=str(message.get("Subject") or "").strip(),
        references=list(dict.fromkeys(references)),
        text=trim_reply(_body(message)),
        files=_files(message),
        authentication=[str(value) for value in message.get_all("Authentication-Results") or []],
    )


def same_address(one: str, other: str) -> bool:
    """Whether two addresses name the same mailbox (case-insensitive, display names aside)."""
    first, second = (parseaddr(value)[1].strip().lower() for value in (one, other))
    return bool(first) and first == second


# "spf=fail", "dkim=pass", "dmarc=fail (p=reject)": one method's result in the header.
AUTH_RESULT = re.compile(r"(?:^|[;\s])(spf|dkim|dmarc)\s*=\s*([a-z]+)", re.IGNORECASE)


def _authserv_id(header: str) -> str:
    return header.split(";", 1)[0].strip().split()[0].lower() if header.strip() else ""


def _auth_results(headers: list[str], authserv_id: str) -> dict[str, set[str]]:
    results: dict[str, set[str]] = {"spf": set(), "dkim": set(), "dmarc": set()}
    wanted = authserv_id.strip().lower()
    for header in headers:
        if wanted and _authserv_id(header) != wanted:
            continue
        # The authserv-id comes first; a result's comment "(...)" names no method.
        body = re.sub(r"\([^()]*\)", " ", header.split(";", 1)[1] if ";" in header else "")
        for method, result in AUTH_RESULT.findall(body):
            results[method.lower()].add(result.lower())
    return results


def _spf_or_dkim_passed(results: dict[str, set[str]]) -> bool:
    return "pass" in results["spf"] or "pass" in results["dkim"]


def authentication_failure(
    headers: list[str], *, authserv_id: str = "", require_pass: bool = False
) -> str:
    """Why the sender's authentication failed, or "" when it did not (or was not checked).

    Only the headers of `authserv_id` count when it is given: the mail server's own results,
    not one a sender wrote into the message. A failed DMARC fails; otherwise it fails when
    SPF or DKIM failed and neither passed (a forwarded message may fail SPF and keep DKIM),
    and with `require_pass` when neither passed at all.
    """
    results = _auth_results(headers, authserv_id)
    if "fail" in results["dmarc"]:
        return "dmarc=fail"
    if _spf_or_dkim_passed(results):
        return ""
    for method in ("spf", "dkim"):
        if results[method] & {"fail", "permerror"}:
            return f"{method}=fail"
    return "no spf/dkim pass" if require_pass else ""


def authentication_passed(headers: list[str], *, authserv_id: str = "") -> bool:
    """Whether SPF or DKIM passed (and DMARC did not fail) by the counted headers."""
    results = _auth_results(headers, authserv_id)
    return _spf_or_dkim_passed(results) and "fail" not in results["dmarc"]
