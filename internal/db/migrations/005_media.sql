-- Pictures and sound: attachments of messages (a photo, a voice
-- message) and recordings of phrasebook entries. The bytes are files in
-- the media store (internal/media); these rows say what they are and,
-- through their message, who may see them. See docs/media.md.

CREATE TABLE attachments (
  id {{PK}},
  message_id BIGINT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('image', 'audio')),
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  file TEXT NOT NULL UNIQUE,
  width BIGINT NOT NULL DEFAULT 0,
  height BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

-- A phrasebook entry read aloud in one language by someone of the
-- kindergarten; played with every message built from that entry to
-- readers of that language.
CREATE TABLE phrase_audio (
  kindergarten_id BIGINT NOT NULL REFERENCES kindergartens(id) ON DELETE CASCADE,
  phrase_key TEXT NOT NULL,
  lang TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  file TEXT NOT NULL UNIQUE,
  recorded_by BIGINT REFERENCES people(id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (kindergarten_id, phrase_key, lang)
);
