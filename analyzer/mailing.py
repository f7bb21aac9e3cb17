"""Monthly spend reports by e-mail: build the messages (`compose`), send them over SMTP (`send`).

One message per recipient, so a refused address or a dropped connection affects only the
messages not yet sent, and the sent log (`email_sent` in the store) can tell a re-run what is
left: a message already sent for the same month, tenant and address is never sent again unless
`--resend` asks for it.

The message is `multipart/mixed`: a `multipart/related` (a `multipart/alternative` with the
plain-text summary and the HTML report, then the charts as PNG images that the HTML references
by `cid:`) and the CSV of the same rows as an attachment. The HTML is the report of
`report --format html` with its CSS inlined (css-inline) and the charts as images, since mail
clients run no SVG and drop style sheets; it references nothing remote.
"""

from __future__ import annotations

import csv
import io
import os
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Callable, Mapping

import duckdb

from analyzer.errors import BadInput, SpendError, UsageError
from analyzer.sqlfiles import query, records

SECURITY = ("starttls", "tls", "none")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
TIMEOUT = 30  # seconds for each SMTP exchange
DEFAULT_SUBJECT = "LLM spend report {month}"
DEFAULT_STATEMENT_SUBJECT = "LLM spend statement {month}: {tenant}"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


# --- settings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send. The password comes only from $LLM_SPEND_SMTP_PASSWORD and is never
    part of a message, a log line or the repr."""

    host: str | None
    port: int
    security: str
    user: str | None
    sender: str | None
    password: str | None = field(default=None, repr=False)

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def smtp_settings(section: Any, environ: Mapping[str, str] = os.environ) -> SmtpSettings:
    """[email] of the config, each key overridden by its $LLM_SPEND_SMTP_* variable."""
    def pick(name: str, key: str) -> Any:
        value = environ.get(f"LLM_SPEND_SMTP_{name}")
        if value not in (None, ""):
            return value
        return getattr(section, key, None) if section is not None else None

    security = str(pick("SECURITY", "security") or "starttls").lower()
    if security not in SECURITY:
        raise BadInput(f"SMTP security {security!r}: one of {', '.join(SECURITY)}")
    port_text = pick("PORT", "port")
    try:
        port = int(port_text) if port_text not in (None, "") else DEFAULT_PORTS[security]
    except (TypeError, ValueError):
        raise BadInput(f"SMTP port {port_text!r} is not a number") from None
    if not 0 < port < 65536:
        raise BadInput(f"SMTP port {port} is out of range")
    return SmtpSettings(host=pick("HOST", "host"), port=port, security=security, user=pick("USER", "user"),
                        sender=pick("FROM", "sender"), password=environ.get("LLM_SPEND_SMTP_PASSWORD") or None)


# --- recipients ------------------------------------------------------------------------------

def parse_addresses(text: str, where: str = "--to") -> list[str]:
    """A comma-separated address list; each must look like an address (local@domain)."""
    found = [part.strip() for part in text.split(",") if part.strip()]
    if not found:
        raise UsageError(f"{where}: no address given")
    return [_address(a, where) for a in found]


def _address(text: str, where: str) -> str:
    name, address = parseaddr(text)
    local, _, domain = address.rpartition("@")
    if not local or not domain or _CONTROL.search(text) or " " in address:
        raise BadInput(f"{where}: {text!r} is not an e-mail address")
    return address


def read_recipients(path: Path) -> dict[str, list[str]]:
    """RECIPIENTS.csv (`tenant,email`, several rows per tenant allowed): tenant -> addresses."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise BadInput(f"recipients file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"recipients file {path}: cannot read it as UTF-8 text ({exc})") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [c.strip().lower() for c in rows[0]] != ["tenant", "email"]:
        raise BadInput(f"recipients file {path}: the header must be tenant,email")
    table: dict[str, list[str]] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2 or not row[0].strip():
            raise BadInput(f"recipients file {path}, line {line}: expected tenant,email")
        address = _address(row[1].strip(), f"recipients file {path}, line {line}")
        addresses = table.setdefault(row[0].strip(), [])
        if address not in addresses:
            addresses.append(address)
    if not table:
        raise BadInput(f"recipients file {path}: no recipients")
    return table


# --- composing -------------------------------------------------------------------------------

@dataclass
class Mail:
    """One message to one recipient, with what the sent log needs to know about it."""

    month: str
    tenant: str | None
    to: str
    subject: str
    message: MIMEMultipart
    sent: bool = False
    error: str | None = None


@dataclass
class Content:
    """The parts of one report, shared by every recipient of it."""

    subject: str
    text: str
    html: str
    images: dict[str, bytes]  # cid (without <>) -> PNG
    csv: str
    csv_name: str


def month_filter(month: str):
    from analyzer.reports import make_filter

    return make_filter(resolve_month(month))


def resolve_month(month: str, today: date | None = None) -> str:
    """YYYY-MM as given, or `last` for the previous calendar month (UTC): the cron line's month."""
    if month == "last":
        today = today or datetime.now(timezone.utc).date()
        year, number = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return f"{year:04d}-{number:02d}"
    return month


def header_text(text: str) -> str:
    """Names come from the logs: no control character (no header injection) reaches a header."""
    return _CONTROL.sub(" ", text).strip()


def subject_for(template: str | None, month: str, tenant: str | None) -> str:
    template = template or (DEFAULT_STATEMENT_SUBJECT if tenant is not None else DEFAULT_SUBJECT)
    subject = template.replace("{month}", month).replace("{tenant}", tenant or "")
    return header_text(subject)


def report_content(con: duckdb.DuckDBPyConnection, month: str, by: list[str], tenant: str | None,
                   subject: str | None, budgets: dict | None = None) -> Content:
    """The report of `month` (one tenant's statement when `tenant` is given) as mail parts."""
    from analyzer.htmlreport import RenderedChart, html_context, render_html
    from analyzer.reports import build_report, render_report
    from analyzer.statements import safe_names

    flt = month_filter(month)
    if tenant is not None:
        from dataclasses import replace

        flt = replace(flt, tenant=tenant)
    title = subject_for(subject, month, tenant)
    slug = safe_names([tenant])[tenant] if tenant is not None else None
    csv_name = f"spend-{month}{'-' + slug if slug else ''}.csv"
    report = build_report(con, by, "month", flt, breakdowns=True)
    if not report.rows:
        return _empty_content(month, tenant, title, render_report(report, "csv"), csv_name)
    context = html_context(con, report, statement=tenant, budget_table=budgets)
    images: dict[str, bytes] = {}
    charts = []
    for number, (chart, shown) in enumerate(zip(context["overview"].charts, context["charts"]), start=1):
        cid = f"chart-{number}-{chart.key}@llm-spend"
        images[cid] = chart.png(scale=1.0)
        charts.append(RenderedChart(shown.key, shown.title, _img(cid, shown.title, png_width(images[cid]))))
    context["charts"] = charts
    html = inline_css(render_html(context))
    return Content(title, summary_text(report, month, tenant), html, images, render_report(report, "csv"), csv_name)


def png_width(png: bytes) -> int:
    """The pixel width in a PNG's header (IHDR), so a chart is shown at its own size."""
    return int.from_bytes(png[16:20], "big")


def _img(cid: str, title: str, width: int):
    from markupsafe import Markup, escape

    return Markup(f'<img src="cid:{escape(cid)}" alt="{escape(title)}" width="{width}" '
                  f'style="max-width:100%;height:auto;display:block">')


def _empty_content(month: str, tenant: str | None, title: str, csv_text: str, csv_name: str) -> Content:
    from analyzer import render

    who = f"tenant {tenant}" if tenant is not None else "any tenant"
    text = f"{title}\n\nNo usage was recorded for {who} in {month}: nothing is due for this month.\n"
    html = inline_css(render.render_template("mail_no_usage.html", title=title, month=month, tenant=tenant))
    return Content(title, text, html, {}, csv_text, csv_name)


def summary_text(report, month: str, tenant: str | None) -> str:
    """The plain-text part: totals, then the rows as an aligned table (the terminal renderer)."""
    from analyzer import capacityreport, ranking, terminal
    from analyzer.render import money

    totals = report.totals or {}
    who = f" for {tenant}" if tenant is not None else ""
    lines = [f"LLM spend{who}, {month} (UTC)", "",
             f"Total cost:        {money(totals.get('cost'), report.currency)}",
             f"Requests:          {totals.get('requests') or 0:,}",
             f"Unpriced requests: {totals.get('unpriced_requests') or 0:,}", ""]
    if "idle_capacity_cost" in totals:  # the (idle capacity) row's, on top of the total cost
        lines[-1:-1] = [f"Idle capacity:     {money(totals['idle_capacity_cost'], report.currency)}"]
    columns = [c for c in report.columns if c != "period"]
    rows = capacityreport.for_display(ranking.shape_rows(report.rows, report.by, "cost", 30), report.by)
    total = ranking.total_row(report.rows, report.by)
    table = terminal.render(columns, [[r.get(c) for c in columns] for r in rows], money=["cost"],
                            dimensions=report.by, currency=report.currency,
                            total=[total.get(c) for c in columns], width=100)
    lines += [table.rstrip(), "", "The attached CSV holds every row with exact amounts."]
    return "\n".join(_CONTROL.sub(" ", line) for line in "\n".join(lines).split("\n")) + "\n"


def inline_css(html: str) -> str:
    """CSS moved into style attributes for mail clients; variables resolved, @media kept, and
    nothing remote loaded."""
    import css_inline

    inliner = css_inline.CSSInliner(keep_style_tags=False, keep_at_rules=True, load_remote_stylesheets=False,
                                    resolve_css_variables=True)
    return inliner.inline(html)


def build_message(content: Content, sender: str, to: str) -> MIMEMultipart:
    """multipart/mixed [ multipart/related [ multipart/alternative [text, html], PNG... ], CSV ]."""
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(content.text, "plain", "utf-8"))
    alternative.attach(MIMEText(content.html, "html", "utf-8"))
    related = MIMEMultipart("related")
    related.attach(alternative)
    for cid, png in content.images.items():
        image = MIMEImage(png, "png")
        image.add_header("Content-ID", f"<{cid}>")
        image.add_header("Content-Disposition", "inline", filename=cid.split("@")[0] + ".png")
        related.attach(image)
    message = MIMEMultipart("mixed")
    message.attach(related)
    attachment = MIMEApplication(content.csv.encode("utf-8"), "csv")
    attachment.replace_header("Content-Type", 'text/csv; charset="utf-8"')
    attachment.add_header("Content-Disposition", "attachment", filename=content.csv_name)
    message.attach(attachment)
    domain = sender.rpartition("@")[2] or "llm-spend.invalid"
    message["Subject"] = content.subject
    message["From"] = sender
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=header_text(domain))  # no DNS look-up with a domain
    return message


@dataclass
class Plan:
    """What one `email` run is to send, what the sent log says went out already, and what it
    noticed on the way."""

    mails: list[Mail]
    skipped: list[tuple[str | None, str]]
    notes: list[str]


def plan_mails(con: duckdb.DuckDBPyConnection, month: str, *, to: list[str] | None = None,
               recipients: dict[str, list[str]] | None = None, by: list[str] | None = None,
               subject: str | None = None, sender: str, budgets: dict | None = None,
               sent: set[tuple[str | None, str]] = frozenset()) -> Plan:
    """The messages of one run: the report to each `to` address, or each tenant's statement to
    that tenant's recipients, less the (tenant, address) pairs in `sent` (a report is built
    only when someone is still to get it). Usage of tenants the file does not name is noted."""
    month = resolve_month(month)
    flt = month_filter(month)
    wanted = [(None, address) for address in to] if to else [
        (tenant, address) for tenant, addresses in (recipients or {}).items() for address in addresses]
    skipped = [pair for pair in wanted if pair in sent]
    mails: list[Mail] = []
    notes: list[str] = []
    contents: dict[str | None, Content] = {}
    for tenant, address in wanted:
        if (tenant, address) in sent:
            continue
        if tenant not in contents:
            default_by = ["tenant", "feature", "model"] if tenant is None else ["feature", "model"]
            contents[tenant] = report_content(con, month, by or default_by, tenant, subject, budgets)
        content = contents[tenant]
        mails.append(Mail(month, tenant, address, content.subject, build_message(content, sender, address)))
    if recipients is not None:
        groups = records(con, "spend_tenants_in_range", {"since": flt.since, "until": flt.until})
        used = {g["tenant"]: g["requests"] for g in groups}
        notes += [f"tenant {t!r} has no usage in {month}: its statement says so" for t in recipients if t not in used]
        missing = sorted((t for t in used if t is not None and t not in recipients), key=str)
        if missing:
            listed = ", ".join(f"{t} ({used[t]:,} requests)" for t in missing)
            notes.append(f"no recipients for tenants with usage in {month}: {listed}")
        if used.get(None):
            notes.append(f"{used[None]:,} requests in {month} carry no tenant and are in no statement")
    return Plan(mails, skipped, notes)


# --- the sent log ----------------------------------------------------------------------------

def already_sent(con: duckdb.DuckDBPyConnection, month: str) -> set[tuple[str | None, str]]:
    """(tenant, address) pairs the sent log holds for `month`."""
    return {(r["tenant"], r["recipient"]) for r in records(con, "email_sent_for_month", {"month": month})}


def record_sent(con: duckdb.DuckDBPyConnection, mail: Mail) -> None:
    con.execute(query("record_email_sent"), {
        "month": mail.month, "tenant": mail.tenant, "recipient": mail.to, "subject": mail.subject,
        "message_id": mail.message["Message-ID"], "sent_at": datetime.now(timezone.utc)})


# --- writing and sending ---------------------------------------------------------------------

def write_eml(mails: list[Mail], folder: Path) -> list[Path]:
    """`--dry-run DIR`: one .eml file per message, nothing sent, nothing recorded."""
    from analyzer.statements import safe_names

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SpendError(f"cannot create {folder}: {exc.strerror or exc}") from None
    names = safe_names(sorted({m.to for m in mails}))
    written = []
    for mail in mails:
        who = safe_names([mail.tenant])[mail.tenant] + "_" if mail.tenant is not None else ""
        path = folder / f"{mail.month}_{who}{names[mail.to]}.eml"
        try:
            path.write_bytes(mail.message.as_bytes())
        except OSError as exc:
            raise SpendError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written


class SmtpFailure(SpendError):
    """The server could not be used at all (unreachable, no STARTTLS, login refused, dropped)."""


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An SMTP session as the settings say: TLS from the start, STARTTLS (never a silent
    downgrade: a server that does not offer it is an error), or plain; then the login."""
    if not settings.host:
        raise BadInput("no SMTP server: set [email] host in the config or $LLM_SPEND_SMTP_HOST")
    if settings.user and not settings.password:
        raise BadInput(f"SMTP user {settings.user!r} is set but $LLM_SPEND_SMTP_PASSWORD is not")
    if settings.password and settings.security == "none":
        raise BadInput("refusing to send the SMTP password unencrypted (security = none): use starttls or tls")
    context = ssl.create_default_context()  # trusts the system store, or $SSL_CERT_FILE
    try:
        if settings.security == "tls":
            session: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
        else:
            session = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
        session.ehlo()
        if settings.security == "starttls":
            if not session.has_extn("starttls"):
                session.close()
                raise SmtpFailure(f"SMTP server {settings.where} does not offer STARTTLS (security = starttls); "
                                  "nothing was sent in clear text")
            session.starttls(context=context)
            session.ehlo()
        if settings.user:
            session.login(settings.user, settings.password or "")
    except SmtpFailure:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpFailure(f"SMTP login refused for user {settings.user!r} at {settings.where} "
                          f"({exc.smtp_code} {_server_text(exc.smtp_error)})") from None
    except smtplib.SMTPServerDisconnected:
        raise SmtpFailure(f"SMTP server {settings.where} closed the connection") from None
    except ssl.SSLError as exc:
        raise SmtpFailure(f"TLS with SMTP server {settings.where} failed: {exc.reason or exc}") from None
    except (OSError, smtplib.SMTPException) as exc:
        raise SmtpFailure(f"cannot reach SMTP server {settings.where}: {_os_text(exc)}") from None
    return session


def send(mails: list[Mail], settings: SmtpSettings, record: Callable[[Mail], None]) -> None:
    """Send each message over one session; `record` is called right after each accepted one
    (the sent log). A refused recipient fails that message only; a dropped connection stops
    the run (the rest stay unsent, for a re-run)."""
    if not settings.sender:
        raise BadInput("no sender: set [email] from in the config or $LLM_SPEND_SMTP_FROM")
    session = connect(settings)
    try:
        for mail in mails:
            try:
                refused = session.send_message(mail.message, from_addr=settings.sender, to_addrs=[mail.to])
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                mail.error = f"recipient {mail.to} refused: {code} {_server_text(text)}"
                continue
            except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
                mail.error = f"message to {mail.to} refused: {exc.smtp_code} {_server_text(exc.smtp_error)}"
                continue
            except smtplib.SMTPServerDisconnected:
                mail.error = f"SMTP server {settings.where} closed the connection"
                raise SmtpFailure(mail.error) from None
            except (OSError, smtplib.SMTPException) as exc:
                mail.error = f"sending to {mail.to} failed: {_os_text(exc)}"
                raise SmtpFailure(mail.error) from None
            if refused:
                mail.error = f"recipient {mail.to} refused"
                continue
            mail.sent = True
            record(mail)
    finally:
        try:
            session.quit()
        except (OSError, smtplib.SMTPException):
            session.close()


def _server_text(value: Any) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return _CONTROL.sub(" ", text).strip()


def _os_text(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "host not found"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"no answer within {TIMEOUT}s"
    return _CONTROL.sub(" ", getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).strip()


def outcome_lines(mails: list[Mail]) -> list[str]:
    """The run's summary: what was sent and what was not (so a re-run sends the rest)."""
    sent = [m for m in mails if m.sent]
    failed = [m for m in mails if not m.sent]
    lines = [f"sent {len(sent)} of {len(mails)} messages"]
    for mail in failed:
        who = f" ({mail.tenant})" if mail.tenant is not None else ""
        lines.append(f"not sent: {mail.to}{who}: {mail.error or 'not attempted (the run stopped before it)'}")
    if failed:
        lines.append("run the same command again to send the rest: messages already sent are skipped")
    return lines

