-- Free-text SMS from guardians become messages (see docs/messaging.md,
-- "Answers by SMS"). Written once for SQLite and PostgreSQL.
--
-- sms_sid: the gateway's id of the inbound SMS (Twilio's MessageSid) for a
-- message that arrived by SMS, NULL for one written in the app. Unique, so
-- a webhook the gateway retries stores the message once; the pages say
-- "received by SMS" when it is set.
-- reply_to: the message the SMS answered (the one its notification SMS was
-- about); it may sit in another thread, for example an announcement whose
-- answer goes to the guardian's private thread with the group.
ALTER TABLE messages ADD COLUMN sms_sid TEXT;
ALTER TABLE messages ADD COLUMN reply_to BIGINT REFERENCES messages(id) ON DELETE SET NULL;
CREATE UNIQUE INDEX messages_sms_sid ON messages (sms_sid);
