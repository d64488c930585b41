-- notes: users own notebooks, notebooks hold notes, notes carry tags (many-to-many).
DROP TABLE IF EXISTS note_tags, notes, tags, notebooks, users CASCADE;

CREATE TABLE users (
    id           serial PRIMARY KEY,
    username     text NOT NULL UNIQUE,
    display_name text NOT NULL
);

CREATE TABLE notebooks (
    id         serial PRIMARY KEY,
    owner_id   integer NOT NULL REFERENCES users (id),
    title      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notes (
    id          serial PRIMARY KEY,
    notebook_id integer NOT NULL REFERENCES notebooks (id) ON DELETE CASCADE,
    author_id   integer NOT NULL REFERENCES users (id),
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    pinned      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tags (
    id   serial PRIMARY KEY,
    name text NOT NULL UNIQUE
);

CREATE TABLE note_tags (
    note_id integer NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
    tag_id  integer NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (note_id, tag_id)
);
