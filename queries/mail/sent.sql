-- name: email_sent_for_month
-- The sent log of one month: which (tenant, recipient) messages went out, so a re-run after a
-- partial failure sends only the rest. A NULL tenant is the report sent with --to.
SELECT tenant, recipient
FROM email_sent
WHERE month = $month;

-- name: record_email_sent
-- One message accepted by the SMTP server, recorded right after it was sent.
INSERT INTO email_sent (month, tenant, recipient, subject, message_id, sent_at)
VALUES ($month, $tenant, $recipient, $subject, $message_id, $sent_at);
