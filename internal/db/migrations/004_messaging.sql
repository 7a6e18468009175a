-- Messaging: threads between a group's staff and a child's guardians (or
-- one guardian), announcements, and what each recipient did with each
-- message. See docs/messaging.md.

-- kind: child (staff of the group <-> the child's guardians), private
-- (staff of the group <-> one guardian), announcement (to a group, or to
-- the whole kindergarten when group_id is NULL).
CREATE TABLE threads (
  id {{PK}},
  kindergarten_id BIGINT NOT NULL REFERENCES kindergartens(id),
  group_id BIGINT REFERENCES groups(id),
  child_id BIGINT REFERENCES children(id) ON DELETE CASCADE,
  guardian_id BIGINT REFERENCES people(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('child', 'private', 'announcement')),
  created_by BIGINT REFERENCES people(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  last_message_at BIGINT NOT NULL
);
CREATE INDEX threads_group ON threads (group_id, last_message_at);
CREATE INDEX threads_child ON threads (child_id);

-- A message is stored once, in the language it was written in. A
-- phrasebook message stores its entry and slot values instead of text to
-- translate: it is rendered in each reader's language.
CREATE TABLE messages (
  id {{PK}},
  thread_id BIGINT NOT NULL REFERENCES threads(id) ON DELETE CASCADE,
  author_id BIGINT REFERENCES people(id) ON DELETE SET NULL,
  from_staff BOOLEAN NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('practical', 'health', 'incident', 'consent', 'urgent', 'general')),
  lang TEXT NOT NULL,
  body TEXT NOT NULL DEFAULT '',
  phrase_key TEXT NOT NULL DEFAULT '',
  phrase_slots TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX messages_thread ON messages (thread_id, id);

-- One receipt per recipient: the access list of the message for
-- guardians, and "were we understood?" for staff.
CREATE TABLE receipts (
  message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  lang TEXT NOT NULL,
  delivered_at BIGINT,
  read_at BIGINT,
  answer TEXT NOT NULL DEFAULT '' CHECK (answer IN ('', 'understood', 'question', 'interpreter')),
  answered_at BIGINT,
  PRIMARY KEY (message_id, person_id)
);
CREATE INDEX receipts_person ON receipts (person_id, message_id);

-- Free text waiting for (or holding) its translation into one language.
-- status: pending, done, failed (gave up; the reader sees the original
-- with "not translated — ask for help"), none (no provider offers it).
CREATE TABLE message_translations (
  message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  lang TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'none')),
  text TEXT NOT NULL DEFAULT '',
  provider TEXT NOT NULL DEFAULT '',
  checked_by BIGINT REFERENCES people(id) ON DELETE SET NULL,
  -- The translation memory row the text came from: a person's later
  -- correction there replaces the machine text in every message.
  memory_id BIGINT REFERENCES translation_memory(id) ON DELETE SET NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (message_id, lang)
);
CREATE INDEX message_translations_pending ON message_translations (status, next_attempt_at);

-- Things staff must follow up: "I need an interpreter", "I have a question".
CREATE TABLE followups (
  id {{PK}},
  kindergarten_id BIGINT NOT NULL REFERENCES kindergartens(id),
  group_id BIGINT REFERENCES groups(id),
  message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('interpreter', 'question', 'unread')),
  language TEXT NOT NULL DEFAULT '',
  dialect TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  done_at BIGINT,
  done_by BIGINT REFERENCES people(id) ON DELETE SET NULL
);
CREATE INDEX followups_open ON followups (group_id, done_at);

-- Notifications waiting to go out: only "something new", never content.
CREATE TABLE notifications (
  id {{PK}},
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  channel TEXT NOT NULL CHECK (channel IN ('push', 'email', 'sms')),
  urgent BOOLEAN NOT NULL DEFAULT FALSE,
  status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);

-- How each person wants to be reached. Quiet hours in minutes after
-- midnight, Oslo time; equal values mean no quiet hours.
CREATE TABLE contact_preferences (
  person_id BIGINT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
  push BOOLEAN NOT NULL DEFAULT TRUE,
  email BOOLEAN NOT NULL DEFAULT FALSE,
  sms BOOLEAN NOT NULL DEFAULT FALSE,
  quiet_from BIGINT NOT NULL DEFAULT 1260,
  quiet_to BIGINT NOT NULL DEFAULT 420
);

CREATE TABLE push_subscriptions (
  id {{PK}},
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  endpoint TEXT NOT NULL UNIQUE,
  p256dh TEXT NOT NULL,
  auth TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_person ON push_subscriptions (person_id);
