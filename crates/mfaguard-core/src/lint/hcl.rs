//! Terraform HCL, where it can be read without Terraform: policies written
//! as `jsonencode({...})` literals, as JSON strings or heredocs, and
//! `aws_iam_policy_document` data blocks, with the resources that use them
//! by reference. A policy whose value needs Terraform to evaluate (a
//! reference inside `jsonencode`, a function) is reported unreadable, never
//! passed.

use std::collections::{BTreeMap, HashMap};

use hcl::edit::repr::Span;
use hcl::edit::structure::{Block, Body};
use hcl::eval::{Context, Evaluate};
use serde_json::{json, Map, Value};

use super::located::{Located, Position};
use super::model::{DocKind, Document, Model, User};

/// Line and column of byte `offset` of `text`.
fn position(text: &str, offset: usize) -> Position {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(1, |tail| tail.chars().count() + 1);
    Position { line, column }
}

fn start(text: &str, span: Option<std::ops::Range<usize>>) -> Position {
    span.map_or(Position { line: 1, column: 1 }, |range| {
        position(text, range.start)
    })
}

fn labels(block: &Block) -> Vec<String> {
    block
        .labels
        .iter()
        .map(|label| label.as_str().to_string())
        .collect()
}

fn attribute<'a>(body: &'a Body, key: &str) -> Option<&'a hcl::edit::structure::Attribute> {
    body.attributes()
        .find(|attribute| attribute.key.as_str() == key)
}

/// A value with no references: literals, templates without
/// interpolation, objects and tuples of them, `jsonencode` of one.
fn literal(expression: &hcl::edit::expr::Expression) -> Option<Value> {
    let mut expression = hcl::Expression::from(expression.clone());
    if let hcl::Expression::FuncCall(call) = &expression {
        if call.name.to_string() == "jsonencode" && call.args.len() == 1 {
            expression = call.args[0].clone();
        }
    }
    let value = expression.evaluate(&Context::new()).ok()?;
    serde_json::to_value(value).ok()
}

/// The dotted path of a plain reference such as `aws_iam_group.legacy.name`.
fn reference(expression: &hcl::edit::expr::Expression) -> Option<String> {
    let expression = hcl::Expression::from(expression.clone());
    let hcl::Expression::Traversal(traversal) = expression else {
        return None;
    };
    let hcl::Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let mut path = vec![root.to_string()];
    for operator in &traversal.operators {
        match operator {
            hcl::TraversalOperator::GetAttr(name) => path.push(name.to_string()),
            _ => return None,
        }
    }
    Some(path.join("."))
}

struct Reader<'a> {
    text: &'a str,
    /// `TYPE.NAME` (or `data.TYPE.NAME`) -> block.
    blocks: BTreeMap<String, &'a Block>,
    positions: HashMap<String, Position>,
    model: Model,
}

impl Reader<'_> {
    /// A string attribute: a literal, or the `name` of the resource it
    /// references.
    fn string(&self, body: &Body, key: &str) -> Option<String> {
        let attribute = attribute(body, key)?;
        if let Some(Value::String(text)) = literal(&attribute.value) {
            return Some(text);
        }
        let path = reference(&attribute.value)?;
        let (address, field) = path.rsplit_once('.')?;
        let target = self.blocks.get(address)?;
        let key = if field == "id" || field == "arn" {
            "name"
        } else {
            field
        };
        self.string(&target.body, key)
    }

    fn strings(&self, body: &Body, key: &str) -> Vec<String> {
        let Some(attribute) = attribute(body, key) else {
            return Vec::new();
        };
        if let Some(Value::Array(items)) = literal(&attribute.value) {
            return items
                .into_iter()
                .filter_map(|item| item.as_str().map(str::to_string))
                .collect();
        }
        // A tuple of references: resolve each.
        let hcl::edit::expr::Expression::Array(array) = &attribute.value else {
            return Vec::new();
        };
        array
            .iter()
            .filter_map(|item| {
                let path = reference(item)?;
                let (address, _) = path.rsplit_once('.')?;
                let target = self.blocks.get(address)?;
                self.string(&target.body, "name")
            })
            .collect()
    }

    /// An `aws_iam_policy_document` data block as a policy, with the
    /// position of each statement recorded under `pointer`.
    fn policy_document(&mut self, block: &Block, pointer: &str) -> Value {
        let mut statements = Vec::new();
        for statement in block
            .body
            .blocks()
            .filter(|nested| nested.ident.as_str() == "statement")
        {
            let index = statements.len();
            let at = start(self.text, statement.span());
            self.positions
                .insert(format!("{pointer}/Statement/{index}"), at);
            let body = &statement.body;
            let mut out = Map::new();
            if let Some(sid) = self.string(body, "sid") {
                out.insert("Sid".into(), json!(sid));
            }
            out.insert(
                "Effect".into(),
                json!(self
                    .string(body, "effect")
                    .unwrap_or_else(|| "Allow".into())),
            );
            for (key, name) in [
                ("actions", "Action"),
                ("not_actions", "NotAction"),
                ("resources", "Resource"),
                ("not_resources", "NotResource"),
            ] {
                if attribute(body, key).is_some() {
                    out.insert(name.into(), json!(self.strings(body, key)));
                }
            }
            for (kind, name) in [
                ("principals", "Principal"),
                ("not_principals", "NotPrincipal"),
            ] {
                let mut principal = Map::new();
                for block in body.blocks().filter(|nested| nested.ident.as_str() == kind) {
                    if let Some(principal_type) = self.string(&block.body, "type") {
                        let identifiers = self.strings(&block.body, "identifiers");
                        if principal_type == "*" {
                            out.insert(name.into(), json!("*"));
                            continue;
                        }
                        principal.insert(principal_type, json!(identifiers));
                    }
                }
                if !principal.is_empty() {
                    out.insert(name.into(), Value::Object(principal));
                }
            }
            let mut condition = Map::new();
            for (nested, block) in body
                .blocks()
                .filter(|nested| nested.ident.as_str() == "condition")
                .enumerate()
            {
                if nested == 0 {
                    self.positions.insert(
                        format!("{pointer}/Statement/{index}/Condition"),
                        start(self.text, block.span()),
                    );
                }
                let (Some(test), Some(variable)) = (
                    self.string(&block.body, "test"),
                    self.string(&block.body, "variable"),
                ) else {
                    continue;
                };
                let values = self.strings(&block.body, "values");
                if let Value::Object(operator) = condition
                    .entry(test)
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    operator.insert(variable, json!(values));
                }
            }
            if !condition.is_empty() {
                out.insert("Condition".into(), Value::Object(condition));
            }
            statements.push(Value::Object(out));
        }
        json!({"Version": "2012-10-17", "Statement": statements})
    }

    /// The policy of a resource attribute: `jsonencode` of a literal, a JSON
    /// string, or a reference to a policy document data block. `Err` when
    /// it needs Terraform to evaluate.
    fn policy(&mut self, block: &Block, key: &str, pointer: &str) -> Option<Result<Value, ()>> {
        let attribute = attribute(&block.body, key)?;
        let at = start(self.text, attribute.span());
        self.positions.insert(pointer.to_string(), at);
        if let Some(path) = reference(&attribute.value) {
            if let Some(address) = path.strip_suffix(".json") {
                if let Some(data) = self.blocks.get(address).copied() {
                    return Some(Ok(self.policy_document(data, pointer)));
                }
            }
            return Some(Err(()));
        }
        match literal(&attribute.value) {
            Some(Value::String(text)) => Some(serde_json::from_str(&text).map_err(|_| ())),
            Some(value @ Value::Object(_)) => Some(Ok(value)),
            _ => Some(Err(())),
        }
    }
}

/// Reads a Terraform file into the lint model, with positions.
pub fn read(text: &str) -> Result<(Located, Model), String> {
    let body = hcl::edit::parser::parse_body(text).map_err(|err| {
        let location = err.location();
        format!(
            "line {} column {}: {}",
            location.line(),
            location.column(),
            err.message()
        )
    })?;
    let mut blocks = BTreeMap::new();
    for block in body.blocks() {
        let labels = labels(block);
        match (block.ident.as_str(), labels.as_slice()) {
            ("resource", [kind, name]) => {
                blocks.insert(format!("{kind}.{name}"), block);
            }
            ("data", [kind, name]) => {
                blocks.insert(format!("data.{kind}.{name}"), block);
            }
            _ => {}
        }
    }
    let mut reader = Reader {
        text,
        blocks: blocks.clone(),
        positions: HashMap::new(),
        model: Model::default(),
    };
    let mut unreadable = Vec::new();
    let mut attachments: Vec<(String, String, bool)> = Vec::new();
    let mut user_groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut console = Vec::new();
    for (address, block) in &blocks {
        let Some(kind) = address.split('.').next() else {
            continue;
        };
        let body = &block.body;
        let (doc_kind, key) = match kind {
            "aws_iam_policy"
            | "aws_iam_user_policy"
            | "aws_iam_group_policy"
            | "aws_iam_role_policy" => (DocKind::Identity, "policy"),
            "aws_iam_role" => (DocKind::Trust, "assume_role_policy"),
            "aws_organizations_policy" => (DocKind::Scp, "content"),
            "aws_iam_user_policy_attachment" | "aws_iam_group_policy_attachment" => {
                let user = kind == "aws_iam_user_policy_attachment";
                let target = reader.string(body, if user { "user" } else { "group" });
                let policy = attribute(body, "policy_arn")
                    .and_then(|attribute| reference(&attribute.value))
                    .and_then(|path| path.strip_suffix(".arn").map(str::to_string));
                if let (Some(target), Some(policy)) = (target, policy) {
                    attachments.push((policy, target, user));
                }
                continue;
            }
            "aws_iam_user_group_membership" => {
                if let Some(user) = reader.string(body, "user") {
                    let groups = reader.strings(body, "groups");
                    user_groups.entry(user).or_default().extend(groups);
                }
                continue;
            }
            "aws_iam_group_membership" => {
                if let Some(group) = reader.string(body, "group") {
                    for user in reader.strings(body, "users") {
                        user_groups.entry(user).or_default().push(group.clone());
                    }
                }
                continue;
            }
            "aws_iam_user_login_profile" => {
                if let Some(user) = reader.string(body, "user") {
                    let pointer = format!("/{address}");
                    reader
                        .positions
                        .insert(pointer.clone(), start(text, block.span()));
                    console.push(User {
                        name: user,
                        resource: address.clone(),
                        pointer,
                        groups: Vec::new(),
                    });
                }
                continue;
            }
            _ => continue,
        };
        let pointer = format!("/{address}");
        let users = if kind == "aws_iam_user_policy" {
            reader.string(body, "user").into_iter().collect()
        } else {
            Vec::new()
        };
        let groups = if kind == "aws_iam_group_policy" {
            reader.string(body, "group").into_iter().collect()
        } else {
            Vec::new()
        };
        match reader.policy(block, key, &pointer) {
            Some(Ok(value)) => {
                // A data document has a position per statement; a literal
                // has the attribute's only.
                let embedded = !reader
                    .positions
                    .contains_key(&format!("{pointer}/Statement/0"));
                reader.model.documents.push(Document {
                    kind: doc_kind,
                    resource: address.clone(),
                    pointer,
                    embedded,
                    value,
                    users,
                    groups,
                    unreadable: None,
                });
            }
            Some(Err(())) => unreadable.push((address.clone(), pointer)),
            None => {}
        }
    }
    for (policy, target, user) in attachments {
        for document in &mut reader.model.documents {
            if document.resource == policy {
                if user {
                    document.users.push(target.clone());
                } else {
                    document.groups.push(target.clone());
                }
            }
        }
    }
    for mut user in console {
        user.groups = user_groups.get(&user.name).cloned().unwrap_or_default();
        reader.model.console_users.push(user);
    }
    for (address, pointer) in unreadable {
        // Kept as a document that fails to parse: the rules report it.
        reader.model.documents.push(Document {
            kind: DocKind::Identity,
            resource: address,
            pointer,
            embedded: true,
            value: Value::Null,
            users: Vec::new(),
            groups: Vec::new(),
            unreadable: Some(
                "its value needs Terraform to evaluate (references or functions): lint the plan (terraform show -json)"
                    .to_string(),
            ),
        });
    }
    let located = Located::from_positions(reader.positions);
    Ok((located, reader.model))
}
