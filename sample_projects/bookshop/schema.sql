-- bookshop schema (PostgreSQL 13+). Loaded once into a fresh database; seed.sql fills it.
CREATE TABLE authors (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    email       text UNIQUE,
    country     char(2),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE books (
    id            serial PRIMARY KEY,
    isbn          text NOT NULL UNIQUE,
    title         text NOT NULL,
    author_id     integer NOT NULL REFERENCES authors (id),
    list_price    numeric(8, 2) NOT NULL CHECK (list_price >= 0),
    stock         integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    published_on  date,
    metadata      jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX books_author_id_idx ON books (author_id);

CREATE TABLE customers (
    id          serial PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    name        text NOT NULL,
    country     char(2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id             serial PRIMARY KEY,
    customer_id    integer NOT NULL REFERENCES customers (id),
    status         text NOT NULL DEFAULT 'placed'
                   CHECK (status IN ('placed', 'shipped', 'cancelled')),
    currency       char(3) NOT NULL,
    total          numeric(10, 2) NOT NULL,
    shipping_cost  numeric(8, 2) NOT NULL,
    shipping       jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_customer_id_idx ON orders (customer_id, created_at);

CREATE TABLE order_lines (
    order_id    integer NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    book_id     integer NOT NULL REFERENCES books (id),
    qty         integer NOT NULL CHECK (qty > 0),
    unit_price  numeric(8, 2) NOT NULL,
    PRIMARY KEY (order_id, book_id)
);
