//! What `mfaguard watch --queue` needs in AWS, as CloudFormation, Terraform
//! or a plain JSON description: EventBridge rules for IAM calls (in
//! us-east-1, where IAM's CloudTrail events reach EventBridge) and console
//! sign-ins (in each region people sign in to; regions other than us-east-1
//! forward to us-east-1's default bus), the queue and its dead-letter queue,
//! the queue policy that lets only those rules send, and the consumer's
//! minimal policy.

use serde_json::{json, Value};

use crate::{routed_event_names, API_CALL, CONSOLE_SIGNIN};

/// The region whose default bus receives IAM's events.
pub const IAM_REGION: &str = "us-east-1";

/// What to set up.
#[derive(Debug, Clone)]
pub struct SetupOptions {
    /// Name of the queue; the dead-letter queue gets `-dlq` appended.
    pub queue_name: String,
    /// Regions whose console sign-ins are watched (us-east-1 always).
    pub signin_regions: Vec<String>,
    /// Receives before a message goes to the dead-letter queue.
    pub max_receives: u32,
    /// Seconds a received message is hidden while it is handled.
    pub visibility_timeout: u32,
    /// With an organisation (`watch --org`): the role the consumer assumes
    /// in member accounts, which its policy must allow.
    pub org_role: Option<String>,
}

impl Default for SetupOptions {
    fn default() -> SetupOptions {
        SetupOptions {
            queue_name: "mfaguard-events".to_string(),
            signin_regions: vec![IAM_REGION.to_string()],
            max_receives: 5,
            visibility_timeout: 300,
            org_role: None,
        }
    }
}

impl SetupOptions {
    fn other_signin_regions(&self) -> Vec<&str> {
        let mut regions: Vec<&str> = self
            .signin_regions
            .iter()
            .map(String::as_str)
            .filter(|region| *region != IAM_REGION)
            .collect();
        regions.sort_unstable();
        regions.dedup();
        regions
    }

    fn dead_letter_name(&self) -> String {
        format!("{}-dlq", self.queue_name)
    }
}

/// Validates a queue name (SQS: 1 to 80 letters, digits, `-`, `_`; the
/// dead-letter suffix must fit) and region names.
pub fn validate(options: &SetupOptions) -> Result<(), String> {
    let name = &options.queue_name;
    if name.is_empty()
        || name.len() + 4 > 80
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "queue name `{name}`: use 1 to 76 letters, digits, `-` or `_` (the dead-letter queue adds `-dlq`)"
        ));
    }
    for region in &options.signin_regions {
        let parts: Vec<&str> = region.split('-').collect();
        let plausible = parts.len() >= 3
            && parts.iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && parts
                .last()
                .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
        if !plausible {
            return Err(format!("`{region}` is not a region name such as eu-west-1"));
        }
    }
    if let Some(role) = &options.org_role {
        // IAM role names: 1 to 64 of letters, digits and `+=,.@_-`.
        let valid = (1..=64).contains(&role.len())
            && role
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
        if !valid {
            return Err(format!(
                "role name `{role}`: use 1 to 64 letters, digits or `+=,.@_-`"
            ));
        }
    }
    if !(1..=1000).contains(&options.max_receives) {
        return Err("the maximum receives must be from 1 to 1000".to_string());
    }
    if !(1..=43_200).contains(&options.visibility_timeout) {
        return Err("the visibility timeout must be from 1 to 43200 seconds".to_string());
    }
    Ok(())
}

/// The event pattern of IAM calls that can change MFA posture.
pub fn iam_pattern() -> Value {
    json!({
        "source": ["aws.iam"],
        "detail-type": [API_CALL],
        "detail": {
            "eventSource": ["iam.amazonaws.com"],
            "eventName": routed_event_names(),
        }
    })
}

/// The event pattern of console sign-ins.
pub fn signin_pattern() -> Value {
    json!({
        "source": ["aws.signin"],
        "detail-type": [CONSOLE_SIGNIN],
        "detail": {"eventName": ["ConsoleLogin"]}
    })
}

/// The IAM read calls of re-collection, besides those of a full scan.
const CONSUMER_IAM_ACTIONS: &[&str] = &[
    "iam:GenerateCredentialReport",
    "iam:GetCredentialReport",
    "iam:GetAccountAuthorizationDetails",
    "iam:GetAccountSummary",
    "iam:ListSAMLProviders",
    "iam:ListOpenIDConnectProviders",
    "iam:ListVirtualMFADevices",
    "iam:GetUser",
    "iam:GetLoginProfile",
    "iam:ListMFADevices",
    "iam:ListAccessKeys",
    "iam:ListUserPolicies",
    "iam:GetUserPolicy",
    "iam:ListAttachedUserPolicies",
    "iam:ListGroupsForUser",
    "iam:GetGroup",
    "iam:ListGroupPolicies",
    "iam:GetGroupPolicy",
    "iam:ListAttachedGroupPolicies",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
];

const CONSUMER_QUEUE_ACTIONS: &[&str] = &[
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueAttributes",
];

/// The organisation calls of `watch --org`: the account list (which
/// events are covered) and the service control policies of a full scan.
const CONSUMER_ORG_ACTIONS: &[&str] = &[
    "organizations:ListAccounts",
    "organizations:DescribeOrganization",
    "organizations:ListParents",
    "organizations:ListPoliciesForTarget",
    "organizations:DescribePolicy",
];

/// The role `watch --org` assumes, in any member account.
fn member_role_arn(role: &str) -> String {
    format!("arn:aws:iam::*:role/{role}")
}

/// The consumer's policy, with the queue's ARN as given (a literal or a
/// template reference); with an organisation role, the organisation reads
/// and the assumption of that role in member accounts.
fn consumer_policy(queue_arn: Value, org_role: Option<&str>) -> Value {
    let mut statements = vec![
        json!({"Sid": "ConsumeEvents", "Effect": "Allow", "Action": CONSUMER_QUEUE_ACTIONS, "Resource": queue_arn}),
        json!({"Sid": "CollectAgain", "Effect": "Allow", "Action": CONSUMER_IAM_ACTIONS, "Resource": "*"}),
    ];
    if let Some(role) = org_role {
        statements.push(json!({"Sid": "ReadOrganization", "Effect": "Allow", "Action": CONSUMER_ORG_ACTIONS, "Resource": "*"}));
        statements.push(json!({"Sid": "AssumeMemberRole", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": member_role_arn(role)}));
    }
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// A plain description: rules per region, queues, policies.
pub fn json_plan(options: &SetupOptions) -> Value {
    let queue_arn = format!(
        "arn:aws:sqs:{IAM_REGION}:${{AccountId}}:{}",
        options.queue_name
    );
    let mut rules = vec![
        json!({"region": IAM_REGION, "name": "mfaguard-iam-changes", "event_pattern": iam_pattern(), "target": queue_arn}),
        json!({"region": IAM_REGION, "name": "mfaguard-console-signin", "event_pattern": signin_pattern(), "target": queue_arn}),
    ];
    for region in options.other_signin_regions() {
        rules.push(json!({
            "region": region,
            "name": "mfaguard-console-signin-forward",
            "event_pattern": signin_pattern(),
            "target": format!("arn:aws:events:{IAM_REGION}:${{AccountId}}:event-bus/default"),
        }));
    }
    json!({
        "region": IAM_REGION,
        "queue": {
            "name": options.queue_name,
            "visibility_timeout_seconds": options.visibility_timeout,
            "receive_wait_seconds": 20,
            "redrive_policy": {"dead_letter_queue": options.dead_letter_name(), "max_receive_count": options.max_receives},
        },
        "dead_letter_queue": {"name": options.dead_letter_name(), "retention_seconds": 1_209_600},
        "rules": rules,
        "queue_policy": {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "EventBridgeRulesOnly",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": [
                    format!("arn:aws:events:{IAM_REGION}:${{AccountId}}:rule/mfaguard-iam-changes"),
                    format!("arn:aws:events:{IAM_REGION}:${{AccountId}}:rule/mfaguard-console-signin"),
                ]}}
            }]
        },
        "consumer_policy": consumer_policy(json!(queue_arn), options.org_role.as_deref()),
        "watch": format!(
            "mfaguard watch{} --queue https://sqs.{IAM_REGION}.amazonaws.com/${{AccountId}}/{} --webhook URL",
            options.org_role.as_ref().map(|role| format!(" --org --role {role}")).unwrap_or_default(),
            options.queue_name
        ),
        "member_accounts": "not set up here: each member account needs rules forwarding its IAM and sign-in events to this account's default bus in us-east-1, and this bus a policy allowing the organisation to put events (see docs/events.md, Organisations)",
    })
}

/// The CloudFormation stack for us-east-1.
pub fn cloudformation(options: &SetupOptions) -> Value {
    let queue_arn = json!({"Fn::GetAtt": ["EventQueue", "Arn"]});
    let rule = |description: &str, name: &str, pattern: Value| {
        json!({
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": name,
                "Description": description,
                "State": "ENABLED",
                "EventPattern": pattern,
                "Targets": [{"Id": "mfaguard-queue", "Arn": queue_arn}]
            }
        })
    };
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "mfaguard real-time monitoring: IAM changes and console sign-ins to an SQS queue with a dead-letter queue (deploy in us-east-1)",
        "Resources": {
            "DeadLetterQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": options.dead_letter_name(),
                    "MessageRetentionPeriod": 1_209_600,
                    "SqsManagedSseEnabled": true
                }
            },
            "EventQueue": {
                "Type": "AWS::SQS::Queue",
                "Properties": {
                    "QueueName": options.queue_name,
                    "VisibilityTimeout": options.visibility_timeout,
                    "ReceiveMessageWaitTimeSeconds": 20,
                    "SqsManagedSseEnabled": true,
                    "RedrivePolicy": {
                        "deadLetterTargetArn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]},
                        "maxReceiveCount": options.max_receives
                    }
                }
            },
            "IamChangesRule": rule("IAM calls that can change MFA posture", "mfaguard-iam-changes", iam_pattern()),
            "ConsoleSigninRule": rule("Console sign-ins (root and break-glass are alerted)", "mfaguard-console-signin", signin_pattern()),
            "EventQueuePolicy": {
                "Type": "AWS::SQS::QueuePolicy",
                "Properties": {
                    "Queues": [{"Ref": "EventQueue"}],
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "EventBridgeRulesOnly",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": "sqs:SendMessage",
                            "Resource": queue_arn,
                            "Condition": {"ArnEquals": {"aws:SourceArn": [
                                {"Fn::GetAtt": ["IamChangesRule", "Arn"]},
                                {"Fn::GetAtt": ["ConsoleSigninRule", "Arn"]}
                            ]}}
                        }]
                    }
                }
            },
            "ConsumerPolicy": {
                "Type": "AWS::IAM::ManagedPolicy",
                "Properties": {
                    "ManagedPolicyName": "mfaguard-events-consumer",
                    "Description": "What mfaguard watch --queue needs: consume the queue, collect changed identities again",
                    "PolicyDocument": consumer_policy(queue_arn.clone(), options.org_role.as_deref())
                }
            }
        },
        "Outputs": {
            "QueueUrl": {"Description": "mfaguard watch --queue", "Value": {"Ref": "EventQueue"}},
            "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetterQueue"}},
            "ConsumerPolicyArn": {"Value": {"Ref": "ConsumerPolicy"}}
        }
    })
}

/// The CloudFormation stack for each other sign-in region: a rule that
/// forwards console sign-ins to us-east-1's default bus.
pub fn cloudformation_forwarder() -> Value {
    let bus = json!({"Fn::Sub": format!("arn:${{AWS::Partition}}:events:{IAM_REGION}:${{AWS::AccountId}}:event-bus/default")});
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "mfaguard real-time monitoring: forward this region's console sign-ins to us-east-1 (deploy in each sign-in region but us-east-1)",
        "Resources": {
            "ForwardRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole"}]
                    },
                    "Policies": [{
                        "PolicyName": "put-events-us-east-1",
                        "PolicyDocument": {
                            "Version": "2012-10-17",
                            "Statement": [{"Effect": "Allow", "Action": "events:PutEvents", "Resource": bus}]
                        }
                    }]
                }
            },
            "ConsoleSigninForwardRule": {
                "Type": "AWS::Events::Rule",
                "Properties": {
                    "Name": "mfaguard-console-signin-forward",
                    "Description": "Console sign-ins, forwarded to us-east-1 for mfaguard",
                    "State": "ENABLED",
                    "EventPattern": signin_pattern(),
                    "Targets": [{"Id": "us-east-1-default-bus", "Arn": bus, "RoleArn": {"Fn::GetAtt": ["ForwardRole", "Arn"]}}]
                }
            }
        }
    })
}

fn hcl_string(text: &str) -> String {
    // JSON string escaping is valid HCL, but `${` and `%{` start templates.
    serde_json::to_string(text)
        .unwrap_or_default()
        .replace("${", "$${")
        .replace("%{", "%%{")
}

fn region_alias(region: &str) -> String {
    region.replace('-', "_")
}

/// Terraform (AWS provider), one file: us-east-1 and an aliased provider
/// per other sign-in region.
pub fn terraform(options: &SetupOptions) -> String {
    let pretty = |value: &Value| serde_json::to_string(value).unwrap_or_default();
    let mut out = String::new();
    out.push_str("# mfaguard real-time monitoring (mfaguard events setup --format terraform)\n\n");
    out.push_str(&format!(
        "provider \"aws\" {{\n  region = \"{IAM_REGION}\"\n}}\n\n"
    ));
    for region in options.other_signin_regions() {
        out.push_str(&format!(
            "provider \"aws\" {{\n  alias  = \"{}\"\n  region = \"{region}\"\n}}\n\n",
            region_alias(region)
        ));
    }
    out.push_str("data \"aws_caller_identity\" \"current\" {}\n\n");
    out.push_str(&format!(
        "resource \"aws_sqs_queue\" \"dead_letter\" {{\n  name                      = {}\n  message_retention_seconds = 1209600\n  sqs_managed_sse_enabled   = true\n}}\n\n",
        hcl_string(&options.dead_letter_name())
    ));
    out.push_str(&format!(
        "resource \"aws_sqs_queue\" \"events\" {{\n  name                       = {}\n  visibility_timeout_seconds = {}\n  receive_wait_time_seconds  = 20\n  sqs_managed_sse_enabled    = true\n  redrive_policy = jsonencode({{\n    deadLetterTargetArn = aws_sqs_queue.dead_letter.arn\n    maxReceiveCount     = {}\n  }})\n}}\n\n",
        hcl_string(&options.queue_name),
        options.visibility_timeout,
        options.max_receives
    ));
    for (resource, name, pattern) in [
        ("iam_changes", "mfaguard-iam-changes", iam_pattern()),
        (
            "console_signin",
            "mfaguard-console-signin",
            signin_pattern(),
        ),
    ] {
        out.push_str(&format!(
            "resource \"aws_cloudwatch_event_rule\" \"{resource}\" {{\n  name          = \"{name}\"\n  event_pattern = {}\n}}\n\n",
            hcl_string(&pretty(&pattern))
        ));
        out.push_str(&format!(
            "resource \"aws_cloudwatch_event_target\" \"{resource}\" {{\n  rule      = aws_cloudwatch_event_rule.{resource}.name\n  target_id = \"mfaguard-queue\"\n  arn       = aws_sqs_queue.events.arn\n}}\n\n"
        ));
    }
    out.push_str(
        "resource \"aws_sqs_queue_policy\" \"events\" {\n  queue_url = aws_sqs_queue.events.id\n  policy = jsonencode({\n    Version = \"2012-10-17\"\n    Statement = [{\n      Sid       = \"EventBridgeRulesOnly\"\n      Effect    = \"Allow\"\n      Principal = { Service = \"events.amazonaws.com\" }\n      Action    = \"sqs:SendMessage\"\n      Resource  = aws_sqs_queue.events.arn\n      Condition = { ArnEquals = { \"aws:SourceArn\" = [aws_cloudwatch_event_rule.iam_changes.arn, aws_cloudwatch_event_rule.console_signin.arn] } }\n    }]\n  })\n}\n\n",
    );
    let actions = |list: &[&str]| {
        list.iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let organization = match &options.org_role {
        Some(role) => format!(
            "      {{ Sid = \"ReadOrganization\", Effect = \"Allow\", Action = [{}], Resource = \"*\" }},\n      {{ Sid = \"AssumeMemberRole\", Effect = \"Allow\", Action = \"sts:AssumeRole\", Resource = {} }},\n",
            actions(CONSUMER_ORG_ACTIONS),
            hcl_string(&member_role_arn(role))
        ),
        None => String::new(),
    };
    out.push_str(&format!(
        "resource \"aws_iam_policy\" \"consumer\" {{\n  name        = \"mfaguard-events-consumer\"\n  description = \"What mfaguard watch --queue needs: consume the queue, collect changed identities again\"\n  policy = jsonencode({{\n    Version = \"2012-10-17\"\n    Statement = [\n      {{ Sid = \"ConsumeEvents\", Effect = \"Allow\", Action = [{}], Resource = aws_sqs_queue.events.arn }},\n      {{ Sid = \"CollectAgain\", Effect = \"Allow\", Action = [{}], Resource = \"*\" }},\n{organization}    ]\n  }})\n}}\n\n",
        actions(CONSUMER_QUEUE_ACTIONS),
        actions(CONSUMER_IAM_ACTIONS)
    ));
    let others = options.other_signin_regions();
    if !others.is_empty() {
        out.push_str(&format!(
            "locals {{\n  us_east_1_bus = \"arn:aws:events:{IAM_REGION}:${{data.aws_caller_identity.current.account_id}}:event-bus/default\"\n}}\n\n"
        ));
        out.push_str("resource \"aws_iam_role\" \"forward\" {\n  name = \"mfaguard-console-signin-forward\"\n  assume_role_policy = jsonencode({\n    Version   = \"2012-10-17\"\n    Statement = [{ Effect = \"Allow\", Principal = { Service = \"events.amazonaws.com\" }, Action = \"sts:AssumeRole\" }]\n  })\n  inline_policy {\n    name = \"put-events-us-east-1\"\n    policy = jsonencode({\n      Version   = \"2012-10-17\"\n      Statement = [{ Effect = \"Allow\", Action = \"events:PutEvents\", Resource = local.us_east_1_bus }]\n    })\n  }\n}\n\n");
    }
    for region in others {
        let alias = region_alias(region);
        out.push_str(&format!(
            "resource \"aws_cloudwatch_event_rule\" \"console_signin_{alias}\" {{\n  provider      = aws.{alias}\n  name          = \"mfaguard-console-signin-forward\"\n  event_pattern = {}\n}}\n\n",
            hcl_string(&pretty(&signin_pattern()))
        ));
        out.push_str(&format!(
            "resource \"aws_cloudwatch_event_target\" \"console_signin_{alias}\" {{\n  provider  = aws.{alias}\n  rule      = aws_cloudwatch_event_rule.console_signin_{alias}.name\n  target_id = \"us-east-1-default-bus\"\n  arn       = local.us_east_1_bus\n  role_arn  = aws_iam_role.forward.arn\n}}\n\n"
        ));
    }
    out.push_str("output \"queue_url\" {\n  description = \"mfaguard watch --queue\"\n  value       = aws_sqs_queue.events.id\n}\n\noutput \"consumer_policy_arn\" {\n  value = aws_iam_policy.consumer.arn\n}\n");
    out
}
