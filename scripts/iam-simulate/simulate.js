#!/usr/bin/env node
// mfaguard's driver for @cloud-copilot/iam-simulate (AGPL-3.0-or-later).
//
// The simulator is used only as a separate program: this file (Apache-2.0,
// part of mfaguard) calls its public API and nothing of it is copied into
// the repository. node_modules is installed by `npm ci` from the pinned
// package-lock.json.
//
// Usage:
//   node simulate.js < cases.jsonl > decisions.jsonl
//       One case per input line, one decision per output line, in order:
//       {"id": 1, "result": "Allowed|ExplicitlyDenied|ImplicitlyDenied"}
//       or {"id": 1, "error": "..."} when the simulator refuses the input.
//   node simulate.js --bench FILE [--seconds S] [--warmup-seconds W]
//       FILE is {"principals": [{identityPolicies, boundary?, scps?}],
//       "requests": [{"p": principal index, action, resource,
//       resourceAccount, principal, context}]}. Validates each principal's
//       policies once, runs every request once (its decision), warms up for
//       W seconds, then times runSimulation over all requests, repeatedly,
//       for S seconds with process.hrtime, and prints one JSON object:
//       {"evaluations", "seconds", "per_second", "results", "decisions",
//       "unsafe_per_second", "unsafe_agrees"} (the last two for
//       runUnsafeSimulation, timed the same way, for reference).
//
// Case format (one JSON object):
//   {"id": 1,
//    "identityPolicies": [{"name": "p", "policy": {...}}],
//    "boundary": [{"name": "b", "policy": {...}}],        (optional)
//    "scps": [[{"name": "s", "policy": {...}}], ...],      (optional; root first)
//    "resourcePolicy": {...},                              (optional)
//    "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k",
//    "resourceAccount": "111122223333",
//    "principal": "arn:aws:iam::111122223333:user/alice",
//    "context": {"aws:username": "alice", "aws:CalledVia": ["a", "b"]}}
// Every simulation runs in Strict mode.
'use strict';

const fs = require('fs');
const readline = require('readline');
const { runSimulation, runUnsafeSimulation } = require('@cloud-copilot/iam-simulate');
const {
  createValidatedPolicy,
  validateIdentityPolicy,
  validateServiceControlPolicy,
  validateResourcePolicy
} = require('@cloud-copilot/iam-policy');

const OPTIONS = { simulationMode: 'Strict' };

function toSimulation(c, validated) {
  const wrap = (policy, validate) =>
    validated ? createValidatedPolicy(policy, validate) : policy;
  const simulation = {
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: c.resourceAccount || '111122223333' },
      contextVariables: c.context || {}
    },
    identityPolicies: (c.identityPolicies || []).map((p) => ({
      name: p.name,
      policy: wrap(p.policy, validateIdentityPolicy)
    })),
    serviceControlPolicies: (c.scps || []).map((level, i) => ({
      orgIdentifier: i === 0 ? 'r-root' : `ou-level-${i}`,
      policies: level.map((p) => ({ name: p.name, policy: wrap(p.policy, validateServiceControlPolicy) }))
    })),
    resourceControlPolicies: []
  };
  if (c.boundary) {
    simulation.permissionBoundaryPolicies = c.boundary.map((p) => ({
      name: p.name,
      policy: wrap(p.policy, validateIdentityPolicy)
    }));
  }
  if (c.resourcePolicy) {
    simulation.resourcePolicy = wrap(c.resourcePolicy, validateResourcePolicy);
  }
  return simulation;
}

function describeError(errors) {
  const parts = [errors.message];
  for (const [k, v] of Object.entries(errors)) {
    if (k !== 'message') parts.push(`${k}=${JSON.stringify(v)}`);
  }
  return parts.join(' ');
}

async function simulateOne(c, validated) {
  const response = await runSimulation(toSimulation(c, validated), OPTIONS);
  if (response.resultType === 'error') {
    return { error: describeError(response.errors) };
  }
  const out = { result: response.overallResult };
  if (response.resultType === 'wildcard') out.wildcard = true;
  return out;
}

async function diffMode() {
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  let buffer = [];
  for await (const line of rl) {
    if (!line.trim()) continue;
    let c;
    let out;
    try {
      c = JSON.parse(line);
      out = await simulateOne(c, false);
    } catch (e) {
      out = { error: `driver: ${e && e.message ? e.message : String(e)}` };
    }
    buffer.push(JSON.stringify({ id: c ? c.id : null, ...out }));
    if (buffer.length >= 256) {
      process.stdout.write(buffer.join('\n') + '\n');
      buffer = [];
    }
  }
  if (buffer.length) process.stdout.write(buffer.join('\n') + '\n');
}

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

async function benchMode(file) {
  const seconds = Number(arg('--seconds', '5'));
  const warmupSeconds = Number(arg('--warmup-seconds', '2'));
  const input = JSON.parse(fs.readFileSync(file, 'utf8'));
  // Each principal's policies are validated once, as a long-running caller
  // would do, so that the timed loop measures request evaluation (the
  // simulator still builds its policy objects on every call).
  const principals = input.principals.map((p) => toSimulation({ ...p, action: '', resource: '' }, true));
  const simulations = input.requests.map((r) => {
    const base = principals[r.p];
    return {
      ...base,
      request: {
        principal: r.principal,
        action: r.action,
        resource: { resource: r.resource, accountId: r.resourceAccount || '111122223333' },
        contextVariables: r.context || {}
      }
    };
  });
  const results = {};
  const decisions = [];
  for (const s of simulations) {
    const r = await runSimulation(s, OPTIONS);
    const key = r.resultType === 'error' ? 'error' : r.overallResult;
    results[key] = (results[key] || 0) + 1;
    decisions.push(r.resultType === 'error' ? `error: ${describeError(r.errors)}` : r.overallResult);
  }
  const runFor = async (limitNs) => {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < limitNs) {
      for (const s of simulations) {
        await runSimulation(s, OPTIONS);
      }
      n += simulations.length;
      elapsed = process.hrtime.bigint() - start;
    }
    return { n, elapsed };
  };
  await runFor(BigInt(Math.round(warmupSeconds * 1e9)));
  const { n, elapsed } = await runFor(BigInt(Math.round(seconds * 1e9)));
  const secs = Number(elapsed) / 1e9;
  // For reference: runUnsafeSimulation, the simulator's entry point without
  // input validation or context-key normalization (synchronous).
  const unsafeDecisions = simulations.map((s) => runUnsafeSimulation(s, OPTIONS));
  const unsafeAgree = unsafeDecisions.filter((d, i) => d === decisions[i]).length;
  const runUnsafeFor = (limitNs) => {
    let n = 0;
    const start = process.hrtime.bigint();
    let elapsed = 0n;
    while (elapsed < limitNs) {
      for (const s of simulations) {
        runUnsafeSimulation(s, OPTIONS);
      }
      n += simulations.length;
      elapsed = process.hrtime.bigint() - start;
    }
    return { n, elapsed };
  };
  runUnsafeFor(BigInt(Math.round(warmupSeconds * 1e9)));
  const unsafe = runUnsafeFor(BigInt(Math.round(seconds * 1e9)));
  const unsafeSecs = Number(unsafe.elapsed) / 1e9;
  process.stdout.write(
    JSON.stringify({
      evaluations: n,
      seconds: secs,
      per_second: n / secs,
      unsafe_per_second: unsafe.n / unsafeSecs,
      unsafe_agrees: unsafeAgree,
      requests: simulations.length,
      results,
      decisions,
      node: process.version
    }) + '\n'
  );
}

const benchFile = arg('--bench', null);
(benchFile ? benchMode(benchFile) : diffMode()).catch((e) => {
  process.stderr.write(`simulate.js: ${e && e.stack ? e.stack : String(e)}\n`);
  process.exit(1);
});
