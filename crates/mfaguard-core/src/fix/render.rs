//! Renders a [`FixSet`] as IAM JSON, Terraform (formatted as `terraform
//! fmt` formats it) or CloudFormation (YAML or JSON).

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use super::generate::FixSet;

/// Output formats of `mfaguard fix policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixFormat {
    /// One JSON object: the policy documents, the groups, the trust
    /// policies and the notes.
    Json,
    Terraform,
    CloudformationYaml,
    CloudformationJson,
}

pub fn render(fix: &FixSet, format: FixFormat) -> String {
    match format {
        FixFormat::Json => {
            let mut text = serde_json::to_string_pretty(&json_bundle(fix)).unwrap_or_default();
            text.push('\n');
            text
        }
        FixFormat::Terraform => render_terraform(fix),
        FixFormat::CloudformationJson => {
            let mut text = serde_json::to_string_pretty(&cloudformation(fix)).unwrap_or_default();
            text.push('\n');
            text
        }
        FixFormat::CloudformationYaml => {
            let mut out = String::new();
            yaml_mapping(&mut out, &cloudformation(fix), 0);
            out
        }
    }
}

fn json_bundle(fix: &FixSet) -> Value {
    let trust: Map<String, Value> = fix
        .trust_patches
        .iter()
        .map(|patch| (patch.role_name.clone(), patch.after.clone()))
        .collect();
    json!({
        "account_id": fix.account_id,
        "self_service_policy": {"name": fix.policy_name, "document": fix.self_service_policy},
        "attach_to_groups": fix.target_groups,
        "new_group": fix.new_group,
        "trust_policies": Value::Object(trust),
        "service_control_policy": {
            "name": fix.scp_name,
            "document": fix.scp,
            "options": fix.scp_options,
        },
        "notes": fix.notes,
    })
}

/// A Terraform / CloudFormation logical name from an IAM name.
fn logical_name(name: &str, upper_camel: bool) -> String {
    let mut out = String::new();
    let mut boundary = upper_camel;
    for ch in name.chars() {
        if ch.is_ascii_alphanumeric() {
            if upper_camel && boundary {
                out.push(ch.to_ascii_uppercase());
            } else if upper_camel {
                out.push(ch);
            } else {
                out.push(ch.to_ascii_lowercase());
            }
            boundary = false;
        } else {
            if !upper_camel && !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            boundary = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, if upper_camel { "R" } else { "r_" });
    }
    out.trim_end_matches('_').to_string()
}

// ---------------------------------------------------------------- Terraform

/// An HCL string literal: `${` and `%{` are escaped so that policy
/// variables such as `${aws:username}` reach AWS unchanged.
pub fn render_hcl_string(text: &str) -> String {
    let mut out = String::from("\"");
    let mut chars = text.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(ch);
                out.push(ch);
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

fn hcl_key(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if identifier {
        key.to_string()
    } else {
        render_hcl_string(key)
    }
}

fn hcl_scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(render_hcl_string(text)),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Null => Some("null".to_string()),
        Value::Array(items) if items.is_empty() => Some("[]".to_string()),
        Value::Object(map) if map.is_empty() => Some("{}".to_string()),
        _ => None,
    }
}

/// Lines `key = value` at `indent`, aligned on `=` across runs of
/// single-line values, as `terraform fmt` aligns them.
fn hcl_attributes(out: &mut String, attributes: &[(String, HclValue)], indent: usize) {
    let pad = " ".repeat(indent);
    let mut index = 0;
    while index < attributes.len() {
        let run_end = attributes[index..]
            .iter()
            .position(|(_, value)| !value.is_single_line())
            .map_or(attributes.len(), |offset| index + offset);
        if run_end == index {
            let (key, value) = &attributes[index];
            let _ = write!(out, "{pad}{key} = ");
            value.write(out, indent);
            out.push('\n');
            index += 1;
            continue;
        }
        let width = attributes[index..run_end]
            .iter()
            .map(|(key, _)| key.chars().count())
            .max()
            .unwrap_or(0);
        for (key, value) in &attributes[index..run_end] {
            let spaces = width - key.chars().count();
            let _ = write!(out, "{pad}{key}{} = ", " ".repeat(spaces));
            value.write(out, indent);
            out.push('\n');
        }
        index = run_end;
    }
}

/// An HCL expression to write: raw text, or a JSON value written as an HCL
/// object / tuple, or `jsonencode(...)` of one.
enum HclValue {
    Raw(String),
    Json(Value),
    JsonEncode(Value),
}

impl HclValue {
    fn is_single_line(&self) -> bool {
        match self {
            HclValue::Raw(text) => !text.contains('\n'),
            HclValue::Json(value) | HclValue::JsonEncode(value) => hcl_scalar(value).is_some(),
        }
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            HclValue::Raw(text) => out.push_str(text),
            HclValue::Json(value) => hcl_json(out, value, indent),
            HclValue::JsonEncode(value) => {
                out.push_str("jsonencode(");
                hcl_json(out, value, indent);
                out.push(')');
            }
        }
    }
}

fn hcl_json(out: &mut String, value: &Value, indent: usize) {
    if let Some(scalar) = hcl_scalar(value) {
        out.push_str(&scalar);
        return;
    }
    let pad = " ".repeat(indent);
    match value {
        Value::Array(items) => {
            out.push_str("[\n");
            for item in items {
                let _ = write!(out, "{pad}  ");
                hcl_json(out, item, indent + 2);
                out.push_str(",\n");
            }
            let _ = write!(out, "{pad}]");
        }
        Value::Object(map) => {
            out.push_str("{\n");
            let attributes: Vec<(String, HclValue)> = map
                .iter()
                .map(|(key, value)| (hcl_key(key), HclValue::Json(value.clone())))
                .collect();
            hcl_attributes(out, &attributes, indent + 2);
            let _ = write!(out, "{pad}}}");
        }
        _ => {}
    }
}

fn hcl_block(out: &mut String, header: &str, attributes: Vec<(&str, HclValue)>) {
    let _ = writeln!(out, "{header} {{");
    let attributes: Vec<(String, HclValue)> = attributes
        .into_iter()
        .map(|(key, value)| (key.to_string(), value))
        .collect();
    hcl_attributes(out, &attributes, 2);
    out.push_str("}\n\n");
}

fn quoted(text: &str) -> HclValue {
    HclValue::Raw(render_hcl_string(text))
}

/// Which parts of the change a rollout step's Terraform holds.
pub(crate) struct StepParts<'a> {
    pub create_policy: bool,
    pub groups: Vec<&'a str>,
    pub create_group: bool,
    pub new_members: Vec<&'a str>,
    pub trust_patches: Vec<&'a str>,
}

const POLICY_RESOURCE: &str = "require_mfa";

fn terraform_policy(out: &mut String, fix: &FixSet) {
    hcl_block(
        out,
        &format!("resource \"aws_iam_policy\" \"{POLICY_RESOURCE}\""),
        vec![
            ("name", quoted(&fix.policy_name)),
            (
                "description",
                quoted("Deny everything but MFA enrolment and password change without MFA"),
            ),
            (
                "policy",
                HclValue::JsonEncode(fix.self_service_policy.clone()),
            ),
        ],
    );
}

fn terraform_attachment(out: &mut String, group: &str, group_expression: HclValue) {
    hcl_block(
        out,
        &format!(
            "resource \"aws_iam_group_policy_attachment\" \"{POLICY_RESOURCE}_{}\"",
            logical_name(group, false)
        ),
        vec![
            ("group", group_expression),
            (
                "policy_arn",
                HclValue::Raw(format!("aws_iam_policy.{POLICY_RESOURCE}.arn")),
            ),
        ],
    );
}

fn terraform_parts(out: &mut String, fix: &FixSet, parts: &StepParts<'_>) {
    if parts.create_policy {
        terraform_policy(out, fix);
    }
    for group in &parts.groups {
        terraform_attachment(out, group, quoted(group));
    }
    if let Some(new_group) = &fix.new_group {
        let resource = logical_name(&new_group.name, false);
        if parts.create_group {
            hcl_block(
                out,
                &format!("resource \"aws_iam_group\" \"{resource}\""),
                vec![("name", quoted(&new_group.name))],
            );
            terraform_attachment(
                out,
                &new_group.name,
                HclValue::Raw(format!("aws_iam_group.{resource}.name")),
            );
        }
        for member in &parts.new_members {
            hcl_block(
                out,
                &format!(
                    "resource \"aws_iam_user_group_membership\" \"{resource}_{}\"",
                    logical_name(member, false)
                ),
                vec![
                    ("user", quoted(member)),
                    (
                        "groups",
                        HclValue::Raw(format!("[aws_iam_group.{resource}.name]")),
                    ),
                ],
            );
        }
    }
    for role in &parts.trust_patches {
        if let Some(patch) = fix
            .trust_patches
            .iter()
            .find(|patch| &patch.role_name == role)
        {
            let _ = writeln!(
                out,
                "# Set as assume_role_policy of the aws_iam_role that manages {role}."
            );
            hcl_block(
                out,
                "locals",
                vec![(
                    &format!("{}_assume_role_policy", logical_name(role, false)),
                    HclValue::JsonEncode(patch.after.clone()),
                )],
            );
        }
    }
}

/// The Terraform of one rollout step.
pub(crate) fn render_terraform_step(fix: &FixSet, parts: &StepParts<'_>) -> String {
    let mut out = String::new();
    terraform_parts(&mut out, fix, parts);
    finish(out)
}

fn finish(mut out: String) -> String {
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn render_terraform(fix: &FixSet) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# MFA enforcement for account {}, generated by mfaguard fix policy.\n",
        if fix.account_id.is_empty() {
            "(unknown)"
        } else {
            &fix.account_id
        }
    );
    let parts = StepParts {
        create_policy: !fix.target_groups.is_empty() || fix.new_group.is_some(),
        groups: fix
            .target_groups
            .iter()
            .map(|group| group.name.as_str())
            .collect(),
        create_group: fix.new_group.is_some(),
        new_members: fix
            .new_group
            .iter()
            .flat_map(|group| group.members.iter().map(String::as_str))
            .collect(),
        trust_patches: fix
            .trust_patches
            .iter()
            .map(|patch| patch.role_name.as_str())
            .collect(),
    };
    terraform_parts(&mut out, fix, &parts);
    let _ = writeln!(
        out,
        "# Service control policy: apply from the organisation's management account;\n# leave scp_target_id empty to skip it."
    );
    hcl_block(
        &mut out,
        "variable \"scp_target_id\"",
        vec![
            (
                "description",
                quoted("Root, OU or account ID to attach the SCP to (empty: no SCP)"),
            ),
            ("type", HclValue::Raw("string".to_string())),
            ("default", quoted("")),
        ],
    );
    let scp_resource = logical_name(&fix.scp_name, false);
    hcl_block(
        &mut out,
        &format!("resource \"aws_organizations_policy\" \"{scp_resource}\""),
        vec![
            (
                "count",
                HclValue::Raw("var.scp_target_id == \"\" ? 0 : 1".to_string()),
            ),
            ("name", quoted(&fix.scp_name)),
            ("type", quoted("SERVICE_CONTROL_POLICY")),
            ("content", HclValue::JsonEncode(fix.scp.clone())),
        ],
    );
    hcl_block(
        &mut out,
        &format!("resource \"aws_organizations_policy_attachment\" \"{scp_resource}\""),
        vec![
            (
                "count",
                HclValue::Raw("var.scp_target_id == \"\" ? 0 : 1".to_string()),
            ),
            (
                "policy_id",
                HclValue::Raw(format!("aws_organizations_policy.{scp_resource}[0].id")),
            ),
            ("target_id", HclValue::Raw("var.scp_target_id".to_string())),
        ],
    );
    finish(out)
}

// ----------------------------------------------------------- CloudFormation

fn cloudformation(fix: &FixSet) -> Value {
    let mut resources = Map::new();
    let policy_id = "RequireMfaPolicy";
    let mut groups: Vec<Value> = fix
        .target_groups
        .iter()
        .map(|group| json!(group.name))
        .collect();
    if let Some(new_group) = &fix.new_group {
        let group_id = logical_name(&new_group.name, true);
        groups.push(json!({"Ref": group_id}));
        resources.insert(
            group_id.clone(),
            json!({"Type": "AWS::IAM::Group", "Properties": {"GroupName": new_group.name}}),
        );
        resources.insert(
            format!("{group_id}Members"),
            json!({
                "Type": "AWS::IAM::UserToGroupAddition",
                "Properties": {"GroupName": {"Ref": group_id}, "Users": new_group.members}
            }),
        );
    }
    if !groups.is_empty() {
        resources.insert(
            policy_id.to_string(),
            json!({
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": fix.policy_name,
                    "Description": "Deny everything but MFA enrolment and password change without MFA",
                    "Groups": groups,
                    "PolicyDocument": fix.self_service_policy,
                }
            }),
        );
    }
    resources.insert(
        logical_name(&fix.scp_name, true),
        json!({
            "Type": "AWS::Organizations::Policy",
            "Condition": "DeployScp",
            "Properties": {
                "Name": fix.scp_name,
                "Type": "SERVICE_CONTROL_POLICY",
                "Content": fix.scp,
                "TargetIds": [{"Ref": "ScpTargetId"}],
            }
        }),
    );
    let trust: Map<String, Value> = fix
        .trust_patches
        .iter()
        .map(|patch| (patch.role_name.clone(), patch.after.clone()))
        .collect();
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": format!(
            "MFA enforcement for account {}, generated by mfaguard fix policy",
            if fix.account_id.is_empty() { "(unknown)" } else { &fix.account_id }
        ),
        "Parameters": {
            "ScpTargetId": {
                "Type": "String",
                "Default": "",
                "Description": "Root, OU or account ID to attach the SCP to, from the management account (empty: no SCP)"
            }
        },
        "Conditions": {
            "DeployScp": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ScpTargetId"}, ""]}]}
        },
        "Resources": Value::Object(resources),
    });
    if !trust.is_empty() {
        template["Metadata"] = json!({
            "Mfaguard::TrustPolicies": {
                "Description": "The AssumeRolePolicyDocument of each role, for the stack that manages it",
                "Roles": Value::Object(trust),
            }
        });
    }
    template
}

fn yaml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        key.to_string()
    } else {
        serde_json::to_string(key).unwrap_or_default()
    }
}

fn yaml_scalar(value: &Value) -> Option<String> {
    match value {
        // A JSON string is a valid YAML double-quoted scalar.
        Value::String(text) => Some(serde_json::to_string(text).unwrap_or_default()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Number(number) => Some(number.to_string()),
        Value::Null => Some("null".to_string()),
        Value::Array(items) if items.is_empty() => Some("[]".to_string()),
        Value::Object(map) if map.is_empty() => Some("{}".to_string()),
        _ => None,
    }
}

fn yaml_mapping(out: &mut String, value: &Value, indent: usize) {
    let Value::Object(map) = value else {
        return;
    };
    let pad = " ".repeat(indent);
    for (key, item) in map {
        let key = yaml_key(key);
        match yaml_scalar(item) {
            Some(scalar) => {
                let _ = writeln!(out, "{pad}{key}: {scalar}");
            }
            None if item.is_object() => {
                let _ = writeln!(out, "{pad}{key}:");
                yaml_mapping(out, item, indent + 2);
            }
            None => {
                let _ = writeln!(out, "{pad}{key}:");
                yaml_sequence(out, item, indent + 2);
            }
        }
    }
}

fn yaml_sequence(out: &mut String, value: &Value, indent: usize) {
    let Value::Array(items) = value else {
        return;
    };
    let pad = " ".repeat(indent);
    for item in items {
        match yaml_scalar(item) {
            Some(scalar) => {
                let _ = writeln!(out, "{pad}- {scalar}");
            }
            None if item.is_object() => {
                // The first key goes on the dash line.
                let mut nested = String::new();
                yaml_mapping(&mut nested, item, indent + 2);
                let trimmed = nested.get(indent + 2..).unwrap_or("");
                let _ = write!(out, "{pad}- {trimmed}");
            }
            None => {
                let _ = writeln!(out, "{pad}-");
                yaml_sequence(out, item, indent + 2);
            }
        }
    }
}

// --------------------------------------------------------------------- plan

fn tier_name(tier: crate::identity::Tier) -> &'static str {
    tier.as_str()
}

/// The plan as text: coverage, lockouts, breakages, then the rollout.
pub fn render_plan_text(plan: &super::plan::Plan) -> String {
    let mut out = String::new();
    let fix = &plan.fix;
    let _ = writeln!(
        out,
        "mfaguard fix plan for account {}\n",
        if fix.account_id.is_empty() {
            "(unknown)"
        } else {
            &fix.account_id
        }
    );
    out.push_str("Change\n");
    let _ = writeln!(
        out,
        "  create policy {} (deny everything but enrolment and password change without MFA)",
        fix.policy_name
    );
    for group in &fix.target_groups {
        let _ = writeln!(
            out,
            "  attach it to group {} (newly covers {})",
            group.name,
            group.members.join(", ")
        );
    }
    if let Some(group) = &fix.new_group {
        let _ = writeln!(
            out,
            "  create group {} with {}",
            group.name,
            group.members.join(", ")
        );
    }
    for patch in &fix.trust_patches {
        let _ = writeln!(
            out,
            "  require MFA in the trust policy of role {}{}",
            patch.role_name,
            if patch.keeps_external_id {
                " (sts:ExternalId kept)"
            } else {
                ""
            }
        );
    }
    for note in &fix.notes {
        let _ = writeln!(out, "  note: {note}");
    }

    out.push_str("\nEnforced coverage (console users whose policies enforce MFA; roles people assume that require MFA)\n");
    let _ = writeln!(
        out,
        "  {:<11} {:>15} {:>15} {:>16} {:>16}",
        "tier", "users before", "users after", "roles before", "roles after"
    );
    for row in &plan.coverage {
        let users = |figure: &crate::kpi::Coverage| {
            format!(
                "{} {}",
                figure.fraction(),
                figure
                    .percent
                    .map_or("-".to_string(), |value| format!("{value:.0}%"))
            )
        };
        let roles = |figure: &crate::kpi::Coverage| figure.fraction();
        let _ = writeln!(
            out,
            "  {:<11} {:>15} {:>15} {:>16} {:>16}",
            tier_name(row.tier),
            users(&row.enforced_before),
            users(&row.enforced_after),
            roles(&row.roles_before),
            roles(&row.roles_after)
        );
    }
    let _ = writeln!(
        out,
        "  failing results, all checks: {} before, {} after",
        plan.failing_before, plan.failing_after
    );
    if let Some(after) = &plan.strategy_after {
        let _ = writeln!(
            out,
            "  iam.mfa_enforcement_strategy after: {} ({})",
            after.status.as_str(),
            after.message
        );
    }

    let _ = writeln!(
        out,
        "\nLockouts: {} without an MFA device must enrol before anything else works",
        crate::words::count(plan.lockouts.len(), "console user", "console users")
    );
    for lockout in &plan.lockouts {
        let _ = writeln!(
            out,
            "  {} ({}) owner {}; password last used {}{}",
            lockout.user,
            tier_name(lockout.tier),
            lockout.owner.as_deref().unwrap_or("unknown"),
            lockout
                .password_last_used
                .map(|time| time.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| "never".to_string()),
            if lockout.verdict_after == Some(crate::enforcement::Verdict::LockedOut) {
                "; CANNOT enrol even after the change (another policy blocks it)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        out,
        "\nAutomation that would break: {} with access keys used recently",
        crate::words::count(plan.automation.len(), "user", "users")
    );
    for broken in &plan.automation {
        let _ = writeln!(
            out,
            "  {} (owner {}), key last used {}: {} allowed without MFA before, {} after; blocked: {}",
            broken.user,
            broken.owner.as_deref().unwrap_or("unknown"),
            broken.key_last_used.format("%Y-%m-%d"),
            crate::words::count(broken.allowed_without_mfa_before, "action", "actions"),
            crate::words::thousands(broken.allowed_without_mfa_after),
            if broken.blocked_actions.is_empty() {
                "(see the sweep)".to_string()
            } else {
                broken.blocked_actions.join(", ")
            }
        );
    }
    let _ = writeln!(
        out,
        "\nRole assumptions that would fail without MFA: {}",
        plan.role_assumptions.len()
    );
    for role in &plan.role_assumptions {
        let _ = writeln!(
            out,
            "  {}: {}{}",
            role.role,
            role.callers.join("; "),
            if role.requires_mfa_after {
                ""
            } else {
                " (still assumable without MFA after the patch: check its trust policy)"
            }
        );
    }

    out.push_str("\nRollout, in order\n");
    for (index, step) in plan.rollout.iter().enumerate() {
        let _ = writeln!(out, "\n{}. {}", index + 1, step.title);
        if !step.identities.is_empty() {
            let _ = writeln!(out, "   who: {}", step.identities.join(", "));
        }
        for line in &step.cli {
            let _ = writeln!(out, "   $ {line}");
        }
        if !step.terraform.is_empty() {
            out.push_str("   Terraform:\n");
            for line in step.terraform.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "     {line}");
                }
            }
        }
        for verify in &step.verify {
            let _ = writeln!(out, "   verify: {verify}");
        }
    }
    out
}
