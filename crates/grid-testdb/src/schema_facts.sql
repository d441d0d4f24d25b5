-- The facts of the public schema, one per row.
WITH rels AS (
    SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND c.relname <> '__diesel_schema_migrations'
), cols AS (
    SELECT a.attrelid, a.attnum, a.attname,
           CASE format_type(a.atttypid, a.atttypmod)
             WHEN 'double precision' THEN 'float8' WHEN 'integer' THEN 'int4'
             WHEN 'bigint' THEN 'int8' WHEN 'boolean' THEN 'bool'
             WHEN 'timestamp without time zone' THEN 'timestamp'
             WHEN 'timestamp with time zone' THEN 'timestamptz'
             ELSE regexp_replace(format_type(a.atttypid, a.atttypmod),
                                 '^character varying', 'varchar') END AS ty,
           a.attnotnull
      FROM pg_attribute a JOIN rels r ON r.oid = a.attrelid
     WHERE a.attnum > 0 AND NOT a.attisdropped
)
SELECT 'enum ' || t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS fact
  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
  JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' GROUP BY t.typname
UNION ALL
SELECT 'table ' || relname FROM rels
UNION ALL
SELECT 'column ' || r.relname || '.' || c.attname || ' ' || c.ty
       || CASE WHEN c.attnotnull THEN ' notnull' ELSE ' null' END
  FROM cols c JOIN rels r ON r.oid = c.attrelid
UNION ALL
SELECT 'pk ' || r.relname || ' (' ||
       (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
          FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) || ')'
  FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid WHERE con.contype = 'p'
UNION ALL
SELECT 'index ' || r.relname || ' ' || i.relname || ' ' || am.amname || ' (' ||
       (SELECT string_agg(a.attname, ',' ORDER BY k.ord)
          FROM unnest(ix.indkey[0:ix.indnkeyatts - 1]) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum) || ')'
       || CASE WHEN ix.indisunique THEN ' unique' ELSE '' END
       || CASE WHEN ix.indpred IS NOT NULL THEN ' where' ELSE '' END
  FROM pg_index ix JOIN rels r ON r.oid = ix.indrelid
  JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_am am ON am.oid = i.relam
UNION ALL
SELECT 'fk ' || r.relname || '.' ||
       (SELECT string_agg(a.attname, ',') FROM pg_attribute a
         WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey)) ||
       ' -> ' || con.confrelid::regclass::text || ' ON DELETE ' ||
       CASE con.confdeltype WHEN 'a' THEN 'NO ACTION' WHEN 'r' THEN 'RESTRICT'
         WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END
  FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid WHERE con.contype = 'f'
UNION ALL
SELECT 'check ' || r.relname || ' ' || con.conname
  FROM pg_constraint con JOIN rels r ON r.oid = con.conrelid WHERE con.contype = 'c'
