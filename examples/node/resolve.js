#!/usr/bin/env node
// Resolve pipeline records to company ids through the company-enrichment SQL API, from Node.js with `pg`.
//
//   ENRICHMENT_READER_URI='postgresql://reader:secret@127.0.0.1:5432/enrichment' node resolve.js [FILE]
//
// The connection is a libpq URI in ENRICHMENT_READER_URI (a unix socket goes in `?host=/socket/dir`), for a
// login role that is a member of enrichment_reader and nothing else: resolution needs no other privilege.
//
// Input (FILE, or standard input): one record a line, four tab-separated fields
//   plan_code  customer_name  account_name  account_number
// where \N stands for NULL (an empty field is the empty string, which the service treats as absent too).
// Empty lines are skipped.
//
// Output: one line per record and call, tab-separated, \N for NULL, in this order:
//   1. preview_company_ids  (one call with an array per column: what resolution would answer, writes nothing)
//   2. resolve_company_ids  (one call with an array per column: may queue names and mint TEMP ids)
//   3. resolve_company_id   (one call per record, with named arguments)
// each line being
//   function  ordinal  company_id  status  source  match_type  temp_id  request_id
// where ordinal is the 1-based position of the record in the input. examples/java prints the same lines.
'use strict';

const fs = require('fs');
const { Client } = require('pg');

const NULL = '\\N';
const COLUMNS = ['company_id', 'status', 'source', 'match_type', 'temp_id', 'request_id'];

function fail(message) {
  process.stderr.write(`resolve.js: ${message}\n`);
  process.exit(2);
}

function readRecords(text) {
  const records = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') return;
    const fields = line.split('\t');
    if (fields.length !== 4) fail(`line ${index + 1}: expected 4 tab-separated fields, got ${fields.length}`);
    records.push(fields.map((f) => (f === NULL ? null : f)));
  });
  return records;
}

function print(fn, ordinal, row) {
  const values = COLUMNS.map((c) => (row[c] === null ? NULL : String(row[c])));
  process.stdout.write([fn, String(ordinal), ...values].join('\t') + '\n');
}

async function main() {
  const uri = process.env.ENRICHMENT_READER_URI;
  if (!uri) fail('set ENRICHMENT_READER_URI to a libpq URI of a role that is a member of enrichment_reader');
  const input = process.argv[2] ? fs.readFileSync(process.argv[2], 'utf8') : fs.readFileSync(0, 'utf8');
  const records = readRecords(input);
  const column = (i) => records.map((r) => r[i]);
  const arrays = [column(0), column(1), column(2), column(3)];

  const client = new Client({ connectionString: uri, application_name: 'company-enrichment-example-node' });
  await client.connect();
  try {
    // Batch calls: one text[] per column, element i of each array is record i; rows come back with their ordinal.
    for (const fn of ['preview_company_ids', 'resolve_company_ids']) {
      const { rows } = await client.query(
        `SELECT ordinal, ${COLUMNS.join(', ')}
           FROM enterprise.${fn}(plan_codes => $1::text[], customer_names => $2::text[],
                                 account_names => $3::text[], account_numbers => $4::text[])
          ORDER BY ordinal`,
        arrays,
      );
      if (rows.length !== records.length) throw new Error(`${fn} returned ${rows.length} rows for ${records.length}`);
      for (const row of rows) print(fn, row.ordinal, row);
    }
    // One record at a time, with named arguments.
    for (const [i, [planCode, customerName, accountName, accountNumber]] of records.entries()) {
      const { rows } = await client.query(
        `SELECT ${COLUMNS.join(', ')}
           FROM enterprise.resolve_company_id(plan_code => $1::text, customer_name => $2::text,
                                              account_name => $3::text, account_number => $4::text)`,
        [planCode, customerName, accountName, accountNumber],
      );
      print('resolve_company_id', i + 1, rows[0]);
    }
  } finally {
    await client.end();
  }
}

main().catch((err) => {
  process.stderr.write(`resolve.js: ${err.code ? `[${err.code}] ` : ''}${err.message}\n`);
  process.exit(1);
});
