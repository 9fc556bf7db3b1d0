#!/usr/bin/env bash
# Fills a storefront database (tools/storefront/schema.sql, created when "Product" is missing)
# from an NDJSON export folder (data/catalog-format.md), in pure SQL through psql, in one
# transaction: a failure changes nothing.
#
#   bash tools/storefront/load.sh postgres://user:password@host:5432/shop data/demo
#
# Each file is read into a temp table of one line per row, parsed as jsonb, then upserted by id
# (ON CONFLICT DO UPDATE ... WHERE something changed): running it again updates what the export
# changed and leaves the other rows untouched. Rules:
# - timestamps (RFC 3339) are stored as UTC TIMESTAMP(3); a timestamp without an offset is read
#   as UTC;
# - a product tombstone (`"deleted": true`) sets "deletedAt" (nothing when the product is
#   unknown); a product line without it clears "deletedAt";
# - "updatedAt" is the line's for products, orders and carts; for the other tables, whose
#   contract has only createdAt, it is the line's updatedAt or createdAt (now when it has
#   neither) on insert, and now when a re-run changes the row (what Prisma's @updatedAt does);
# - order lines get the ids <orderId>-000, -001... and cart lines <cartId>-000...: they sort in
#   line order; a re-run replaces the lines of the orders and carts it holds (the unchanged
#   lines stay, the others are deleted then inserted);
# - wishlist rows are keyed by ("userId", "productId"), id 'wl_' || md5(userId || '/' || productId);
# - what the schema's foreign keys would have removed is skipped and counted: a review, a
#   wishlist row or an order line naming an unknown product (the line stays, without its
#   product, as a hard delete leaves it), a review's unknown user (kept, without its user), an
#   order whose user is unknown, a cart whose order is unknown. A cart line keeps an unknown
#   product (no foreign key). An unknown category (a category's parent, a product's category)
#   fails the load;
# - a duplicate id in a file: the last line wins. Invalid JSON (the error names the file and
#   line) or a value of the wrong type fails the whole load, which then changes nothing.
# It prints one line per table (rows in the database, rows in the export, rows skipped) and never
# the database URL (it may hold a password).
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 DATABASE_URL EXPORT_DIR" >&2
    exit 2
fi
url=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
schema=$here/schema.sql

for required in categories products; do
    if [ ! -f "$dir/$required.ndjson" ]; then
        echo "$dir/$required.ndjson is missing: not an export folder (data/catalog-format.md)" >&2
        exit 2
    fi
done

export PGCLIENTENCODING=UTF8
# The files are read by relative name from the export folder (\copy takes no psql variable).
cd "$dir"

{
    cat <<'SQL'
\set ON_ERROR_STOP 1
\set QUIET 1
BEGIN;
SET LOCAL TIME ZONE 'UTC';
SET LOCAL client_min_messages = warning;
SELECT to_regclass('"Product"') IS NULL AS create_schema \gset
\if :create_schema
\echo 'storefront: creating the schema (schema.sql)'
\i :schema
\endif

-- One line of an export per row; n keeps the line order.
CREATE TEMP TABLE src (file TEXT NOT NULL, n BIGSERIAL, line TEXT) ON COMMIT DROP;
CREATE TEMP TABLE src_file (line TEXT) ON COMMIT DROP;
SQL
    # The CSV format with a quote and a delimiter that valid JSON cannot hold raw (control
    # characters are escaped in JSON strings): each line arrives whole, backslashes and quotes
    # untouched.
    for file in categories products users reviews orders wishlists carts; do
        if [ -f "$file.ndjson" ]; then
            printf '%s\n' "\\copy src_file(line) FROM '$file.ndjson' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
            printf '%s\n' "INSERT INTO src(file, line) SELECT '$file', line FROM src_file; TRUNCATE src_file;"
        fi
    done
    cat <<'SQL'

-- Parsed; on invalid JSON, the error names the file and the line.
DO $$
DECLARE
    r RECORD;
BEGIN
    CREATE TEMP TABLE j ON COMMIT DROP AS
    SELECT file, n, line::jsonb AS j FROM src WHERE line IS NOT NULL AND btrim(line, e' \t\r') <> '';
EXCEPTION WHEN others THEN
    FOR r IN SELECT file, line, row_number() OVER (PARTITION BY file ORDER BY n) AS k
               FROM src ORDER BY n LOOP
        BEGIN
            PERFORM r.line::jsonb WHERE btrim(r.line, e' \t\r') <> '';
        EXCEPTION WHEN others THEN
            RAISE EXCEPTION '%.ndjson, line %: %', r.file, r.k, SQLERRM;
        END;
    END LOOP;
    RAISE;
END $$;
ANALYZE j;

-- RFC 3339 text -> UTC TIMESTAMP(3); NULL stays NULL.
CREATE FUNCTION pg_temp.ts(t TEXT) RETURNS TIMESTAMP(3) LANGUAGE sql IMMUTABLE AS
$$ SELECT (t::timestamptz AT TIME ZONE 'UTC')::timestamp(3) $$;
-- A JSON array of strings -> TEXT[], in order; absent or null -> '{}'.
CREATE FUNCTION pg_temp.texts(a JSONB) RETURNS TEXT[] LANGUAGE sql IMMUTABLE AS
$$ SELECT coalesce(array_agg(e ORDER BY i), '{}') FROM jsonb_array_elements_text(
       CASE WHEN jsonb_typeof(a) = 'array' THEN a ELSE '[]' END) WITH ORDINALITY AS x(e, i) $$;

-- Kept past the commit, for the summary.
CREATE TEMP TABLE report (tbl TEXT, lines BIGINT, skipped BIGINT);

-- The last line of each id in a file.
CREATE TEMP TABLE latest ON COMMIT DROP AS
SELECT DISTINCT ON (file, j->>'id') file, n, j FROM j
 WHERE file <> 'wishlists' ORDER BY file, j->>'id', n DESC;
ANALYZE latest;

-- Categories: one statement, so parents and children may come in any order (the foreign key
-- is checked at the end of the statement).
INSERT INTO "Category" AS c (id, slug, name, "parentId", description, "createdAt", "updatedAt")
SELECT l.j->>'id', l.j->>'slug', l.j->>'name', l.j->>'parentId', l.j->>'description',
       coalesce(pg_temp.ts(l.j->>'createdAt'), old."createdAt", (now() AT TIME ZONE 'UTC')),
       coalesce(pg_temp.ts(l.j->>'updatedAt'), pg_temp.ts(l.j->>'createdAt'), (now() AT TIME ZONE 'UTC'))
  FROM latest l LEFT JOIN "Category" old ON old.id = l.j->>'id'
 WHERE l.file = 'categories'
ON CONFLICT (id) DO UPDATE SET
       slug = EXCLUDED.slug, name = EXCLUDED.name, "parentId" = EXCLUDED."parentId",
       description = EXCLUDED.description, "createdAt" = EXCLUDED."createdAt",
       "updatedAt" = (now() AT TIME ZONE 'UTC')
 WHERE (c.slug, c.name, c."parentId", c.description, c."createdAt")
       IS DISTINCT FROM (EXCLUDED.slug, EXCLUDED.name, EXCLUDED."parentId", EXCLUDED.description, EXCLUDED."createdAt");
INSERT INTO report(tbl, lines, skipped) SELECT 'Category', count(*), 0 FROM j WHERE file = 'categories';

-- Products.
INSERT INTO "Product" AS p (id, slug, name, description, price, "comparePrice", currency, stock,
       featured, "categoryId", images, brand, tags, attributes, personalised, "leadTimeDays", cost,
       "productType", "createdAt", "updatedAt", "deletedAt")
SELECT l.j->>'id', l.j->>'slug', l.j->>'name', l.j->>'description',
       (l.j->>'price')::numeric, (l.j->>'comparePrice')::numeric,
       coalesce(l.j->>'currency', 'EUR'), coalesce((l.j->>'stock')::int, 0),
       coalesce((l.j->>'featured')::boolean, false), l.j->>'categoryId',
       pg_temp.texts(l.j->'images'), l.j->>'brand', pg_temp.texts(l.j->'tags'),
       nullif(l.j->'attributes', 'null'::jsonb),
       coalesce((l.j->>'personalised')::boolean, false), (l.j->>'leadTimeDays')::int,
       (l.j->>'cost')::numeric, l.j->>'productType',
       coalesce(pg_temp.ts(l.j->>'createdAt'), (now() AT TIME ZONE 'UTC')),
       coalesce(pg_temp.ts(l.j->>'updatedAt'), pg_temp.ts(l.j->>'createdAt'), (now() AT TIME ZONE 'UTC')),
       NULL
  FROM latest l
 WHERE l.file = 'products' AND l.j->'deleted' IS DISTINCT FROM 'true'::jsonb
ON CONFLICT (id) DO UPDATE SET
       slug = EXCLUDED.slug, name = EXCLUDED.name, description = EXCLUDED.description,
       price = EXCLUDED.price, "comparePrice" = EXCLUDED."comparePrice", currency = EXCLUDED.currency,
       stock = EXCLUDED.stock, featured = EXCLUDED.featured, "categoryId" = EXCLUDED."categoryId",
       images = EXCLUDED.images, brand = EXCLUDED.brand, tags = EXCLUDED.tags,
       attributes = EXCLUDED.attributes, personalised = EXCLUDED.personalised,
       "leadTimeDays" = EXCLUDED."leadTimeDays", cost = EXCLUDED.cost,
       "productType" = EXCLUDED."productType", "createdAt" = EXCLUDED."createdAt", "updatedAt" = EXCLUDED."updatedAt", "deletedAt" = NULL
 WHERE (p.slug, p.name, p.description, p.price, p."comparePrice", p.currency, p.stock, p.featured,
        p."categoryId", p.images, p.brand, p.tags, p.attributes, p.personalised, p."leadTimeDays",
        p.cost, p."productType", p."createdAt", p."updatedAt", p."deletedAt")
       IS DISTINCT FROM
       (EXCLUDED.slug, EXCLUDED.name, EXCLUDED.description, EXCLUDED.price, EXCLUDED."comparePrice",
        EXCLUDED.currency, EXCLUDED.stock, EXCLUDED.featured, EXCLUDED."categoryId", EXCLUDED.images,
        EXCLUDED.brand, EXCLUDED.tags, EXCLUDED.attributes, EXCLUDED.personalised,
        EXCLUDED."leadTimeDays", EXCLUDED.cost, EXCLUDED."productType", EXCLUDED."createdAt",
        EXCLUDED."updatedAt", NULL::timestamp(3));
-- Tombstones: the product stays, marked deleted (a soft delete).
WITH t AS (
    SELECT l.j->>'id' AS id,
           coalesce(pg_temp.ts(l.j->>'updatedAt'), (now() AT TIME ZONE 'UTC')) AS at
      FROM latest l WHERE l.file = 'products' AND l.j->'deleted' = 'true'::jsonb)
UPDATE "Product" p SET "deletedAt" = t.at, "updatedAt" = greatest(p."updatedAt", t.at)
  FROM t WHERE p.id = t.id AND p."deletedAt" IS NULL;
INSERT INTO report(tbl, lines, skipped)
SELECT 'Product', count(*),
       count(*) FILTER (WHERE j->'deleted' = 'true'::jsonb
                          AND NOT EXISTS (SELECT 1 FROM "Product" p WHERE p.id = j->>'id'))
  FROM j WHERE file = 'products';

-- Users.
INSERT INTO "User" AS u (id, email, name, "createdAt", "updatedAt")
SELECT l.j->>'id', l.j->>'email', l.j->>'name',
       coalesce(pg_temp.ts(l.j->>'createdAt'), old."createdAt", (now() AT TIME ZONE 'UTC')),
       coalesce(pg_temp.ts(l.j->>'updatedAt'), pg_temp.ts(l.j->>'createdAt'), (now() AT TIME ZONE 'UTC'))
  FROM latest l LEFT JOIN "User" old ON old.id = l.j->>'id'
 WHERE l.file = 'users'
ON CONFLICT (id) DO UPDATE SET
       email = EXCLUDED.email, name = EXCLUDED.name, "createdAt" = EXCLUDED."createdAt",
       "updatedAt" = (now() AT TIME ZONE 'UTC')
 WHERE (u.email, u.name, u."createdAt") IS DISTINCT FROM (EXCLUDED.email, EXCLUDED.name, EXCLUDED."createdAt");
INSERT INTO report(tbl, lines, skipped) SELECT 'User', count(*), 0 FROM j WHERE file = 'users';

-- Reviews: an unknown product skips the review (its foreign key cascades), an unknown user
-- leaves it without its user (SET NULL).
INSERT INTO "Review" AS r (id, "productId", "userId", rating, comment, "createdAt", "updatedAt")
SELECT l.j->>'id', l.j->>'productId', u.id, (l.j->>'rating')::int, l.j->>'comment',
       coalesce(pg_temp.ts(l.j->>'createdAt'), old."createdAt", (now() AT TIME ZONE 'UTC')),
       coalesce(pg_temp.ts(l.j->>'updatedAt'), pg_temp.ts(l.j->>'createdAt'), (now() AT TIME ZONE 'UTC'))
  FROM latest l
  JOIN "Product" p ON p.id = l.j->>'productId'
  LEFT JOIN "User" u ON u.id = l.j->>'userId'
  LEFT JOIN "Review" old ON old.id = l.j->>'id'
 WHERE l.file = 'reviews'
ON CONFLICT (id) DO UPDATE SET
       "productId" = EXCLUDED."productId", "userId" = EXCLUDED."userId", rating = EXCLUDED.rating,
       comment = EXCLUDED.comment, "createdAt" = EXCLUDED."createdAt",
       "updatedAt" = (now() AT TIME ZONE 'UTC')
 WHERE (r."productId", r."userId", r.rating, r.comment, r."createdAt")
       IS DISTINCT FROM (EXCLUDED."productId", EXCLUDED."userId", EXCLUDED.rating, EXCLUDED.comment, EXCLUDED."createdAt");
INSERT INTO report(tbl, lines, skipped)
SELECT 'Review', count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "Product" p WHERE p.id = j->>'productId'))
  FROM j WHERE file = 'reviews';
SELECT count(*) AS n, count(*) > 0 AS any FROM latest l
 WHERE l.file = 'reviews' AND l.j->>'userId' IS NOT NULL
   AND EXISTS (SELECT 1 FROM "Product" p WHERE p.id = l.j->>'productId')
   AND NOT EXISTS (SELECT 1 FROM "User" u WHERE u.id = l.j->>'userId') \gset unknown_users_
\if :unknown_users_any
\echo 'storefront: reviews naming an unknown user, kept without it:' :unknown_users_n
\endif

-- Orders: an unknown user skips the order (its foreign key restricts).
CREATE TEMP TABLE orders ON COMMIT DROP AS
SELECT l.n, l.j FROM latest l WHERE l.file = 'orders'
   AND EXISTS (SELECT 1 FROM "User" u WHERE u.id = l.j->>'userId');
ANALYZE orders;
INSERT INTO "Order" AS o (id, "orderNumber", "userId", email, status, total, "shippingPostalCode",
       "shippingCountry", carrier, "trackingNumber", "paidAt", "shippedAt", "deliveredAt",
       "cancelledAt", "createdAt", "updatedAt")
SELECT j->>'id', j->>'orderNumber', j->>'userId', j->>'email',
       coalesce(j->>'status', 'PENDING')::"OrderStatus", (j->>'total')::numeric,
       j->>'shippingPostalCode', coalesce(j->>'shippingCountry', 'FR'), j->>'carrier',
       j->>'trackingNumber', pg_temp.ts(j->>'paidAt'), pg_temp.ts(j->>'shippedAt'),
       pg_temp.ts(j->>'deliveredAt'), pg_temp.ts(j->>'cancelledAt'),
       coalesce(pg_temp.ts(j->>'createdAt'), (now() AT TIME ZONE 'UTC')),
       coalesce(pg_temp.ts(j->>'updatedAt'), pg_temp.ts(j->>'createdAt'), (now() AT TIME ZONE 'UTC'))
  FROM orders
ON CONFLICT (id) DO UPDATE SET
       "orderNumber" = EXCLUDED."orderNumber", "userId" = EXCLUDED."userId", email = EXCLUDED.email,
       status = EXCLUDED.status, total = EXCLUDED.total,
       "shippingPostalCode" = EXCLUDED."shippingPostalCode", "shippingCountry" = EXCLUDED."shippingCountry",
       carrier = EXCLUDED.carrier, "trackingNumber" = EXCLUDED."trackingNumber",
       "paidAt" = EXCLUDED."paidAt", "shippedAt" = EXCLUDED."shippedAt",
       "deliveredAt" = EXCLUDED."deliveredAt", "cancelledAt" = EXCLUDED."cancelledAt",
       "createdAt" = EXCLUDED."createdAt", "updatedAt" = EXCLUDED."updatedAt"
 WHERE (o."orderNumber", o."userId", o.email, o.status, o.total, o."shippingPostalCode",
        o."shippingCountry", o.carrier, o."trackingNumber", o."paidAt", o."shippedAt",
        o."deliveredAt", o."cancelledAt", o."createdAt", o."updatedAt")
       IS DISTINCT FROM
       (EXCLUDED."orderNumber", EXCLUDED."userId", EXCLUDED.email, EXCLUDED.status, EXCLUDED.total,
        EXCLUDED."shippingPostalCode", EXCLUDED."shippingCountry", EXCLUDED.carrier,
        EXCLUDED."trackingNumber", EXCLUDED."paidAt", EXCLUDED."shippedAt", EXCLUDED."deliveredAt",
        EXCLUDED."cancelledAt", EXCLUDED."createdAt", EXCLUDED."updatedAt");
INSERT INTO report(tbl, lines, skipped)
SELECT 'Order', (SELECT count(*) FROM j WHERE file = 'orders'),
       (SELECT count(*) FROM latest WHERE file = 'orders') - count(*)
  FROM orders;

-- Order lines: <orderId>-000, -001... An unknown product leaves the line without it.
CREATE TEMP TABLE order_items ON COMMIT DROP AS
SELECT o.j->>'id' || '-' || lpad((x.i - 1)::text, greatest(3, length((x.i - 1)::text)), '0') AS id,
       o.j->>'id' AS "orderId", p.id AS "productId", (x.item->>'quantity')::int AS quantity,
       (x.item->>'price')::numeric(10,2) AS price, x.item->>'productId' AS named
  FROM orders o
 CROSS JOIN LATERAL jsonb_array_elements(
       CASE WHEN jsonb_typeof(o.j->'items') = 'array' THEN o.j->'items' ELSE '[]' END) WITH ORDINALITY AS x(item, i)
  LEFT JOIN "Product" p ON p.id = x.item->>'productId';
ANALYZE order_items;
DELETE FROM "OrderItem" oi
 USING orders o
 WHERE oi."orderId" = o.j->>'id'
   AND NOT EXISTS (SELECT 1 FROM order_items n
                    WHERE n.id = oi.id
                      AND (n."orderId", n."productId", n.quantity, n.price)
                          IS NOT DISTINCT FROM (oi."orderId", oi."productId", oi.quantity, oi.price));
INSERT INTO "OrderItem" (id, "orderId", "productId", quantity, price)
SELECT id, "orderId", "productId", quantity, price FROM order_items
ON CONFLICT (id) DO NOTHING;
INSERT INTO report(tbl, lines, skipped)
SELECT 'OrderItem', count(*), count(*) FILTER (WHERE named IS NOT NULL AND "productId" IS NULL) FROM order_items;

-- Wishlists: keyed by user and product; an unknown product skips the row.
INSERT INTO "Wishlist" AS w (id, "userId", "productId", "createdAt")
SELECT DISTINCT ON (l.j->>'userId', l.j->>'productId')
       'wl_' || md5((l.j->>'userId') || '/' || (l.j->>'productId')), l.j->>'userId', l.j->>'productId',
       coalesce(pg_temp.ts(l.j->>'createdAt'), (now() AT TIME ZONE 'UTC'))
  FROM j l JOIN "Product" p ON p.id = l.j->>'productId'
 WHERE l.file = 'wishlists'
 ORDER BY l.j->>'userId', l.j->>'productId', l.n DESC
ON CONFLICT ("userId", "productId") DO UPDATE SET "createdAt" = EXCLUDED."createdAt"
 WHERE w."createdAt" IS DISTINCT FROM EXCLUDED."createdAt";
INSERT INTO report(tbl, lines, skipped)
SELECT 'Wishlist', count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "Product" p WHERE p.id = j->>'productId'))
  FROM j WHERE file = 'wishlists';

-- Carts: a cart naming an unknown order is skipped (the contract rejects it).
CREATE TEMP TABLE carts ON COMMIT DROP AS
SELECT l.n, l.j FROM latest l WHERE l.file = 'carts'
   AND (l.j->>'orderId' IS NULL OR EXISTS (SELECT 1 FROM "Order" o WHERE o.id = l.j->>'orderId'));
ANALYZE carts;
INSERT INTO "Cart" AS c (id, "userId", "orderId", "createdAt", "updatedAt")
SELECT j->>'id', j->>'userId', j->>'orderId',
       coalesce(pg_temp.ts(j->>'createdAt'), (now() AT TIME ZONE 'UTC')),
       coalesce(pg_temp.ts(j->>'updatedAt'), pg_temp.ts(j->>'createdAt'), (now() AT TIME ZONE 'UTC'))
  FROM carts
ON CONFLICT (id) DO UPDATE SET
       "userId" = EXCLUDED."userId", "orderId" = EXCLUDED."orderId",
       "createdAt" = EXCLUDED."createdAt", "updatedAt" = EXCLUDED."updatedAt"
 WHERE (c."userId", c."orderId", c."createdAt", c."updatedAt")
       IS DISTINCT FROM (EXCLUDED."userId", EXCLUDED."orderId", EXCLUDED."createdAt", EXCLUDED."updatedAt");
INSERT INTO report(tbl, lines, skipped)
SELECT 'Cart', (SELECT count(*) FROM j WHERE file = 'carts'),
       (SELECT count(*) FROM latest WHERE file = 'carts') - count(*)
  FROM carts;

-- Cart lines: <cartId>-000, -001...; the product is kept as named (no foreign key).
CREATE TEMP TABLE cart_items ON COMMIT DROP AS
SELECT c.j->>'id' || '-' || lpad((x.i - 1)::text, greatest(3, length((x.i - 1)::text)), '0') AS id,
       c.j->>'id' AS "cartId", x.item->>'productId' AS "productId",
       (x.item->>'quantity')::int AS quantity, (x.item->>'price')::numeric(10,2) AS price
  FROM carts c
 CROSS JOIN LATERAL jsonb_array_elements(
       CASE WHEN jsonb_typeof(c.j->'items') = 'array' THEN c.j->'items' ELSE '[]' END) WITH ORDINALITY AS x(item, i);
ANALYZE cart_items;
DELETE FROM "CartItem" ci
 USING carts c
 WHERE ci."cartId" = c.j->>'id'
   AND NOT EXISTS (SELECT 1 FROM cart_items n
                    WHERE n.id = ci.id
                      AND (n."cartId", n."productId", n.quantity, n.price)
                          IS NOT DISTINCT FROM (ci."cartId", ci."productId", ci.quantity, ci.price));
INSERT INTO "CartItem" (id, "cartId", "productId", quantity, price)
SELECT id, "cartId", "productId", quantity, price FROM cart_items
ON CONFLICT (id) DO NOTHING;
INSERT INTO report(tbl, lines, skipped) SELECT 'CartItem', count(*), 0 FROM cart_items;

COMMIT;
\pset footer off
\pset tuples_only on
\pset format unaligned
\echo 'storefront: loaded into database' :DBNAME 'at host' :HOST 'port' :PORT
SELECT format('%-10s %7s rows  (export: %s%s)', o.tbl, t.n, coalesce(r.lines, 0),
              CASE WHEN r.skipped > 0 THEN format(', %s skipped', r.skipped) ELSE '' END)
  FROM (VALUES (1, 'Category'), (2, 'Product'), (3, 'User'), (4, 'Review'), (5, 'Order'),
               (6, 'OrderItem'), (7, 'Wishlist'), (8, 'Cart'), (9, 'CartItem')) AS o(k, tbl)
  JOIN (SELECT 'Category' AS tbl, count(*) AS n FROM "Category"
        UNION ALL SELECT 'Product', count(*) FROM "Product"
        UNION ALL SELECT 'User', count(*) FROM "User"
        UNION ALL SELECT 'Review', count(*) FROM "Review"
        UNION ALL SELECT 'Order', count(*) FROM "Order"
        UNION ALL SELECT 'OrderItem', count(*) FROM "OrderItem"
        UNION ALL SELECT 'Wishlist', count(*) FROM "Wishlist"
        UNION ALL SELECT 'Cart', count(*) FROM "Cart"
        UNION ALL SELECT 'CartItem', count(*) FROM "CartItem") AS t USING (tbl)
  LEFT JOIN report r USING (tbl)
 ORDER BY o.k;
SQL
} | psql -X -q -v schema="$schema" -d "$url"
