-- Deterministic seed: re-run before every test (identities restart, so ids are stable).
TRUNCATE note_tags, notes, tags, notebooks, users RESTART IDENTITY CASCADE;

INSERT INTO users (username, display_name) VALUES
    ('ada', 'Ada Lovelace'),           -- 1
    ('grace', 'Grace Hopper'),         -- 2
    ('edsger', 'Edsger W. Dijkstra');  -- 3 (no notebooks)

INSERT INTO notebooks (owner_id, title, created_at) VALUES
    (1, 'Engines', '2024-03-01 09:00:00+00'),    -- 1
    (1, 'Letters', '2024-03-02 09:00:00+00'),    -- 2
    (2, 'Compilers', '2024-03-03 09:00:00+00');  -- 3

INSERT INTO notes (notebook_id, author_id, title, body, pinned, created_at) VALUES
    (1, 1, 'Analytical engine', 'Operations on symbols, not only numbers.', true, '2024-03-01 10:00:00+00'),  -- 1
    (1, 1, 'Bernoulli numbers', 'Note G: a program for the engine.', false, '2024-03-01 11:00:00+00'),       -- 2
    (2, 1, 'To Babbage', 'On the engine''s notation — café, naïve.', false, '2024-03-02 10:00:00+00'),      -- 3
    (3, 2, 'A-0 System', 'The first compiler: subroutines by number.', true, '2024-03-03 10:00:00+00'),      -- 4
    (3, 2, 'COBOL', 'Business-oriented language; English-like syntax.', false, '2024-03-03 11:00:00+00'),     -- 5
    (3, 1, 'Guest note', 'Ada writes in Grace''s notebook about engines.', false, '2024-03-03 12:00:00+00');  -- 6

INSERT INTO tags (name) VALUES
    ('history'),    -- 1
    ('math'),       -- 2
    ('compilers'),  -- 3
    ('unused');     -- 4

INSERT INTO note_tags (note_id, tag_id) VALUES
    (1, 1), (1, 2),
    (2, 2),
    (4, 1), (4, 3),
    (5, 3),
    (6, 1);
