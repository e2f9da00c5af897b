// Runs one DuckDB SQL statement (the first argument) in the current folder and prints the rows as a table.
// Needs `npm install --no-save @duckdb/node-api` once, in the clone. See docs/data.md.
import { DuckDBInstance } from '@duckdb/node-api';

const sql = process.argv[2];
if (!sql) {
  console.error('usage: node docs/examples/duckdb-query.mjs "SELECT ..."');
  process.exit(2);
}
const connection = await (await DuckDBInstance.create()).connect();
const result = await connection.runAndReadAll(sql);
console.table(result.getRowObjectsJson());
