"""`llm-spend email` through a real SMTP server on loopback (aiosmtpd) with STARTTLS and AUTH,
the messages read back with the `email` package."""

from __future__ import annotations

import csv
import email
import email.policy
import io
import re
import shutil
import socket
import ssl
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.helpers import REPO, Spend, chat_record, write_jsonl

USER, PASSWORD = "reporter", "s3cret-pw"
MONTH = "2026-09"


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    """The sample logs ingested once; each test works on its own copy."""
    db = tmp_path_factory.mktemp("sample") / "usage.duckdb"
    spend = Spend(db)
    spend.ok("rates", "load", str(REPO / "sample_logs" / "rates.csv"))
    spend.ok("ingest", str(REPO / "sample_logs" / "exports"))
    return db


@pytest.fixture
def store(sample_store: Path, tmp_path: Path) -> Spend:
    db = tmp_path / "usage.duckdb"
    shutil.copy(sample_store, db)
    return Spend(db)


SEPTEMBER = 1788300000  # 2026-09-01 21:20 UTC
CARD = ("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,valid_from,valid_to,currency\n"
        "m,,1,2,,,,,\n")


def small_store(spend: Spend, tmp_path: Path, tenant: str = "t1") -> Spend:
    """One priced request in September: for the tests about the server, not the report."""
    write_jsonl(tmp_path / "u.jsonl", [chat_record("r1", created=SEPTEMBER, metadata={"tenant": tenant})])
    (tmp_path / "card.csv").write_text(CARD, encoding="utf-8")
    spend.ok("rates", "load", str(tmp_path / "card.csv"))
    spend.ok("ingest", str(tmp_path / "u.jsonl"))
    return spend


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and refuses some addresses."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def parsed(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=email.policy.default) for _, _, raw in self.messages]


def _authenticator(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode(),
                      handled=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A STARTTLS + AUTH server on 127.0.0.1 with a certificate from a test CA, which the client
    trusts through $SSL_CERT_FILE (as a user's own CA would be trusted)."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_context,
                            require_starttls=True, authenticator=_authenticator, auth_require_tls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.setenv("LLM_SPEND_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LLM_SPEND_SMTP_PORT", str(port))
    monkeypatch.setenv("LLM_SPEND_SMTP_USER", USER)
    monkeypatch.setenv("LLM_SPEND_SMTP_PASSWORD", PASSWORD)
    monkeypatch.setenv("LLM_SPEND_SMTP_FROM", "spend@llm-spend.example")
    yield inbox
    controller.stop()


def recipients(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    path = tmp_path / "recipients.csv"
    path.write_text("tenant,email\n" + "".join(f"{t},{e}\n" for t, e in rows), encoding="utf-8")
    return path


def tenant_totals(spend: Spend) -> dict[str | None, Decimal]:
    rows = spend.sql(f"SELECT tenant, sum(cost) AS cost FROM priced_usage WHERE strftime(ts, '%Y-%m') = '{MONTH}' "
                     "GROUP BY tenant")
    return {r["tenant"]: Decimal(r["cost"]) for r in rows}


def parts(message) -> dict[str, list]:
    found: dict[str, list] = {}
    for part in message.walk():
        found.setdefault(part.get_content_type(), []).append(part)
    return found


def csv_total(part) -> Decimal:
    text = part.get_payload(decode=True).decode("utf-8")
    return sum((Decimal(r["cost"]) for r in csv.DictReader(io.StringIO(text)) if r["cost"]), Decimal(0))


def every_text(raw: bytes) -> str:
    """All decoded parts of a message, headers included: where a name could hide."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [str(value) for value in message.values()]
    for part in message.walk():
        texts += [str(value) for value in part.values()]
        if not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode("utf-8", "replace"))
    return "\n".join(texts)


def test_statements_go_to_each_tenant_over_starttls_with_auth(store, smtp, tmp_path):
    file = recipients(tmp_path, [("acme-corp", "a@acme.example"), ("acme-corp", "b@acme.example"),
                                 ("globex", "g@globex.example"), ("nobody", "n@nobody.example")])
    result = store("email", "--month", MONTH, "--per-tenant", str(file))
    assert result.exit_code == 0, result.output + result.stderr
    assert "sent 4 of 4 messages" in result.stdout
    assert "no recipients for tenants with usage in 2026-09: =cmd|calc (677 requests), hooli" in result.stderr
    assert "'nobody' has no usage" in result.stderr
    assert PASSWORD not in result.output + result.stderr

    totals = tenant_totals(store)
    assert sorted(to for _, tos, _ in smtp.messages for to in tos) == [
        "a@acme.example", "b@acme.example", "g@globex.example", "n@nobody.example"]
    others = {"acme-corp", "globex", "hooli", "initech", "umbrella", "=cmd|calc"}
    for (sender, tos, raw), message in zip(smtp.messages, smtp.parsed()):
        assert sender == "spend@llm-spend.example" and len(tos) == 1 and message["To"] == tos[0]
        tenant = {"acme": "acme-corp", "globex": "globex", "nobody": "nobody"}[tos[0].split("@")[1].split(".")[0]]
        assert message["Subject"] == f"LLM spend statement 2026-09: {tenant}"
        # multipart/mixed [ multipart/related [ multipart/alternative [plain, html], png... ], csv ]
        assert message.get_content_type() == "multipart/mixed"
        related, attachment = list(message.iter_parts())
        assert related.get_content_type() == "multipart/related"
        alternative, *images = list(related.iter_parts())
        assert alternative.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
        html = alternative.get_body(("html",)).get_content()
        text = alternative.get_body(("plain",)).get_content()
        assert attachment.get_content_type() == "text/csv" and attachment.get_filename().startswith("spend-2026-09-")
        # CSS inlined into style attributes (only @media / @page rules stay in a style block),
        # and nothing remote
        assert 'style="' in html and "<link" not in html and "http://" not in html and "https://" not in html
        assert all(block.strip().startswith("@") for block in re.findall(r"<style>(.*?)</style>", html, re.S))
        assert "var(--" not in html
        cids = re.findall(r'src="cid:([^"]+)"', html)
        assert {f"<{cid}>" for cid in cids} == {p["Content-ID"] for p in images}
        assert all(p.get_content_type() == "image/png" and p.get_payload(decode=True)[:8] == b"\x89PNG\r\n\x1a\n"
                   for p in images)
        if tenant == "nobody":
            assert not images and "No usage was recorded for tenant nobody in 2026-09" in text
            assert "No usage was recorded" in html and csv_total(attachment) == 0
        else:
            assert len(images) >= 3
            assert csv_total(attachment) == totals[tenant]  # exact, to the last decimal
            assert f"Statement for {tenant}" in html
        leaked = [name for name in others - {tenant} if name in every_text(raw)]
        assert not leaked, f"{tenant}'s statement names {leaked}"


def test_report_to_addresses_and_the_sent_log(store, smtp):
    result = store("email", "--month", MONTH, "--to", "cfo@corp.example,ops@corp.example", "--subject",
                   "Spend {month}")
    assert result.exit_code == 0, result.output + result.stderr
    messages = smtp.parsed()
    assert [m["To"] for m in messages] == ["cfo@corp.example", "ops@corp.example"]
    assert all(m["Subject"] == "Spend 2026-09" for m in messages)
    attachment = [p for p in messages[0].walk() if p.get_content_type() == "text/csv"][0]
    assert csv_total(attachment) == sum(v for v in tenant_totals(store).values() if v is not None)
    assert store.sql("SELECT count(*) AS n FROM email_sent WHERE month = '2026-09'")[0]["n"] == 2

    again = store("email", "--month", MONTH, "--to", "cfo@corp.example,ops@corp.example")
    assert again.exit_code == 0 and "nothing to send" in again.stdout
    assert len(smtp.messages) == 2  # never twice
    forced = store("email", "--month", MONTH, "--to", "cfo@corp.example", "--resend")
    assert forced.exit_code == 0 and len(smtp.messages) == 3


def test_a_refused_recipient_fails_only_its_message_and_a_rerun_sends_the_rest(store, smtp, tmp_path):
    file = recipients(tmp_path, [("acme-corp", "a@acme.example"), ("globex", "gone@globex.example"),
                                 ("hooli", "h@hooli.example")])
    smtp.refuse = {"gone@globex.example"}
    first = store("email", "--month", MONTH, "--per-tenant", str(file))
    assert first.exit_code == 1
    assert "sent 2 of 3 messages" in first.stderr
    assert "not sent: gone@globex.example (globex): recipient gone@globex.example refused: 550" in first.stderr
    assert "Traceback" not in first.output + first.stderr
    assert sorted(tos[0] for _, tos, _ in smtp.messages) == ["a@acme.example", "h@hooli.example"]

    smtp.refuse = set()
    second = store("email", "--month", MONTH, "--per-tenant", str(file))
    assert second.exit_code == 0, second.output + second.stderr
    assert "skipped a@acme.example: already sent" in second.stdout
    assert sorted(tos[0] for _, tos, _ in smtp.messages) == ["a@acme.example", "gone@globex.example",
                                                              "h@hooli.example"]


def test_a_refused_login_is_one_line_and_exit_1(spend, tmp_path, smtp, monkeypatch):
    store = small_store(spend, tmp_path)
    monkeypatch.setenv("LLM_SPEND_SMTP_PASSWORD", "wrong-password")
    result = store("email", "--month", MONTH, "--to", "cfo@corp.example")
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("error: SMTP login refused for user 'reporter' at 127.0.0.1:")
    assert "wrong-password" not in result.output + result.stderr and not smtp.messages
    assert store.sql("SELECT count(*) AS n FROM email_sent")[0]["n"] == 0


def test_a_dropped_connection_is_one_line_and_exit_1(spend, tmp_path, monkeypatch):
    store = small_store(spend, tmp_path)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)

    def drop():
        for _ in range(5):
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.close()

    thread = threading.Thread(target=drop, daemon=True)
    thread.start()
    monkeypatch.setenv("LLM_SPEND_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LLM_SPEND_SMTP_PORT", str(listener.getsockname()[1]))
    monkeypatch.setenv("LLM_SPEND_SMTP_FROM", "spend@llm-spend.example")
    try:
        result = store("email", "--month", MONTH, "--to", "cfo@corp.example")
    finally:
        listener.close()
    assert result.exit_code == 1
    assert re.fullmatch(r"error: SMTP server 127\.0\.0\.1:\d+ closed the connection",
                        result.stderr.strip().splitlines()[-1])


def test_an_unreachable_server_is_one_line_and_exit_1(spend, tmp_path, monkeypatch):
    store = small_store(spend, tmp_path)
    monkeypatch.setenv("LLM_SPEND_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LLM_SPEND_SMTP_PORT", str(_free_port()))
    monkeypatch.setenv("LLM_SPEND_SMTP_FROM", "spend@llm-spend.example")
    result = store("email", "--month", MONTH, "--to", "cfo@corp.example")
    assert result.exit_code == 1
    assert re.fullmatch(r"error: cannot reach SMTP server 127\.0\.0\.1:\d+: .+", result.stderr.strip().splitlines()[-1])


def test_no_starttls_offered_is_an_error_not_a_downgrade(spend, tmp_path, monkeypatch):
    store = small_store(spend, tmp_path)
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)  # plain server, no STARTTLS
    controller.start()
    try:
        monkeypatch.setenv("LLM_SPEND_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LLM_SPEND_SMTP_PORT", str(port))
        monkeypatch.setenv("LLM_SPEND_SMTP_FROM", "spend@llm-spend.example")
        result = store("email", "--month", MONTH, "--to", "cfo@corp.example")
        assert result.exit_code == 1
        assert "does not offer STARTTLS" in result.stderr and not inbox.messages
        monkeypatch.setenv("LLM_SPEND_SMTP_SECURITY", "none")  # asked for explicitly: allowed
        result = store("email", "--month", MONTH, "--to", "cfo@corp.example")
        assert result.exit_code == 0, result.output + result.stderr
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_dry_run_writes_eml_files_and_sends_nothing(store, tmp_path):
    file = recipients(tmp_path, [("acme-corp", "a@acme.example"), ("globex", "g@globex.example")])
    outbox = tmp_path / "outbox"
    result = store("email", "--month", MONTH, "--per-tenant", str(file), "--dry-run", str(outbox))
    assert result.exit_code == 0, result.output + result.stderr
    files = sorted(outbox.glob("*.eml"))
    assert [f.name.split("_")[1] for f in files] == ["acme-corp", "globex"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert message["To"] == "a@acme.example" and message.get_content_type() == "multipart/mixed"
    assert store.sql("SELECT count(*) AS n FROM email_sent")[0]["n"] == 0


def test_hostile_tenant_names_reach_no_header_and_no_markup(spend, smtp, tmp_path):
    hostile = "</script><script>alert(1)</script>\r\nBcc: victim@evil.example"
    small_store(spend, tmp_path, tenant=hostile)
    file = tmp_path / "recipients.csv"
    with open(file, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("tenant", "email"), (hostile, "x@t.example")])
    result = spend("email", "--month", MONTH, "--per-tenant", str(file))
    assert result.exit_code == 0, result.output + result.stderr
    (_, tos, raw), = smtp.messages
    assert tos == ["x@t.example"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert "Bcc" not in message and "\n" not in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;/script&gt;&lt;script&gt;alert(1)" in html


def test_bad_recipients_and_flags(store, tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("tenant,mail\nacme-corp,a@acme.example\n", encoding="utf-8")
    result = store("email", "--month", MONTH, "--per-tenant", str(bad))
    assert result.exit_code == 1 and "the header must be tenant,email" in result.stderr
    bad.write_text("tenant,email\nacme-corp,not-an-address\n", encoding="utf-8")
    result = store("email", "--month", MONTH, "--per-tenant", str(bad))
    assert result.exit_code == 1 and "line 2: 'not-an-address' is not an e-mail address" in result.stderr
    assert store("email", "--month", "2026-13", "--to", "a@b.example").exit_code == 2
    assert store("email", "--month", MONTH).exit_code == 2
    config = tmp_path / "spend.toml"
    config.write_text('[email]\nhost = "127.0.0.1"\npassword = "in-a-file"\n', encoding="utf-8")
    result = store("email", "--month", MONTH, "--to", "a@b.example", config=config)
    assert result.exit_code == 1 and "password" in result.stderr and "in-a-file" not in result.stderr
