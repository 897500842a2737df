//! Remediation: the policies that enforce MFA in an account, generated from
//! its snapshot, rendered as IAM JSON, Terraform or CloudFormation, and
//! proven before they are applied by analysing a patched copy of the
//! snapshot ([`plan`]).
//!
//! The change has four parts:
//!
//! * a self-service policy ([`self_service_policy`]): people may change an
//!   initial password and enrol a device without MFA (whatever their path),
//!   everything else is denied without MFA with `BoolIfExists`;
//! * the groups it is attached to: existing groups whose members are all
//!   console users of the fixed tiers, and a new group for the people left;
//! * trust-policy patches for roles people assume without MFA;
//! * for organisations, a service control policy ([`scp`]) with deliberate
//!   exemptions.

mod generate;
mod plan;
mod render;

pub use generate::{
    generate, patch_trust_policy, scp, self_service_policy, Exemption, FixOptions, FixSet,
    NewGroup, ScpOptions, TargetGroup, TrustPatch,
};
pub use plan::{
    apply, plan, AutomationBreak, Lockout, Plan, RoleBreak, RolloutStep, StrategyResult,
    TierCoverage,
};
pub use render::{render, render_hcl_string, render_plan_text, FixFormat};

/// Default names, for command-line defaults.
pub mod generate_defaults {
    pub const POLICY: &str = super::generate::DEFAULT_POLICY_NAME;
    pub const GROUP: &str = super::generate::DEFAULT_GROUP_NAME;
}
