-- Translation memory: each free text translated once per language pair,
-- and people's corrections, which replace the machine result everywhere.
-- source_hash is the SHA-256 (hex) of the normalized source text (NFC,
-- whitespace collapsed, trimmed): see package translate.
-- A row is checked by a person when checked_at is set; checked_by says who
-- (NULL again if that person is later deleted). approximate marks a machine
-- translation made through a related language (Dari via Persian).

CREATE TABLE translation_memory (
  id {{PK}},
  source_lang TEXT NOT NULL,
  target_lang TEXT NOT NULL,
  source_hash TEXT NOT NULL,
  source_text TEXT NOT NULL,
  translated_text TEXT NOT NULL,
  provider TEXT NOT NULL,
  approximate BOOLEAN NOT NULL DEFAULT FALSE,
  checked_by BIGINT NULL REFERENCES people(id) ON DELETE SET NULL,
  checked_at BIGINT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (source_lang, target_lang, source_hash)
);
