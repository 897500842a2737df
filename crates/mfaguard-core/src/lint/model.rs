//! Turns a parsed file into policy documents (with where each sits in the
//! file and what it is attached to) and users with console passwords.

use std::collections::BTreeMap;

use serde_json::Value;

use super::located::{segment, Located};
use super::FileKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Identity,
    Trust,
    Scp,
}

#[derive(Debug, Clone)]
pub struct Document {
    pub kind: DocKind,
    pub resource: String,
    /// JSON pointer of the document (or of the string holding it) in the file.
    pub pointer: String,
    /// The document was a JSON string inside the file: positions inside it
    /// are the string's.
    pub embedded: bool,
    pub value: Value,
    /// Users and groups (by name) it applies to.
    pub users: Vec<String>,
    pub groups: Vec<String>,
    /// Why the document could not be obtained from the file, when it could
    /// not.
    pub unreadable: Option<String>,
}

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub resource: String,
    pub pointer: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Model {
    pub documents: Vec<Document>,
    /// Users given a console password in the file.
    pub console_users: Vec<User>,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// True for a statement that allows assuming a role.
fn is_trust_document(value: &Value) -> bool {
    crate::pitfall::statements(value)
        .iter()
        .any(|(_, statement)| {
            crate::pitfall::field(statement, "Principal").is_some()
                && strings(crate::pitfall::field(statement, "Action"))
                    .iter()
                    .any(|action| action.to_ascii_lowercase().starts_with("sts:assumerole"))
        })
}

pub fn read(located: &Located, yaml: bool) -> Result<(FileKind, Model), String> {
    let value = &located.value;
    let Some(object) = value.as_object() else {
        return Err(
            "not a JSON object: expected a policy, a CloudFormation template or a Terraform plan"
                .to_string(),
        );
    };
    if object.contains_key("AWSTemplateFormatVersion")
        || object
            .get("Resources")
            .and_then(Value::as_object)
            .is_some_and(|resources| {
                resources
                    .values()
                    .any(|resource| resource.get("Type").is_some())
            })
    {
        let kind = if yaml {
            FileKind::CloudformationYaml
        } else {
            FileKind::CloudformationJson
        };
        return Ok((kind, cloudformation(value)));
    }
    if yaml {
        return Err(
            "a YAML file that is not a CloudFormation template (no Resources with a Type)"
                .to_string(),
        );
    }
    if object.contains_key("planned_values") || object.contains_key("terraform_version") {
        return Ok((FileKind::TerraformPlan, terraform_plan(value)));
    }
    if object
        .keys()
        .any(|key| key.eq_ignore_ascii_case("Statement"))
    {
        let kind = if is_trust_document(value) {
            DocKind::Trust
        } else {
            DocKind::Identity
        };
        let model = Model {
            documents: vec![Document {
                kind,
                resource: "policy".to_string(),
                pointer: String::new(),
                embedded: false,
                value: value.clone(),
                users: Vec::new(),
                groups: Vec::new(),
                unreadable: None,
            }],
            console_users: Vec::new(),
        };
        return Ok((FileKind::PolicyJson, model));
    }
    Err("neither an IAM policy (no Statement), a CloudFormation template (no Resources) nor a Terraform plan (no planned_values)".to_string())
}

// ----------------------------------------------------------- CloudFormation

/// The name a CloudFormation reference stands for: a literal, or the
/// name property of the referenced resource (or its logical ID).
fn cfn_name(value: &Value, names: &BTreeMap<String, String>) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Object(map) => {
            let target = map.get("Ref").and_then(Value::as_str).or_else(|| {
                map.get("Fn::GetAtt")
                    .and_then(|value| value.get(0))
                    .and_then(Value::as_str)
            })?;
            Some(
                names
                    .get(target)
                    .cloned()
                    .unwrap_or_else(|| target.to_string()),
            )
        }
        _ => None,
    }
}

fn cfn_names(value: Option<&Value>, names: &BTreeMap<String, String>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| cfn_name(item, names))
            .collect(),
        Some(other) => cfn_name(other, names).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The logical IDs a list of references names (`!Ref Policy`).
fn cfn_refs(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.get("Ref").and_then(Value::as_str).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn cloudformation(template: &Value) -> Model {
    let mut model = Model::default();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return model;
    };
    // Logical ID -> IAM name, for references.
    let mut names = BTreeMap::new();
    for (logical, resource) in resources {
        let properties = resource.get("Properties");
        let name = ["UserName", "GroupName", "RoleName", "ManagedPolicyName"]
            .iter()
            .find_map(|key| properties.and_then(|p| p.get(key)).and_then(Value::as_str));
        names.insert(
            logical.clone(),
            name.map_or_else(|| logical.clone(), str::to_string),
        );
    }
    let mut managed_policy_targets: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut user_groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (logical, resource) in resources {
        let kind = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        let Some(properties) = resource.get("Properties") else {
            continue;
        };
        let base = format!("/Resources/{}/Properties", segment(logical));
        let name = names.get(logical).cloned().unwrap_or_default();
        let label = format!("Resources.{logical}");
        let mut push = |kind: DocKind, pointer: String, value: &Value, users, groups| {
            model.documents.push(Document {
                kind,
                resource: label.clone(),
                pointer,
                embedded: false,
                value: value.clone(),
                users,
                groups,
                unreadable: None,
            })
        };
        match kind {
            "AWS::IAM::ManagedPolicy" | "AWS::IAM::Policy" => {
                if let Some(document) = properties.get("PolicyDocument") {
                    push(
                        DocKind::Identity,
                        format!("{base}/PolicyDocument"),
                        document,
                        cfn_names(properties.get("Users"), &names),
                        cfn_names(properties.get("Groups"), &names),
                    );
                }
            }
            "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" | "AWS::IAM::RolePolicy" => {
                if let Some(document) = properties.get("PolicyDocument") {
                    push(
                        DocKind::Identity,
                        format!("{base}/PolicyDocument"),
                        document,
                        cfn_names(properties.get("UserName"), &names),
                        cfn_names(properties.get("GroupName"), &names),
                    );
                }
            }
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                if let Some(document) = properties.get("AssumeRolePolicyDocument") {
                    push(
                        DocKind::Trust,
                        format!("{base}/AssumeRolePolicyDocument"),
                        document,
                        Vec::new(),
                        Vec::new(),
                    );
                }
                let (users, groups) = match kind {
                    "AWS::IAM::User" => (vec![name.clone()], Vec::new()),
                    "AWS::IAM::Group" => (Vec::new(), vec![name.clone()]),
                    _ => (Vec::new(), Vec::new()),
                };
                if let Some(Value::Array(policies)) = properties.get("Policies") {
                    for (index, policy) in policies.iter().enumerate() {
                        if let Some(document) = policy.get("PolicyDocument") {
                            push(
                                DocKind::Identity,
                                format!("{base}/Policies/{index}/PolicyDocument"),
                                document,
                                users.clone(),
                                groups.clone(),
                            );
                        }
                    }
                }
                for policy in cfn_refs(properties.get("ManagedPolicyArns")) {
                    let entry = managed_policy_targets.entry(policy).or_default();
                    entry.0.extend(users.iter().cloned());
                    entry.1.extend(groups.iter().cloned());
                }
                if kind == "AWS::IAM::User" {
                    user_groups
                        .entry(name.clone())
                        .or_default()
                        .extend(cfn_names(properties.get("Groups"), &names));
                    if properties.get("LoginProfile").is_some() {
                        model.console_users.push(User {
                            name: name.clone(),
                            resource: label.clone(),
                            pointer: format!("{base}/LoginProfile"),
                            groups: Vec::new(),
                        });
                    }
                }
            }
            "AWS::IAM::UserToGroupAddition" => {
                let groups = cfn_names(properties.get("GroupName"), &names);
                for user in cfn_names(properties.get("Users"), &names) {
                    user_groups
                        .entry(user)
                        .or_default()
                        .extend(groups.iter().cloned());
                }
            }
            "AWS::Organizations::Policy" => {
                if let Some(document) = properties.get("Content") {
                    push(
                        DocKind::Scp,
                        format!("{base}/Content"),
                        document,
                        Vec::new(),
                        Vec::new(),
                    );
                }
            }
            _ => {}
        }
    }
    for document in &mut model.documents {
        let logical = document.resource.trim_start_matches("Resources.");
        if let Some((users, groups)) = managed_policy_targets.get(logical) {
            document.users.extend(users.iter().cloned());
            document.groups.extend(groups.iter().cloned());
        }
    }
    for user in &mut model.console_users {
        user.groups = user_groups.get(&user.name).cloned().unwrap_or_default();
    }
    model
}

// ---------------------------------------------------------------- Terraform

/// Every resource of a plan module and its children, with its pointer.
fn plan_resources<'a>(module: &'a Value, pointer: String, out: &mut Vec<(String, &'a Value)>) {
    if let Some(Value::Array(resources)) = module.get("resources") {
        for (index, resource) in resources.iter().enumerate() {
            out.push((format!("{pointer}/resources/{index}"), resource));
        }
    }
    if let Some(Value::Array(children)) = module.get("child_modules") {
        for (index, child) in children.iter().enumerate() {
            plan_resources(child, format!("{pointer}/child_modules/{index}"), out);
        }
    }
}

/// `aws_iam_policy.NAME` references of an attribute in the plan's
/// configuration, by resource address.
fn config_references(plan: &Value) -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    let Some(Value::Array(resources)) = plan
        .get("configuration")
        .and_then(|configuration| configuration.get("root_module"))
        .and_then(|module| module.get("resources"))
    else {
        return out;
    };
    for resource in resources {
        let Some(address) = resource.get("address").and_then(Value::as_str) else {
            continue;
        };
        let Some(Value::Object(expressions)) = resource.get("expressions") else {
            continue;
        };
        let mut attributes = BTreeMap::new();
        for (attribute, expression) in expressions {
            attributes.insert(attribute.clone(), strings(expression.get("references")));
        }
        out.insert(address.to_string(), attributes);
    }
    out
}

fn terraform_plan(plan: &Value) -> Model {
    let mut model = Model::default();
    let mut resources = Vec::new();
    if let Some(root) = plan
        .get("planned_values")
        .and_then(|values| values.get("root_module"))
    {
        plan_resources(
            root,
            "/planned_values/root_module".to_string(),
            &mut resources,
        );
    }
    let references = config_references(plan);
    let text =
        |values: &Value, key: &str| values.get(key).and_then(Value::as_str).map(str::to_string);
    // Policy address -> (users, groups) from attachments.
    let mut attachments: BTreeMap<String, (Vec<String>, Vec<String>)> = BTreeMap::new();
    let mut user_groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut login_users = Vec::new();
    for (pointer, resource) in &resources {
        let kind = resource.get("type").and_then(Value::as_str).unwrap_or("");
        let address = resource
            .get("address")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(values) = resource.get("values") else {
            continue;
        };
        let embedded = |key: &str| -> Option<Value> {
            let text = values.get(key)?.as_str()?;
            serde_json::from_str(text).ok()
        };
        let mut push = |kind: DocKind, key: &str, users: Vec<String>, groups: Vec<String>| {
            if let Some(value) = embedded(key) {
                model.documents.push(Document {
                    kind,
                    resource: address.clone(),
                    pointer: format!("{pointer}/values/{key}"),
                    embedded: true,
                    value,
                    users,
                    groups,
                    unreadable: None,
                });
            }
        };
        match kind {
            "aws_iam_policy" => push(DocKind::Identity, "policy", Vec::new(), Vec::new()),
            "aws_iam_user_policy" => push(
                DocKind::Identity,
                "policy",
                text(values, "user").into_iter().collect(),
                Vec::new(),
            ),
            "aws_iam_group_policy" => push(
                DocKind::Identity,
                "policy",
                Vec::new(),
                text(values, "group").into_iter().collect(),
            ),
            "aws_iam_role_policy" => push(DocKind::Identity, "policy", Vec::new(), Vec::new()),
            "aws_iam_role" => push(DocKind::Trust, "assume_role_policy", Vec::new(), Vec::new()),
            "aws_organizations_policy"
                if text(values, "type")
                    .as_deref()
                    .unwrap_or("SERVICE_CONTROL_POLICY")
                    == "SERVICE_CONTROL_POLICY" =>
            {
                push(DocKind::Scp, "content", Vec::new(), Vec::new());
            }
            "aws_iam_user_policy_attachment" | "aws_iam_group_policy_attachment" => {
                let config_address = address.split('[').next().unwrap_or(&address).to_string();
                let policies = references
                    .get(&config_address)
                    .and_then(|attributes| attributes.get("policy_arn"))
                    .cloned()
                    .unwrap_or_default();
                for policy in policies.iter().filter(|reference| {
                    reference.starts_with("aws_iam_policy.") && reference.matches('.').count() == 1
                }) {
                    let entry = attachments.entry(policy.clone()).or_default();
                    if kind == "aws_iam_user_policy_attachment" {
                        entry.0.extend(text(values, "user"));
                    } else {
                        entry.1.extend(text(values, "group"));
                    }
                }
            }
            "aws_iam_user_group_membership" => {
                if let Some(user) = text(values, "user") {
                    user_groups
                        .entry(user)
                        .or_default()
                        .extend(strings(values.get("groups")));
                }
            }
            "aws_iam_group_membership" => {
                if let Some(group) = text(values, "group") {
                    for user in strings(values.get("users")) {
                        user_groups.entry(user).or_default().push(group.clone());
                    }
                }
            }
            "aws_iam_user_login_profile" => {
                if let Some(user) = text(values, "user") {
                    login_users.push(User {
                        name: user,
                        resource: address.clone(),
                        pointer: pointer.clone(),
                        groups: Vec::new(),
                    });
                }
            }
            _ => {}
        }
    }
    for document in &mut model.documents {
        let address = document
            .resource
            .split('[')
            .next()
            .unwrap_or("")
            .to_string();
        if let Some((users, groups)) = attachments.get(&address) {
            document.users.extend(users.iter().cloned());
            document.groups.extend(groups.iter().cloned());
        }
    }
    for mut user in login_users {
        user.groups = user_groups.get(&user.name).cloned().unwrap_or_default();
        model.console_users.push(user);
    }
    model
}
