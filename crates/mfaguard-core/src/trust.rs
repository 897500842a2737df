//! Who can assume a role without MFA: its trust policy evaluated for
//! `sts:AssumeRole` by every AWS principal it names, in the two contexts a
//! person without MFA produces.

use iam_policy::{Context, DecisionKind, MfaState, Policy, PolicySet, PrincipalType, Request};

use crate::identity::RoleTrust;
use crate::offline::account_of_arn;
use crate::universe::PLACEHOLDER;

/// How a role can be assumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustAssessment {
    /// Tagged `mfaguard:machine` = `true`.
    MachineTagged,
    /// The trust policy is missing or unreadable.
    Unreadable(String),
    /// Only AWS services assume it.
    ServiceOnly,
    /// Only OIDC issuers that sign workload tokens (CI jobs, pods).
    WorkloadIdentity(Vec<String>),
    /// Only SAML or OIDC providers: MFA happens at the identity provider.
    Federated(Vec<String>),
    /// Every AWS principal it trusts needs MFA.
    RequiresMfa {
        principals: Vec<String>,
        federated: Vec<String>,
    },
    /// Some AWS principals can assume it without MFA.
    WithoutMfa {
        /// "PRINCIPAL (access keys, console without MFA)".
        principals: Vec<String>,
        /// Other accounts trusted with neither MFA nor `sts:ExternalId`.
        no_external_id: Vec<String>,
    },
}

/// OIDC issuers that sign tokens for workloads only.
const WORKLOAD_ISSUERS: [&str; 5] = [
    "token.actions.githubusercontent.com",
    "gitlab.com",
    "app.terraform.io",
    "oidc.circleci.com",
    "oidc.eks.",
];

fn is_workload_issuer(provider: &str) -> bool {
    provider
        .split_once(":oidc-provider/")
        .is_some_and(|(_, issuer)| {
            WORKLOAD_ISSUERS.iter().any(|known| {
                issuer == *known || (known.ends_with('.') && issuer.starts_with(known))
            })
        })
}

/// Assesses the trust policy `document` of the role `role_arn` in
/// `role_account`.
pub fn assess(
    role_arn: &str,
    role_account: &str,
    trust: &RoleTrust,
    document: Option<&serde_json::Value>,
) -> TrustAssessment {
    if trust.machine_tagged {
        return TrustAssessment::MachineTagged;
    }
    let Some(document) = document else {
        return TrustAssessment::Unreadable("its trust policy is not in the inputs".to_string());
    };
    let policy = match Policy::from_value(document) {
        Ok(policy) => policy,
        Err(err) => {
            return TrustAssessment::Unreadable(format!("its trust policy cannot be read: {err}"))
        }
    };
    let principals = aws_principals(&policy);
    let federated = trust.federated.clone();
    if principals.is_empty() {
        if federated.is_empty() {
            return TrustAssessment::ServiceOnly;
        }
        if federated
            .iter()
            .all(|provider| is_workload_issuer(provider))
        {
            return TrustAssessment::WorkloadIdentity(federated);
        }
        return TrustAssessment::Federated(federated);
    }

    let set = PolicySet::trust_policy("trust policy", policy);
    let mut without_mfa = Vec::new();
    let mut no_external_id = Vec::new();
    for principal in &principals {
        let caller = caller_for(principal);
        let caller_account = account_of_arn(&caller).unwrap_or_default();
        let mut base = Context::new().open_world();
        base.insert("aws:PrincipalArn", &caller);
        base.insert("aws:PrincipalAccount", &caller_account);
        let contexts = [
            ("access keys", base.clone().with_mfa(MfaState::LongTermKeys)),
            (
                "console without MFA",
                base.with_mfa(MfaState::ConsoleWithoutMfa),
            ),
        ];
        let mut how = Vec::new();
        let mut depends_on_external_id = false;
        for (label, ctx) in &contexts {
            let decision = set
                .evaluate(&Request::new("sts:AssumeRole", role_arn, ctx).with_principal(&caller));
            if decision.kind == DecisionKind::Allowed {
                how.push(*label);
                depends_on_external_id |= decision.depends_on.contains("sts:externalid");
            }
        }
        if how.is_empty() {
            continue;
        }
        without_mfa.push(format!("{principal} ({})", how.join(", ")));
        if !caller_account.is_empty() && caller_account != role_account && !depends_on_external_id {
            no_external_id.push(principal.clone());
        }
    }
    if without_mfa.is_empty() {
        TrustAssessment::RequiresMfa {
            principals,
            federated,
        }
    } else {
        TrustAssessment::WithoutMfa {
            principals: without_mfa,
            no_external_id,
        }
    }
}

/// The AWS principals that the trust policy's Allow statements name.
fn aws_principals(policy: &Policy) -> Vec<String> {
    let mut principals = Vec::new();
    for statement in &policy.statements {
        if statement.effect != iam_policy::Effect::Allow {
            continue;
        }
        let Some(block) = &statement.principal else {
            continue;
        };
        for (kind, values) in block.by_type() {
            if kind == PrincipalType::Aws {
                principals.extend(values.into_iter().map(str::to_string));
            }
        }
    }
    principals.sort();
    principals.dedup();
    principals
}

/// A caller that `principal` (as written in a trust policy) covers: the
/// principal itself, a user of a trusted account, a session of a trusted
/// role.
fn caller_for(principal: &str) -> String {
    if principal == "*" {
        return format!("arn:aws:iam::999999999999:user/{PLACEHOLDER}");
    }
    if principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit()) {
        return format!("arn:aws:iam::{principal}:user/{PLACEHOLDER}");
    }
    let fields: Vec<&str> = principal.splitn(6, ':').collect();
    if fields.len() == 6 && fields[2] == "iam" {
        if fields[5] == "root" {
            return format!("arn:{}:iam::{}:user/{PLACEHOLDER}", fields[1], fields[4]);
        }
        if let Some(role_path) = fields[5].strip_prefix("role/") {
            let name = role_path.rsplit('/').next().unwrap_or(role_path);
            return format!(
                "arn:{}:sts::{}:assumed-role/{name}/{PLACEHOLDER}",
                fields[1], fields[4]
            );
        }
    }
    principal.to_string()
}
