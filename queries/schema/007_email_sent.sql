-- Migration 007: the sent log of `llm-spend email` (docs: README "E-mail"). One row per message
-- accepted by the SMTP server; a re-run skips what is here for the same month, tenant and
-- recipient (unless --resend), so nothing is sent twice after a partial failure.
CREATE TABLE email_sent (
    month      VARCHAR NOT NULL,   -- YYYY-MM the message reports on
    tenant     VARCHAR,            -- the statement's tenant; NULL for a report sent with --to
    recipient  VARCHAR NOT NULL,
    subject    VARCHAR NOT NULL,
    message_id VARCHAR NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL
);
