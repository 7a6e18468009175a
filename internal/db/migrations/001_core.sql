-- The kindergarten's people and their rights.
-- {{PK}} becomes the dialect's auto-increment primary key.

CREATE TABLE organisations (
  id {{PK}},
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('municipality', 'private')),
  created_at BIGINT NOT NULL
);

CREATE TABLE kindergartens (
  id {{PK}},
  organisation_id BIGINT NOT NULL REFERENCES organisations(id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE groups (
  id {{PK}},
  kindergarten_id BIGINT NOT NULL REFERENCES kindergartens(id),
  name TEXT NOT NULL,
  UNIQUE (kindergarten_id, name)
);

-- A person is a guardian, a staff member, or both. login is lower-case and
-- unique; it is NULL until the person accepts an invitation.
CREATE TABLE people (
  id {{PK}},
  name TEXT NOT NULL,
  login TEXT UNIQUE,
  password_hash TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  ui_language TEXT NOT NULL DEFAULT 'nb',
  languages TEXT NOT NULL DEFAULT '',
  info_preference TEXT NOT NULL DEFAULT 'text' CHECK (info_preference IN ('text', 'audio', 'pictures')),
  needs_interpreter BOOLEAN NOT NULL DEFAULT FALSE,
  interpreter_language TEXT NOT NULL DEFAULT '',
  interpreter_dialect TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  confidential_address TEXT NOT NULL DEFAULT '' CHECK (confidential_address IN ('', 'fortrolig', 'strengt_fortrolig')),
  import_ref TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);

-- Staff roles. owner_admin rows have no kindergarten: they cover the organisation.
CREATE TABLE staff_roles (
  id {{PK}},
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  organisation_id BIGINT NOT NULL REFERENCES organisations(id),
  kindergarten_id BIGINT REFERENCES kindergartens(id),
  role TEXT NOT NULL CHECK (role IN ('owner_admin', 'manager', 'pedagogical_leader', 'assistant')),
  UNIQUE (person_id, organisation_id, kindergarten_id)
);

CREATE TABLE staff_groups (
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  group_id BIGINT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
  PRIMARY KEY (person_id, group_id)
);

CREATE TABLE children (
  id {{PK}},
  kindergarten_id BIGINT NOT NULL REFERENCES kindergartens(id),
  group_id BIGINT REFERENCES groups(id),
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  birth_date TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  confidential_address TEXT NOT NULL DEFAULT '' CHECK (confidential_address IN ('', 'fortrolig', 'strengt_fortrolig')),
  import_ref TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX children_group ON children (group_id);
CREATE INDEX children_kindergarten ON children (kindergarten_id);

-- The link between a child and a guardian, with the rights it carries.
CREATE TABLE guardianships (
  child_id BIGINT NOT NULL REFERENCES children(id) ON DELETE CASCADE,
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  parental_responsibility BOOLEAN NOT NULL DEFAULT TRUE,
  lives_with BOOLEAN NOT NULL DEFAULT TRUE,
  no_information BOOLEAN NOT NULL DEFAULT FALSE,
  no_pickup BOOLEAN NOT NULL DEFAULT FALSE,
  PRIMARY KEY (child_id, person_id)
);
CREATE INDEX guardianships_person ON guardianships (person_id);

CREATE TABLE invitations (
  id {{PK}},
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  kindergarten_id BIGINT NOT NULL REFERENCES kindergartens(id),
  token_hash TEXT NOT NULL UNIQUE,
  code_hash TEXT NOT NULL UNIQUE,
  created_by BIGINT REFERENCES people(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  accepted_at BIGINT
);

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  idle_seconds BIGINT NOT NULL,
  user_agent TEXT NOT NULL DEFAULT '',
  method TEXT NOT NULL DEFAULT 'password'
);
CREATE INDEX sessions_person ON sessions (person_id);

-- Failed sign-ins per key ("login:NAME" or "addr:IP-PREFIX") in a window.
CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures BIGINT NOT NULL,
  window_start BIGINT NOT NULL
);

CREATE TABLE passkeys (
  id TEXT PRIMARY KEY,
  person_id BIGINT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  credential TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX passkeys_person ON passkeys (person_id);

-- Short-lived WebAuthn ceremony state, keyed by a cookie's hash.
CREATE TABLE passkey_ceremonies (
  id_hash TEXT PRIMARY KEY,
  person_id BIGINT,
  data TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
