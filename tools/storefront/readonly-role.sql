-- A read-only role for the engine's live sync, for a store's DBA to create on the storefront's
-- database. The sync only reads (SELECT, LISTEN, pg_current_snapshot()): it needs no other
-- right, and this role has none.
--
--   psql -v ON_ERROR_STOP=1 -v password='a long random secret' -d "$DATABASE_URL" \
--        -f tools/storefront/readonly-role.sql
--
-- then give the sync postgres://vivr_sync:<password>@host:5432/<database> (as an environment
-- variable or a secret, not in a file under version control). Run it as the owner of the tables
-- (the role that runs the migrations), after triggers.sql if you install it (its
-- "vivr_tombstone" table is then covered by the GRANT below; if it comes later, by the default
-- privileges). Idempotent: running it again sets the password again and renews the grants.
-- The password travels in the CREATE ROLE statement: a server that logs DDL (log_statement =
-- 'ddl' or 'all') writes it to its log; there, give any placeholder and then set the real one
-- with psql's \password vivr_sync, which sends it hashed.
--
-- What it grants:
-- - LOGIN with the password, CONNECT on this database, USAGE on schema public;
-- - SELECT on every table of public, and (ALTER DEFAULT PRIVILEGES) on the tables that the role
--   running this script creates there later: a table added by a later migration is readable
--   without running this again. Tables created by another role need their own GRANT (or run
--   ALTER DEFAULT PRIVILEGES FOR ROLE <that role> ... as a superuser);
-- - default_transaction_read_only = on: every transaction of the role is read-only unless it
--   says otherwise. The guarantee is the missing write rights; this setting is a second fence
--   (a session could turn it off, and would still have no right to write).
-- Tables in another schema (the sync's [sync] configuration names them) need USAGE on that
-- schema and SELECT on them, like public's below.

\if :{?password}
\else
DO $$ BEGIN RAISE EXCEPTION 'readonly-role.sql: give the password: psql -v password=... -f readonly-role.sql'; END $$;
\quit
\endif

BEGIN;

SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vivr_sync') AS vivr_create_role \gset
\if :vivr_create_role
CREATE ROLE vivr_sync LOGIN PASSWORD :'password';
\else
ALTER ROLE vivr_sync LOGIN PASSWORD :'password';
\endif

ALTER ROLE vivr_sync SET default_transaction_read_only = on;
GRANT CONNECT ON DATABASE :"DBNAME" TO vivr_sync;
GRANT USAGE ON SCHEMA public TO vivr_sync;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO vivr_sync;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO vivr_sync;

COMMIT;
