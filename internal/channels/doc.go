// Package channels carries notifications out of Tillit and replies back in:
// e-mail over SMTP and SMS through a provider. It is transport only: who
// is told what, when, and in which language is decided by the messaging
// feature, which also matches replies to the messages they answer.
//
// E-mail: Mailer sends one plain-text message (no HTML) per call, over
// STARTTLS, and authenticates (AUTH PLAIN) only once the connection is
// encrypted.
//
// SMS: every provider implements SMSProvider. Outbox, the default, sends
// nothing: it records each message in the table sms_outbox. It is also a
// transactional outbox for real providers: Queue stores a message in the
// caller's transaction and Deliver hands it to a provider (Twilio) later,
// with retries. ParseReply reads the reply codes "1", "2" and "3" in the
// digits families actually type; ParseInbound reads and authenticates
// Twilio's inbound webhook.
//
// Errors from sending are *SendError values. IsTemporary tells whether
// trying again later may succeed (SMTP 4xx, HTTP 429 and 5xx, network
// failures); everything else is permanent and must not be retried.
//
// Nothing here logs addresses, phone numbers or message text.
package channels
