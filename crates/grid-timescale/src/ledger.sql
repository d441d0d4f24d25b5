CREATE TABLE IF NOT EXISTS grid_timescale_ledger (
    component  text PRIMARY KEY,
    version    integer NOT NULL,
    detail     jsonb NOT NULL DEFAULT '{}',
    applied_at timestamptz NOT NULL DEFAULT now())
