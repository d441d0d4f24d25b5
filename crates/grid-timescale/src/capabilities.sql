-- The server and TimescaleDB versions, and whether the TSL (community) module is loaded.
SELECT current_setting('server_version_num')::int AS version_num,
       current_setting('server_version') AS version,
       (SELECT extversion::text FROM pg_extension WHERE extname = 'timescaledb')
           AS ts_version,
       current_setting('timescaledb.license', true) AS license,
       (SELECT n.nspname::text FROM pg_proc p
          JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname = 'tsl_loaded'
           AND n.nspname IN ('_timescaledb_functions', '_timescaledb_internal')
         ORDER BY n.nspname = '_timescaledb_functions' DESC
         LIMIT 1) AS tsl_schema
