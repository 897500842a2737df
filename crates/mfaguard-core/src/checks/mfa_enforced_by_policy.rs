use super::{declare_check, AccountView, Check, CheckMeta, Judgement};
use crate::enforcement::Verdict;
use crate::identity::Tier;
use crate::report::{CheckResult, Severity};

declare_check! {
    /// ## What it checks
    /// That policy, not just enrolment, stops a console user from acting
    /// without MFA. mfaguard evaluates the user's real policies (inline,
    /// attached, through groups, the permissions boundary, and the SCPs when
    /// collected) against every action of its embedded catalogue, in the two
    /// contexts a person without MFA produces: long-term access keys (no MFA
    /// key at all) and a console session without MFA
    /// (`aws:MultiFactorAuthPresent` = `false`). The user's `enforcement`
    /// field in the report is the verdict:
    ///
    /// | verdict | meaning | result |
    /// |---|---|---|
    /// | `enforced` | everything but MFA self-enrolment is denied without MFA | pass |
    /// | `not_enforced` | some actions are allowed without MFA | fail, with the count and the most dangerous actions |
    /// | `locked_out` | enforced, but the user cannot set up a device without MFA | fail, at low severity |
    /// | `no_access` | nothing is allowed, with or without MFA | not applicable |
    /// | `unknown` | some policies could not be read | unknown |
    ///
    /// Conditions on keys the analysis cannot know (source IP, tags, VPC)
    /// are assumed to hold for an Allow and not to hold for a Deny, and the
    /// result says which keys an allowance depends on.
    ///
    /// ## Why it matters
    /// `mfa_active` says a device is enrolled; it does not stop a phished
    /// password from being used before enrolment, nor long-term access keys,
    /// which never carry MFA. Only a policy that denies requests without MFA
    /// makes MFA a requirement.
    ///
    /// ## How to fix
    /// Attach the AWS documented "manage own MFA, deny everything else
    /// without MFA" policy from the AWS IAM User Guide to a group every human
    /// user is in, with `BoolIfExists
    /// {aws:MultiFactorAuthPresent: false}` in the Deny so access keys are
    /// covered. For a locked-out user, make the self-enrolment statements
    /// match the user's ARN (a user with a path needs
    /// `user/*/${aws:username}`).
    ///
    /// ## How to verify
    /// `mfaguard explain-identity --from DIR USER` shows the verdict with the
    /// deciding statements; `mfaguard simulate --from DIR --principal USER
    /// --action ec2:DescribeInstances` is denied without MFA context.
    MfaEnforcedByPolicy {
        id: "iam.mfa_enforced_by_policy",
        title: "MFA is enforced by policy for console users",
        severity: High,
        fix: "Attach a Deny of everything but MFA self-enrolment with BoolIfExists aws:MultiFactorAuthPresent false to a group of every human user; for a locked-out user, make the self-enrolment statements match its ARN (user/*/${aws:username} for a user with a path).",
        cis_v3: None,
        cis_v5: None,
        fsbp: None,
    }
}

impl Check for MfaEnforcedByPolicy {
    fn meta(&self) -> &'static CheckMeta {
        &Self::META
    }

    fn run(&self, account: &AccountView<'_>) -> Vec<CheckResult> {
        account.judge_users(&Self::META, |user| {
            if user.console_access == Some(false) {
                return Some(Judgement::not_applicable(
                    "no console password (machine user)",
                ));
            }
            let reasons = user.enforcement_reasons.join("; ");
            let Some(verdict) = user.enforcement else {
                return Some(Judgement::unknown(format!(
                    "its policies are not in the inputs: {}",
                    user.privilege.reasons.join("; ")
                )));
            };
            Some(match verdict {
                Verdict::Enforced => Judgement::pass(reasons),
                Verdict::NoAccess => Judgement::not_applicable(reasons),
                Verdict::Unknown => Judgement::unknown(reasons),
                Verdict::NotEnforced => {
                    let judgement = Judgement::fail(not_enforced_message(user, &reasons));
                    if matches!(user.tier, Tier::Privileged | Tier::Breakglass) {
                        judgement.at(Severity::Critical)
                    } else {
                        judgement
                    }
                }
                Verdict::LockedOut => Judgement::fail(format!(
                    "MFA is enforced but the user cannot enrol a device: {reasons}"
                ))
                .at(Severity::Low),
            })
        })
    }
}

fn not_enforced_message(user: &crate::identity::Identity, reasons: &str) -> String {
    let Some(allowed) = &user.allowed_without_mfa else {
        return reasons.to_string();
    };
    let mut message = format!(
        "{} allowed without MFA, most dangerous: {}",
        crate::words::count(allowed.count, "action", "actions"),
        allowed.describe(5)
    );
    if allowed.conditional > 0 {
        message.push_str(&format!(
            " ({} depend on {})",
            allowed.conditional,
            allowed.describe_depends_on()
        ));
    }
    if user.mfa.active == Some(true) {
        message.push_str("; the user has MFA but policy does not require it");
    }
    for reason in user.enforcement_reasons.iter().skip(1) {
        message.push_str("; ");
        message.push_str(reason);
    }
    message
}
