"""`llm-spend email`: the month's spend report, or each tenant's statement, by e-mail."""

from __future__ import annotations

import re
from pathlib import Path

import click

from analyzer.cli import Context, wait_option

_MONTH = re.compile(r"^(\d{4}-\d{2}|last)$")


@click.command("email")
@click.option("--month", required=True, metavar="YYYY-MM|last",
              help="The month to report (UTC); `last` is the previous calendar month (for cron).")
@click.option("--to", "to_text", metavar="ADDR[,ADDR...]", help="Send the whole report to these addresses.")
@click.option("--per-tenant", "recipients_file", type=click.Path(dir_okay=False), metavar="RECIPIENTS.csv",
              help="Send each tenant its own statement (CSV with the columns tenant,email).")
@click.option("--by", "by_text", metavar="DIMS",
              help="Report dimensions [default: tenant,feature,model; feature,model for statements].")
@click.option("--subject", metavar="TEXT", help="Subject; {month} and {tenant} are replaced.")
@click.option("--dry-run", "dry_run", type=click.Path(file_okay=False), metavar="DIR",
              help="Write one .eml file per message into DIR instead of sending.")
@click.option("--resend", is_flag=True, help="Send again messages the sent log says went out already.")
@wait_option
@click.pass_obj
def email(obj: Context, month: str, to_text: str | None, recipients_file: str | None, by_text: str | None,
          subject: str | None, dry_run: str | None, resend: bool, wait: float) -> None:
    """E-mail the month's spend report over SMTP (HTML with charts, plain text, CSV attached).

    SMTP settings come from [email] in the config and $LLM_SPEND_SMTP_HOST, _PORT, _SECURITY,
    _USER, _FROM (the environment wins); the password only from $LLM_SPEND_SMTP_PASSWORD. Every
    message sent is recorded in the store, so a re-run after a failure sends only the rest.

    \b
    Examples:
      llm-spend email --month 2026-09 --to finance@example.com
      llm-spend email --month last --per-tenant recipients.csv
      llm-spend email --month 2026-09 --per-tenant recipients.csv --dry-run outbox/
    """
    from analyzer import mailing
    from analyzer.errors import SpendError, UsageError
    from analyzer.reports import parse_by

    if not _MONTH.match(month):
        raise UsageError(f"--month {month!r} is not YYYY-MM (or last)")
    if bool(to_text) == bool(recipients_file):
        raise UsageError("give --to ADDR[,ADDR...] or --per-tenant RECIPIENTS.csv")
    month = mailing.resolve_month(month)
    mailing.month_filter(month)  # a month that is no calendar month is a usage error
    to = mailing.parse_addresses(to_text) if to_text else None
    recipients = mailing.read_recipients(Path(recipients_file)) if recipients_file else None
    by = parse_by(by_text) if by_text else None
    settings = mailing.smtp_settings(obj.config.sections.get("email"))
    sender = settings.sender or ("llm-spend@localhost" if dry_run else None)
    if not sender:
        raise SpendError("no sender: set [email] from in the config or $LLM_SPEND_SMTP_FROM")

    with obj.open(read_only=True, wait=wait) as con:
        sent = set() if resend or dry_run else mailing.already_sent(con, month)
        plan = mailing.plan_mails(con, month, to=to, recipients=recipients, by=by, subject=subject,
                                  sender=sender, budgets=obj.budgets(), sent=sent)
    for note in plan.notes:
        click.echo(f"warning: {note}", err=True)
    if dry_run:
        written = mailing.write_eml(plan.mails, Path(dry_run))
        click.echo(f"wrote {len(written)} messages into {dry_run} (nothing sent)")
        return
    for _, address in plan.skipped:
        click.echo(f"skipped {address}: already sent for {month} (--resend sends it again)")
    pending = plan.mails
    if not pending:
        click.echo(f"nothing to send: every message for {month} was sent already")
        return

    def record(mail: mailing.Mail) -> None:
        with obj.open(wait=max(wait, 30)) as store:  # short write, right after each message
            mailing.record_sent(store, mail)
        click.echo(f"sent {mail.to}" + (f" ({mail.tenant})" if mail.tenant is not None else ""))

    try:
        mailing.send(pending, settings, record)
    except SpendError:
        if len(pending) > 1:  # which were sent and which not, for the re-run
            for line in mailing.outcome_lines(pending):
                click.echo(line, err=True)
        raise
    failed = [m for m in pending if not m.sent]
    lines = mailing.outcome_lines(pending)
    if failed:
        for line in lines:
            click.echo(line, err=True)
        raise SystemExit(1)
    click.echo(lines[0])
