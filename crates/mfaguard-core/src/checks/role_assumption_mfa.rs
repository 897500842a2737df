use super::{declare_check, AccountView, Check, CheckMeta};
use crate::identity::{Identity, IdentityType};
use crate::report::{CheckResult, Severity, Status};
use crate::trust::TrustAssessment;

declare_check! {
    /// ## What it checks
    /// That every role people can assume requires MFA to assume. For each
    /// role whose trust policy names an AWS principal (an account, a user, a
    /// role), mfaguard evaluates `sts:AssumeRole` by that principal against
    /// the trust policy in the two contexts a person without MFA produces:
    /// long-term access keys (no MFA key) and a console session without MFA.
    /// The role fails when either is allowed. A trust policy requires MFA
    /// with `Bool {aws:MultiFactorAuthPresent: true}` or a bound on
    /// `aws:MultiFactorAuthAge`; `BoolIfExists true` does not (access keys
    /// have no MFA key, and `...IfExists` lets them through).
    ///
    /// * Privileged roles (allowed, with MFA, `*` or a privilege-escalation
    ///   action) fail at critical severity.
    /// * A trust of another account with neither MFA nor `sts:ExternalId`
    ///   is called out: anyone that account lets call `sts:AssumeRole` gets
    ///   in.
    /// * Roles tagged `mfaguard:machine` = `true` are exempt and listed as
    ///   such.
    /// * Roles trusted only by SAML or OIDC providers are federated entry
    ///   points: MFA is enforced by the identity provider, which IAM cannot
    ///   show, so the result is `unknown`, never a pass. The exception is
    ///   OIDC issuers that only ever sign workload tokens (GitHub Actions,
    ///   EKS service accounts, GitLab CI, Terraform Cloud, CircleCI): no
    ///   person signs in there, so such roles are not applicable.
    /// * Roles only AWS services assume are not applicable.
    /// * Without `account-authorization-details.json` the roles are unknown:
    ///   one `unknown` result for the account says so.
    ///
    /// ## Why it matters
    /// A role is how people get administrator rights without an admin user.
    /// If its trust policy does not require MFA, whoever holds any key of a
    /// trusted principal becomes the role, and MFA on the console sign-in
    /// does not matter.
    ///
    /// ## How to fix
    /// Add `"Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}`
    /// (optionally with `NumericLessThan {aws:MultiFactorAuthAge: 3600}`) to
    /// every Allow statement that trusts an AWS principal; for roles that
    /// machines assume, tag them `mfaguard:machine` = `true` and trust the
    /// narrowest principal, with `sts:ExternalId` across accounts.
    ///
    /// ## How to verify
    /// `mfaguard simulate --resource-policy trust.json --action sts:AssumeRole
    /// --principal ARN` is denied without MFA context and allowed with
    /// `--context aws:MultiFactorAuthPresent=true`.
    RoleAssumptionMfa {
        id: "iam.role_assumption_mfa",
        title: "Roles people assume require MFA",
        severity: High,
        fix: "Add Bool aws:MultiFactorAuthPresent true to every trust statement that names an AWS principal, or tag machine-only roles mfaguard:machine=true.",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

impl Check for RoleAssumptionMfa {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        // Roles are only known from the authorization details: without
        // them the check has nothing to judge, which is not a clean result.
        if account.snapshot.authorization_details.is_none() {
            return vec![Self::META.result_for(
                account.account_id,
                &format!("arn:aws:iam::{}:root", account.account_id),
                &format!("account {}", account.account_id),
                Status::Unknown,
                "the account's roles are not in the inputs (account-authorization-details.json missing): whether people can assume a role without MFA is undetermined",
            )];
        }
        account
            .identities
            .iter()
            .filter(|identity| identity.kind == IdentityType::Role)
            .map(judge)
            .collect()
    }
}

/// The result for one role, from the trust assessment made when the
/// identities were built.
pub(crate) fn judge(role: &Identity) -> CheckResult {
    let meta = &RoleAssumptionMfa::META;
    let Some(assessment) = &role.trust_assessment else {
        return meta.result(
            role,
            Status::Unknown,
            "its trust policy is not in the inputs",
        );
    };
    match assessment.clone() {
        TrustAssessment::MachineTagged => meta.result(
            role,
            Status::NotApplicable,
            "exempt: tagged mfaguard:machine = true (assumed by machines only)",
        ),
        TrustAssessment::Unreadable(why) => meta.result(role, Status::Unknown, why),
        TrustAssessment::ServiceOnly => {
            meta.result(role, Status::NotApplicable, "assumed by AWS services only")
        }
        TrustAssessment::WorkloadIdentity(issuers) => meta.result(
            role,
            Status::NotApplicable,
            format!(
                "workload identity ({}): the issuer signs tokens for CI jobs or pods, not for people",
                issuers.join(", ")
            ),
        ),
        TrustAssessment::Federated(providers) => meta.result(
            role,
            Status::Unknown,
            format!(
                "federated entry point ({}): MFA is enforced by the identity provider, which IAM does not show",
                providers.join(", ")
            ),
        ),
        TrustAssessment::RequiresMfa {
            principals,
            federated,
        } => {
            let mut message = format!(
                "MFA is required to assume it (trusted: {})",
                principals.join(", ")
            );
            if !federated.is_empty() {
                message.push_str(&format!(
                    "; also federated ({}), whose MFA the identity provider enforces",
                    federated.join(", ")
                ));
            }
            meta.result(role, Status::Pass, message)
        }
        TrustAssessment::WithoutMfa {
            principals,
            no_external_id,
        } => {
            let mut message = format!("assumable without MFA by {}", principals.join("; "));
            if !no_external_id.is_empty() {
                message.push_str(&format!(
                    "; cross-account trust of {} with neither MFA nor sts:ExternalId",
                    no_external_id.join(", ")
                ));
            }
            let privileged = role.privilege.privileged == Some(true);
            if privileged {
                message.push_str(&format!(
                    "; the role is privileged ({})",
                    role.privilege.reasons.first().cloned().unwrap_or_default()
                ));
            }
            let mut result = meta.result(role, Status::Fail, message);
            if privileged {
                result.severity = Severity::Critical;
            }
            result
        }
    }
}
