-- The people who use SmartGrid Sentinel's API and pages (grid-service): a name, a role
-- (viewer reads; operator also acknowledges and shelves; engineer also changes settings),
-- the zones they work in (none listed: every zone), and when they were disabled. Who acts
-- comes from here, never from a request's body. Bearer tokens for the API are stored as
-- their SHA-256 (a token is 32 random bytes: a fast hash of a secret that long cannot be
-- searched; passwords, which are short, get a slow hash when logins come). Only the owner
-- reads or writes these tables; services look a token up through grid_user_by_token.
CREATE TABLE grid_users (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        varchar(100) NOT NULL,
    role        varchar(20) NOT NULL,
    zones       grid_zone[] NOT NULL DEFAULT '{}',
    disabled_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT uq_grid_users_name UNIQUE (name),
    CONSTRAINT ck_grid_users_name CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$'),
    CONSTRAINT ck_grid_users_role CHECK (role IN ('viewer', 'operator', 'engineer')),
    CONSTRAINT ck_grid_users_zones CHECK (array_position(zones, NULL) IS NULL)
);

CREATE TABLE grid_user_tokens (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES grid_users (id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    CONSTRAINT uq_grid_user_tokens_token_sha256 UNIQUE (token_sha256),
    CONSTRAINT ck_grid_user_tokens_token_sha256 CHECK (length(token_sha256) = 32),
    CONSTRAINT ck_grid_user_tokens_expires_at CHECK (expires_at > created_at)
);
CREATE INDEX ix_grid_user_tokens_user_id ON grid_user_tokens (user_id);

-- The user a live token belongs to (not revoked, not expired, user not disabled); no row
-- otherwise. A security-definer function: the service roles may ask this one question and
-- read nothing else of the two tables.
CREATE FUNCTION grid_user_by_token(p_token_sha256 bytea)
    RETURNS TABLE (user_id uuid, name varchar, role varchar, zones grid_zone[],
                   created_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public, pg_temp
    AS $$
    SELECT u.id, u.name, u.role, u.zones, u.created_at
      FROM grid_user_tokens t JOIN grid_users u ON u.id = t.user_id
     WHERE t.token_sha256 = p_token_sha256
       AND t.revoked_at IS NULL
       AND (t.expires_at IS NULL OR t.expires_at > now())
       AND u.disabled_at IS NULL
    $$;
REVOKE ALL ON FUNCTION grid_user_by_token(bytea) FROM PUBLIC;
