-- Seed data. Idempotent: it empties every table first, so tests re-run it to reset state
-- (DELETE rather than TRUNCATE: on tables this small it is about ten times faster).
DELETE FROM order_lines;
DELETE FROM orders;
DELETE FROM customers;
DELETE FROM books;
DELETE FROM authors;

INSERT INTO authors (id, name, email, country, created_at) VALUES
    (1, 'Ursula K. Le Guin',        'ursula@authors.example',      'US', '2023-11-02 08:00:00+00'),
    (2, 'Gabriel García Márquez',   'gabo@authors.example',        'CO', '2023-11-02 08:05:00+00'),
    (3, 'Chimamanda Ngozi Adichie', 'chimamanda@authors.example',  'NG', '2023-11-03 10:30:00+00'),
    (4, 'Haruki Murakami',          'haruki@authors.example',      'JP', '2023-11-04 12:00:00+00'),
    (5, 'Wisława Szymborska',       NULL,                          'PL', '2023-11-05 16:45:00+00');

INSERT INTO books (id, isbn, title, author_id, list_price, stock, published_on, metadata, updated_at) VALUES
    (1, '9780553803716', 'The Left Hand of Darkness', 1, 14.99, 12, '1969-03-01',
        '{"format": "paperback", "weight_g": 320, "tags": ["sci-fi", "classic"]}', '2024-01-10 09:00:00+00'),
    (2, '9780441004782', 'The Dispossessed', 1, 15.50, 3, '1974-05-01',
        '{"format": "paperback", "weight_g": 380, "tags": ["sci-fi"]}', '2024-01-10 09:00:00+00'),
    (3, '9780307474728', 'Cien años de soledad', 2, 18.00, 7, '1967-05-30',
        '{"format": "hardcover", "weight_g": 540, "language": "es", "tags": ["magical realism"]}', '2024-01-11 11:15:00+00'),
    (4, '9781400095209', 'Half of a Yellow Sun', 3, 13.25, 0, '2006-08-11',
        '{"format": "paperback", "weight_g": 450, "tags": ["historical"]}', '2024-01-12 13:30:00+00'),
    (5, '9780307271082', 'Americanah', 3, 16.40, 9, '2013-05-14',
        '{"format": "paperback", "weight_g": 480, "tags": ["literary"]}', '2024-01-12 13:30:00+00'),
    (6, '9781400079810', 'Kafka on the Shore', 4, 12.80, 5, '2002-09-12',
        '{"format": "paperback", "weight_g": 510, "language": "en", "tags": ["surreal"]}', '2024-01-15 08:45:00+00'),
    (7, '9780375704024', 'Norwegian Wood', 4, 11.95, 2, '1987-09-04',
        '{"format": "paperback", "weight_g": 300, "tags": ["literary"]}', '2024-01-15 08:45:00+00'),
    (8, '9780156000215', 'View with a Grain of Sand', 5, 21.00, 4, '1995-09-01',
        '{"format": "hardcover", "weight_g": 210, "language": "en", "tags": ["poetry"]}', '2024-01-20 17:00:00+00');

INSERT INTO customers (id, email, name, country, created_at) VALUES
    (1, 'alice@example.com', 'Alice Martin',  'US', '2024-02-01 10:00:00+00'),
    (2, 'bruno@example.de',  'Bruno Schäfer', 'DE', '2024-02-03 15:20:00+00'),
    (3, 'chiara@example.it', 'Chiara Rossi',  'IT', '2024-02-07 09:10:00+00');

INSERT INTO orders (id, customer_id, status, currency, total, shipping_cost, shipping, created_at) VALUES
    (1, 1, 'shipped', 'USD', 47.77, 4.99,
        '{"carrier": "USPS", "country": "US", "eta_days": 3}', '2024-03-01 09:30:00+00'),
    (2, 2, 'placed',  'EUR', 37.71, 7.36,
        '{"carrier": "DHL", "country": "DE", "eta_days": 5}',  '2024-03-15 14:05:00+00'),
    (3, 1, 'placed',  'USD', 65.89, 6.49,
        '{"carrier": "USPS", "country": "US", "eta_days": 3}', '2024-04-02 18:45:10+00');

INSERT INTO order_lines (order_id, book_id, qty, unit_price) VALUES
    (1, 1, 2, 14.99),
    (1, 6, 1, 12.80),
    (2, 3, 1, 16.56),
    (2, 1, 1, 13.79),
    (3, 6, 3, 12.80),
    (3, 8, 1, 21.00);

SELECT setval(pg_get_serial_sequence('authors', 'id'), (SELECT max(id) FROM authors));
SELECT setval(pg_get_serial_sequence('books', 'id'), (SELECT max(id) FROM books));
SELECT setval(pg_get_serial_sequence('customers', 'id'), (SELECT max(id) FROM customers));
SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders));
