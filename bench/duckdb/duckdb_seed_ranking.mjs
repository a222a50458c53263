// The seed example's ranking_v1 training set computed by DuckDB SQL (range joins): the peer of
// bench/vs_duckdb.sh. From /work/shared/peers/duckdb_seed_ranking.mjs (shared/peers), adapted: the
// cosine is fdlc's formula, dot / (sqrt(|u|^2) * sqrt(|p|^2)) clamped to [-1, 1], each sum left to
// right as fdlc does, so every cell can be compared exactly. DuckDB's list_cosine_similarity divides
// by sqrt(|u|^2 * |p|^2) instead: another rounding, up to 2 ulps away on 55 of the seed's 200 rows
// (see bench/README.md, "Against DuckDB").
// usage: node duckdb_seed_ranking.mjs DATADIR OUT.csv [threads]
// DATADIR holds purchases.csv, orders.csv, spine.csv, user2vec_v3.csv, product2vec_v3.csv in the
// columns of examples/seed/data. Prints load/compute/write seconds as JSON on stderr.
// Visibility: an event at e counts for a row at t with window w iff t - w <= e < t.
import { DuckDBInstance } from '@duckdb/node-api';
// avg sums in double in any order: exactly fdlc's mean (its exact sum, rounded, over the count) when
// every partial sum is exact, as for gen_seed_data.py's amounts (multiples of 1/64 below 2^14).
const [rawDir, rawOut, threads = '1'] = process.argv.slice(2);
const sqlText = (s) => s.replaceAll("'", "''");    // paths go into SQL string literals
const dir = sqlText(rawDir), out = sqlText(rawOut);
const db = await DuckDBInstance.create(':memory:', { threads });
const c = await db.connect();
// Timestamps are RFC 3339 (Z, offsets, fractions) or integer epoch seconds; kept in microseconds.
const us = (col) => `(case when ${col} ~ '^-?[0-9]+$' then ${col}::bigint * 1000000 else epoch_us(${col}::timestamptz) end)`;
const t0 = Date.now();
await c.run(`create table purchases as select user_id, ${us('ts')} as ts from read_csv('${dir}/purchases.csv', header=true, all_varchar=true)`);
await c.run(`create table orders as select user_id, ${us('ordered_at')} as ts, try_cast(total_amount as double) as total_amount from read_csv('${dir}/orders.csv', header=true, all_varchar=true)`);
await c.run(`create table spine as select row_number() over () as r, user_id, product_id, "timestamp", label, ${us('"timestamp"')} as t from read_csv('${dir}/spine.csv', header=true, all_varchar=true)`);
const cols = Array.from({ length: 128 }, (_, k) => `v${k}`);
await c.run(`create table pev as select key as product_id, [${cols.join(',')}]::DOUBLE[] as v from read_csv('${dir}/product2vec_v3.csv', header=true)`);
await c.run(`create table uev as select key as user_id, [${cols.join(',')}]::DOUBLE[] as v from read_csv('${dir}/user2vec_v3.csv', header=true)`);
const t1 = Date.now();
const D = 86400n * 1000000n;
await c.run(`create table res as
with pu as (
  select s.r, count(p.ts) as c30
  from spine s left join purchases p on p.user_id = s.user_id and p.ts < s.t and p.ts >= s.t - 30*${D}
  group by s.r),
ou as (
  select s.r, avg(o.total_amount) as avg90
  from spine s left join orders o on o.user_id = s.user_id and o.ts < s.t and o.ts >= s.t - 90*${D}
  group by s.r)
select s.r, s.user_id, s.product_id, s."timestamp", s.label,
  pu.c30 as user_purchase_count_30d, ou.avg90 as user_avg_order_value_90d,
  pev.v as product_embedding, uev.v as user_embedding,
  case when uev.v is null or pev.v is null or list_dot_product(uev.v, uev.v) = 0 or list_dot_product(pev.v, pev.v) = 0 then null
       else greatest(-1.0, least(1.0, list_dot_product(uev.v, pev.v) /
         (sqrt(list_dot_product(uev.v, uev.v)) * sqrt(list_dot_product(pev.v, pev.v))))) end as user_product_affinity
from spine s join pu using (r) join ou using (r)
left join pev on pev.product_id = s.product_id left join uev on uev.user_id = s.user_id`);
const t2 = Date.now();
await c.run(`copy (select * exclude (r) from res order by r) to '${out}' (header, delimiter ',')`);
const t3 = Date.now();
console.error(JSON.stringify({ load_s: (t1 - t0) / 1000, compute_s: (t2 - t1) / 1000, write_s: (t3 - t2) / 1000, total_s: (t3 - t0) / 1000 }));
