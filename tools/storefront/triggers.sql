-- Optional triggers for the engine's live sync, for a store's DBA to install on the storefront's
-- database (the schema of schema.sql, or the same models under other names: see the calls at the
-- end). The sync works without them, and finds out by itself whether they are installed (the
-- "vivr_tombstone" table and a "vivrXid" column on every table it reads). The sync itself never
-- writes to the store's database: it reads, with a read-only role (readonly-role.sql); what
-- writes here is these triggers, in the store's own transactions.
--
--   psql -v ON_ERROR_STOP=1 -d "$DATABASE_URL" -f tools/storefront/triggers.sql
--
-- Idempotent: run it again after a schema change (a new table, a new column) or to update it.
-- One transaction: it installs everything or nothing.
--
-- What each part buys:
-- - A transaction-id fence. Every table gets a "vivrXid" xid8 column (indexed), set by a BEFORE
--   INSERT OR UPDATE row trigger to the writing transaction's id (pg_current_xact_id()). Each
--   sync reads the rows at or past its previous fence and moves the fence to
--   pg_snapshot_xmin(pg_current_snapshot()) of its own snapshot, below which every transaction
--   has ended: a long transaction that commits after newer ones is still read, where the
--   ("updatedAt", "id") keyset (the mode without triggers) only catches it within its overlap
--   window. The same trigger, on UPDATE of a table that has "updatedAt" (its name is the
--   trigger's argument), sets it to now() in UTC, so that a raw SQL write (a price changed in
--   psql, a batch script) moves it as Prisma's @updatedAt would.
-- - Tombstones. An AFTER DELETE row trigger writes the deleted row's key into "vivr_tombstone"
--   (the table's name and a JSON object of its key columns, given as the trigger's arguments:
--   "id"; "id", "userId" and "productId" for "Wishlist"; "id" and "orderId" for "OrderItem";
--   "id" and "cartId" for "CartItem", so that the sync re-reads the order or cart of a deleted
--   line). A hard delete then reaches the replica at the next sync, without waiting for the
--   periodic full reconcile that finds deletes by comparing every id. Cascaded deletes (a
--   product's reviews) write their tombstones too. TRUNCATE writes none (the reconcile catches
--   it). The table is only ever appended to: prune it now and then, keeping more than the
--   sync's longest possible outage (DELETE FROM "vivr_tombstone" WHERE "deletedAt" < now() AT
--   TIME ZONE 'UTC' - interval '30 days').
-- - NOTIFY. An AFTER INSERT OR UPDATE OR DELETE statement trigger sends
--   pg_notify('vivr_sync', <table>) (delivered at commit, one per table and transaction): the
--   sync's watcher (LISTEN vivr_sync) wakes at once instead of at its next poll.
-- The "table" of a tombstone and the payload of a notification are the table's name as the
-- sync's configuration writes it: Product for public."Product", shop.produits for a table of
-- another schema.
--
-- Costs: one trigger call per written row and one per statement; a deleted row also inserts a
-- tombstone. The tombstone function is SECURITY DEFINER (owned by whoever runs this script), so
-- the application's role needs no right on "vivr_tombstone". Adding the column is instant (no
-- default, no rewrite; existing rows keep NULL until written, which the sync's first full read
-- covers), but CREATE INDEX locks the table against writes while it builds: on a large table,
-- first create the index by hand with CREATE INDEX CONCURRENTLY "<Table>_vivrXid_idx" ON
-- "<Table>" ("vivrXid"), and this script skips it.
--
-- With Prisma: put this script in a migration (`prisma migrate dev --create-only`, then paste
-- it), and declare `vivrXid Unsupported("xid8")?` in each model, or `prisma migrate dev` reads
-- the column and the tombstone table as drift.
--
-- To remove everything, for each table T: DROP TRIGGER vivr_stamp ON T; DROP TRIGGER
-- vivr_tombstone ON T; DROP TRIGGER vivr_notify ON T; ALTER TABLE T DROP COLUMN "vivrXid";
-- then DROP TABLE "vivr_tombstone"; DROP FUNCTION vivr_stamp(), vivr_tombstone(), vivr_notify();

BEGIN;
SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS "vivr_tombstone" (
    "seq" BIGSERIAL PRIMARY KEY,
    "table" TEXT NOT NULL,
    "key" JSONB NOT NULL,
    "vivrXid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
    "deletedAt" TIMESTAMP(3) NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX IF NOT EXISTS "vivr_tombstone_vivrXid_idx" ON "vivr_tombstone" ("vivrXid");

-- BEFORE INSERT OR UPDATE, for each row. Argument (optional): the name of the table's
-- "updatedAt" column, set to now() in UTC on UPDATE.
CREATE OR REPLACE FUNCTION vivr_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_NARGS > 0 THEN
        -- By name, so that one function serves every table; the text (UTC, with its Z) reads
        -- right into a TIMESTAMP(3) as into a timestamptz column.
        NEW := jsonb_populate_record(NEW, jsonb_build_object(TG_ARGV[0],
            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')));
    END IF;
    NEW."vivrXid" := pg_current_xact_id();
    RETURN NEW;
END $$;

-- AFTER DELETE, for each row. Arguments: the key columns to keep, each as "column" or, for a
-- store whose column names are not the contract's, "field=column" (the key's field is always
-- the contract's name: "userId=user_id").
CREATE OR REPLACE FUNCTION vivr_tombstone() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    old_row JSONB := to_jsonb(OLD);
    k JSONB := '{}';
    col TEXT;
BEGIN
    FOREACH col IN ARRAY TG_ARGV LOOP
        k := k || jsonb_build_object(split_part(col, '=', 1),
                                     old_row -> coalesce(nullif(split_part(col, '=', 2), ''), col));
    END LOOP;
    INSERT INTO "vivr_tombstone" ("table", "key")
    VALUES (CASE WHEN TG_TABLE_SCHEMA = 'public' THEN TG_TABLE_NAME
                 ELSE TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME END, k);
    RETURN NULL;
END $$;
-- Only this script attaches it (firing a trigger checks no right).
REVOKE ALL ON FUNCTION vivr_tombstone() FROM PUBLIC;

-- AFTER INSERT OR UPDATE OR DELETE, for each statement.
CREATE OR REPLACE FUNCTION vivr_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vivr_sync', CASE WHEN TG_TABLE_SCHEMA = 'public' THEN TG_TABLE_NAME
                                        ELSE TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME END);
    RETURN NULL;
END $$;

-- Installs the column, its index and the three triggers on one table (a function of this
-- session only: it leaves nothing behind).
CREATE FUNCTION pg_temp.vivr_watch(tbl REGCLASS, updated_at TEXT, key_columns TEXT[])
RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    rel NAME := (SELECT relname FROM pg_class WHERE oid = tbl);
    col TEXT;
BEGIN
    FOREACH col IN ARRAY key_columns || ARRAY[updated_at] LOOP
        CONTINUE WHEN col IS NULL;
        col := coalesce(nullif(split_part(col, '=', 2), ''), col);
        IF NOT EXISTS (SELECT 1 FROM pg_attribute
                        WHERE attrelid = tbl AND attname = col AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'vivr triggers: table % has no column "%"', tbl, col;
        END IF;
    END LOOP;
    EXECUTE format('ALTER TABLE %s ADD COLUMN IF NOT EXISTS "vivrXid" xid8', tbl);
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s ("vivrXid")', rel || '_vivrXid_idx', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS vivr_stamp ON %s', tbl);
    EXECUTE format('CREATE TRIGGER vivr_stamp BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION vivr_stamp(%s)',
                   tbl, coalesce(quote_literal(updated_at), ''));
    EXECUTE format('DROP TRIGGER IF EXISTS vivr_tombstone ON %s', tbl);
    EXECUTE format('CREATE TRIGGER vivr_tombstone AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION vivr_tombstone(%s)',
                   tbl, (SELECT string_agg(quote_literal(c), ', ') FROM unnest(key_columns) AS c));
    EXECUTE format('DROP TRIGGER IF EXISTS vivr_notify ON %s', tbl);
    EXECUTE format('CREATE TRIGGER vivr_notify AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH STATEMENT EXECUTE FUNCTION vivr_notify()',
                   tbl);
END $$;

-- The tables the sync reads: (table, its "updatedAt" column or NULL, its tombstone's keys).
-- A store with other names writes its own here, as in the sync's [sync] configuration:
-- PERFORM pg_temp.vivr_watch('shop.favoris', NULL, ARRAY['id', 'userId=client_id', 'productId=produit_id']);
DO $$ BEGIN
    PERFORM pg_temp.vivr_watch('"Category"',  'updatedAt', ARRAY['id']);
    PERFORM pg_temp.vivr_watch('"Product"',   'updatedAt', ARRAY['id']);
    PERFORM pg_temp.vivr_watch('"User"',      'updatedAt', ARRAY['id']);
    PERFORM pg_temp.vivr_watch('"Review"',    'updatedAt', ARRAY['id']);
    PERFORM pg_temp.vivr_watch('"Order"',     'updatedAt', ARRAY['id']);
    PERFORM pg_temp.vivr_watch('"OrderItem"', NULL,        ARRAY['id', 'orderId']);
    PERFORM pg_temp.vivr_watch('"Wishlist"',  NULL,        ARRAY['id', 'userId', 'productId']);
    PERFORM pg_temp.vivr_watch('"Cart"',      'updatedAt', ARRAY['id']);
    PERFORM pg_temp.vivr_watch('"CartItem"',  NULL,        ARRAY['id', 'cartId']);
END $$;

COMMIT;
