-- Every SMS Tillit sends or would send (package internal/channels).
-- status: 'queued'   stored, waiting for Deliver to hand it to a provider;
--         'sent'     a provider accepted it (provider, provider_id, sent_at);
--         'failed'   a provider refused it for good, or retries ran out;
--         'recorded' the built-in outbox provider kept it instead of sending.
-- error is the last failure, also while a queued message waits for a retry.
-- attempts and next_attempt_at drive the retries of queued messages.
-- message_ref is the messaging feature's reference (its receipt).

CREATE TABLE sms_outbox (
  id {{PK}},
  to_phone TEXT NOT NULL,
  body TEXT NOT NULL,
  provider TEXT NOT NULL DEFAULT '',
  provider_id TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'recorded')),
  error TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  sent_at BIGINT,
  message_ref TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sms_outbox_due ON sms_outbox (status, next_attempt_at);
CREATE INDEX sms_outbox_to_phone ON sms_outbox (to_phone, id);
CREATE INDEX sms_outbox_message_ref ON sms_outbox (message_ref);
