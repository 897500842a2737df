//! Builds the identities of an account from its snapshot: joins the
//! credential report, the authorization details and the MFA device lists.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::config::Config;
use crate::credential_report::{Cell, CredentialReportRow};
use crate::enforcement::{self, AllowedWithoutMfa, Enforcement, Outcome, Subject, Verdict};
use crate::identity::{
    AccessKeyInfo, DeviceKind, Identity, IdentityType, MfaDeviceInfo, MfaState, Privilege,
    RoleTrust, Tier,
};
use crate::policies::PolicyIndex;
use crate::snapshot::{MfaDevice, RoleDetail, Snapshot, Tag, UserDetail, ROOT_USER_NAME};
use crate::trust::TrustAssessment;

/// Tag that marks a user as a break-glass account.
pub const BREAKGLASS_TAG: &str = "mfaguard:break-glass";
/// Tag that marks a role as used by machines only.
pub const MACHINE_TAG: &str = "mfaguard:machine";

/// Every identity of one account, in a stable order: root, users, roles.
pub fn build(snapshot: &Snapshot, config: &Config) -> Vec<Identity> {
    let account_id = snapshot.account_id.clone().unwrap_or_default();
    let devices = DeviceIndex::new(snapshot);
    let index = snapshot
        .authorization_details
        .as_ref()
        .map(PolicyIndex::new);
    let details_by_arn: HashMap<&str, &UserDetail> = snapshot
        .authorization_details
        .iter()
        .flat_map(|details| details.user_detail_list.iter())
        .map(|user| (user.arn.as_str(), user))
        .collect();

    // Users: every credential-report row, then users created after the
    // report was generated (only in the authorization details).
    let mut users: Vec<(Option<&CredentialReportRow>, Option<&UserDetail>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for row in snapshot.credential_report.user_rows() {
        seen.insert(row.arn.as_str());
        users.push((Some(row), details_by_arn.get(row.arn.as_str()).copied()));
    }
    let roles: &[RoleDetail] = match &snapshot.authorization_details {
        Some(details) => {
            for user in &details.user_detail_list {
                if !seen.contains(user.arn.as_str()) {
                    users.push((None, Some(user)));
                }
            }
            &details.role_detail_list
        }
        None => &[],
    };
    let trusts: Vec<RoleTrust> = roles.iter().map(role_trust).collect();

    // Evaluate every user and role with known policies at once, so that
    // identities sharing policies are evaluated once.
    let mut subjects = Vec::new();
    let mut user_outcome = vec![None; users.len()];
    let mut role_outcome = vec![None; roles.len()];
    if let Some(index) = &index {
        for (position, (row, detail)) in users.iter().enumerate() {
            if let Some(detail) = detail {
                user_outcome[position] = Some(subjects.len());
                subjects.push(Subject {
                    kind: IdentityType::User,
                    name: &detail.user_name,
                    arn: &detail.arn,
                    user_id: Some(&detail.user_id),
                    resolved: index.for_user(detail),
                    needs_enforcement: row.and_then(|row| row.password_enabled.value().copied())
                        != Some(false),
                });
            }
        }
        for (position, role) in roles.iter().enumerate() {
            role_outcome[position] = Some(subjects.len());
            subjects.push(Subject {
                kind: IdentityType::Role,
                name: &role.role_name,
                arn: &role.arn,
                user_id: None,
                resolved: index.for_role(role),
                needs_enforcement: trusts[position].assumable_by_people(),
            });
        }
    }
    let outcomes = enforcement::analyze(snapshot, &subjects);
    let outcome_of = |slot: Option<usize>| slot.and_then(|slot| outcomes.get(slot));

    let mut identities = Vec::with_capacity(1 + users.len() + roles.len());
    identities.push(root_identity(snapshot, &account_id, &devices));
    for (position, (row, detail)) in users.iter().enumerate() {
        let outcome = match (outcome_of(user_outcome[position]), &index) {
            (Some(outcome), _) => Ok(outcome),
            (None, Some(_)) => Err("not in account-authorization-details.json"),
            (None, None) => Err("account-authorization-details.json missing"),
        };
        identities.push(user_identity(
            &account_id,
            *row,
            *detail,
            outcome,
            &devices,
            snapshot,
            config,
        ));
    }
    for (position, (role, trust)) in roles.iter().zip(trusts).enumerate() {
        identities.push(role_identity(
            &account_id,
            role,
            trust,
            outcome_of(role_outcome[position]),
        ));
    }
    identities
}

fn root_identity(snapshot: &Snapshot, account_id: &str, devices: &DeviceIndex) -> Identity {
    let root_arn = format!("arn:{}:iam::{account_id}:root", devices.partition);
    let row = snapshot.credential_report.root_row();
    let mut notes = Vec::new();
    let summary = snapshot.account_summary.as_ref();
    // Root always has a password unless the organisation removed root
    // credentials; the account summary says which.
    let console_access = match (row, summary.and_then(|s| s.get("AccountPasswordPresent"))) {
        (None, _) => None,
        (Some(_), Some(present)) => Some(*present != 0),
        (Some(_), None) => {
            notes.push(
                "account-summary.json missing: root is assumed to have a password".to_string(),
            );
            Some(true)
        }
    };
    if row.is_none() {
        notes.push("the credential report has no <root_account> row".to_string());
    }
    let mut mfa = match row {
        Some(row) => devices.state_for(&root_arn, ROOT_USER_NAME, row.mfa_active.value().copied()),
        None => MfaState::none(),
    };
    if mfa.active.is_none() {
        if let Some(enabled) = summary.and_then(|s| s.get("AccountMFAEnabled")) {
            mfa.active = Some(*enabled != 0);
        }
    }
    let arn = row.map(|row| row.arn.clone()).unwrap_or(root_arn);
    Identity {
        account_id: account_id.to_string(),
        name: "<root_account>".to_string(),
        arn,
        kind: IdentityType::Root,
        tier: Tier::Root,
        path: None,
        created: row.and_then(|row| row.user_creation_time.value().copied()),
        console_access,
        password_last_used: row.and_then(|row| row.password_last_used.value().copied()),
        mfa,
        access_keys: row.map(access_keys).unwrap_or_default(),
        active_certificates: row
            .map(CredentialReportRow::active_certificates)
            .unwrap_or(0),
        privilege: Privilege {
            privileged: Some(true),
            reasons: vec!["the root user has full access to the account".to_string()],
        },
        breakglass: false,
        groups: Vec::new(),
        tags: BTreeMap::new(),
        trust: None,
        trust_assessment: None,
        enforcement: None,
        allowed_without_mfa: None,
        enforcement_reasons: Vec::new(),
        notes,
    }
}

fn user_identity(
    account_id: &str,
    row: Option<&CredentialReportRow>,
    detail: Option<&UserDetail>,
    // The evaluation of its policies, or why there is none.
    outcome: Result<&Outcome, &'static str>,
    devices: &DeviceIndex,
    snapshot: &Snapshot,
    config: &Config,
) -> Identity {
    let arn = row
        .map(|row| row.arn.clone())
        .or_else(|| detail.map(|detail| detail.arn.clone()))
        .unwrap_or_default();
    let name = row
        .map(|row| row.user.clone())
        .or_else(|| detail.map(|detail| detail.user_name.clone()))
        .unwrap_or_default();
    let mut notes = Vec::new();
    let mfa = match row {
        Some(row) => devices.state_for(&arn, &name, row.mfa_active.value().copied()),
        None => {
            notes.push("not in the credential report (created after it was generated?): console access and MFA unknown".to_string());
            MfaState::none()
        }
    };
    if snapshot.mfa_devices.is_none() && mfa.active == Some(true) {
        notes.push("mfa-devices.json missing: only virtual devices are listed".to_string());
    }
    let privilege = match outcome {
        Ok(outcome) => outcome.privilege.clone(),
        Err(why) => Privilege::unknown(why),
    };
    let enforcement: Option<Enforcement> =
        outcome.ok().and_then(|outcome| outcome.enforcement.clone());
    let tags = detail
        .map(|detail| tag_map(&detail.tags))
        .unwrap_or_default();
    let breakglass = config
        .breakglass_users
        .iter()
        .any(|wanted| wanted == &name || wanted == &arn)
        || tags
            .get(BREAKGLASS_TAG)
            .is_some_and(|value| value.eq_ignore_ascii_case("true"));
    let console_access = row.and_then(|row| row.password_enabled.value().copied());
    let tier = if breakglass {
        Tier::Breakglass
    } else if console_access == Some(false) {
        Tier::Machine
    } else if privilege.privileged == Some(true) {
        Tier::Privileged
    } else {
        Tier::Human
    };
    Identity {
        account_id: account_id.to_string(),
        arn,
        name,
        kind: IdentityType::User,
        tier,
        path: detail.map(|detail| detail.path.clone()),
        created: row
            .and_then(|row| row.user_creation_time.value().copied())
            .or_else(|| detail.and_then(|detail| detail.create_date)),
        console_access,
        password_last_used: row.and_then(|row| row.password_last_used.value().copied()),
        mfa,
        access_keys: row.map(access_keys).unwrap_or_default(),
        active_certificates: row
            .map(CredentialReportRow::active_certificates)
            .unwrap_or(0),
        privilege,
        breakglass,
        groups: detail
            .map(|detail| detail.group_list.clone())
            .unwrap_or_default(),
        tags,
        trust: None,
        trust_assessment: None,
        enforcement: enforcement.as_ref().map(|result| result.verdict),
        allowed_without_mfa: enforcement
            .as_ref()
            .map(|result| result.allowed_without_mfa.clone()),
        enforcement_reasons: enforcement.map(|result| result.reasons).unwrap_or_default(),
        notes,
    }
}

/// Who a role trusts, and whether it is tagged as used by machines only.
fn role_trust(role: &RoleDetail) -> RoleTrust {
    let mut trust = role
        .assume_role_policy_document
        .as_ref()
        .map(|document| trust_principals(&document.0))
        .unwrap_or(RoleTrust {
            aws_principals: Vec::new(),
            services: Vec::new(),
            federated: Vec::new(),
            machine_tagged: false,
        });
    trust.machine_tagged = role
        .tags
        .iter()
        .any(|tag| tag.key == MACHINE_TAG && tag.value.eq_ignore_ascii_case("true"));
    trust
}

fn role_identity(
    account_id: &str,
    role: &RoleDetail,
    trust: RoleTrust,
    outcome: Option<&Outcome>,
) -> Identity {
    let tags = tag_map(&role.tags);
    let privilege = outcome
        .map(|outcome| outcome.privilege.clone())
        .unwrap_or_else(|| Privilege::unknown("its policies were not evaluated"));
    let assessment = crate::trust::assess(
        &role.arn,
        account_id,
        &trust,
        role.assume_role_policy_document
            .as_ref()
            .map(|document| &document.0),
    );
    let enforcement = outcome
        .and_then(|outcome| outcome.enforcement.clone())
        .map(|enforcement| by_trust(&assessment, enforcement));
    let tier = if !trust.assumable_by_people() {
        Tier::Machine
    } else if privilege.privileged == Some(true) {
        Tier::Privileged
    } else {
        Tier::Human
    };
    Identity {
        account_id: account_id.to_string(),
        arn: role.arn.clone(),
        name: role.role_name.clone(),
        kind: IdentityType::Role,
        tier,
        path: Some(role.path.clone()),
        created: role.create_date,
        console_access: Some(false),
        password_last_used: None,
        mfa: MfaState::none(),
        access_keys: Vec::new(),
        active_certificates: 0,
        privilege,
        breakglass: false,
        groups: Vec::new(),
        tags,
        trust: Some(trust),
        trust_assessment: Some(assessment),
        enforcement: enforcement.as_ref().map(|result| result.verdict),
        allowed_without_mfa: enforcement
            .as_ref()
            .map(|result| result.allowed_without_mfa.clone()),
        enforcement_reasons: enforcement.map(|result| result.reasons).unwrap_or_default(),
        notes: Vec::new(),
    }
}

/// A role's sessions exist only as its trust policy lets them: when every
/// AWS principal it trusts must use MFA, no session lacks MFA whatever the
/// role's own policies say; when only an identity provider signs people in,
/// MFA happens there, out of IAM's sight.
fn by_trust(assessment: &TrustAssessment, mut enforcement: Enforcement) -> Enforcement {
    match assessment {
        TrustAssessment::RequiresMfa { federated, .. } if federated.is_empty() => Enforcement {
            verdict: Verdict::Enforced,
            allowed_without_mfa: Arc::new(AllowedWithoutMfa::none()),
            reasons: vec![
                "its trust policy requires MFA of every principal it trusts: every session of the role has MFA"
                    .to_string(),
            ],
        },
        TrustAssessment::Federated(providers) => {
            enforcement.verdict = Verdict::Unknown;
            enforcement.reasons.insert(
                0,
                format!(
                    "people sign in through {}: MFA is enforced by the identity provider, which IAM does not show",
                    providers.join(", ")
                ),
            );
            enforcement
        }
        _ => enforcement,
    }
}

/// The principals named by the Allow statements of a trust policy.
fn trust_principals(document: &Value) -> RoleTrust {
    let mut trust = RoleTrust {
        aws_principals: Vec::new(),
        services: Vec::new(),
        federated: Vec::new(),
        machine_tagged: false,
    };
    let statements: Vec<&Value> = match document.get("Statement") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    };
    for statement in statements {
        if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
            continue;
        }
        match statement.get("Principal") {
            Some(Value::String(star)) if star == "*" => trust.aws_principals.push("*".to_string()),
            Some(Value::Object(map)) => {
                for (kind, values) in map {
                    let list = match kind.as_str() {
                        "AWS" => &mut trust.aws_principals,
                        "Service" => &mut trust.services,
                        "Federated" => &mut trust.federated,
                        _ => continue,
                    };
                    match values {
                        Value::String(text) => list.push(text.clone()),
                        Value::Array(items) => {
                            list.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    trust
}

fn tag_map(tags: &[Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|tag| (tag.key.clone(), tag.value.clone()))
        .collect()
}

fn access_keys(row: &CredentialReportRow) -> Vec<AccessKeyInfo> {
    let mut keys = Vec::new();
    let slots = [
        (
            1,
            &row.access_key_1_active,
            &row.access_key_1_last_rotated,
            &row.access_key_1_last_used_date,
        ),
        (
            2,
            &row.access_key_2_active,
            &row.access_key_2_last_rotated,
            &row.access_key_2_last_used_date,
        ),
    ];
    for (slot, active, rotated, used) in slots {
        // A slot with no key reads `false` with `N/A` as its rotation date.
        if active.is_true() || matches!(rotated, Cell::Value(_)) {
            keys.push(AccessKeyInfo {
                slot,
                active: active.is_true(),
                last_rotated: rotated.value().copied(),
                last_used: used.value().copied(),
            });
        }
    }
    keys
}

/// MFA devices of the account, by the identity that holds them.
struct DeviceIndex {
    partition: String,
    /// Whether `list-virtual-mfa-devices` was given: only then does the
    /// absence of a virtual device prove a hardware or FIDO one.
    virtual_list_known: bool,
    virtual_by_arn: HashMap<String, Vec<MfaDeviceInfo>>,
    listed_by_user: Option<HashMap<String, Vec<MfaDeviceInfo>>>,
}

impl DeviceIndex {
    fn new(snapshot: &Snapshot) -> DeviceIndex {
        let partition = snapshot
            .credential_report
            .rows
            .first()
            .and_then(|row| row.arn.split(':').nth(1))
            .unwrap_or("aws")
            .to_string();
        let mut virtual_by_arn: HashMap<String, Vec<MfaDeviceInfo>> = HashMap::new();
        for device in snapshot.virtual_mfa_devices.iter().flatten() {
            // Exact ARN match only: `user/rootops` must never pass for root.
            if let Some(user) = &device.user {
                virtual_by_arn
                    .entry(user.arn.clone())
                    .or_default()
                    .push(MfaDeviceInfo {
                        serial: device.serial_number.clone(),
                        kind: DeviceKind::from_serial(&device.serial_number),
                        enable_date: device.enable_date,
                    });
            }
        }
        let listed_by_user = snapshot.mfa_devices.as_ref().map(|devices| {
            let mut by_user: HashMap<String, Vec<MfaDeviceInfo>> = HashMap::new();
            for device in devices {
                by_user
                    .entry(device.user_name.clone())
                    .or_default()
                    .push(listed_device(device));
            }
            by_user
        });
        DeviceIndex {
            partition,
            virtual_list_known: snapshot.virtual_mfa_devices.is_some(),
            virtual_by_arn,
            listed_by_user,
        }
    }

    fn state_for(&self, arn: &str, user_name: &str, active: Option<bool>) -> MfaState {
        let virtual_devices = self.virtual_by_arn.get(arn).cloned().unwrap_or_default();
        let listed = self
            .listed_by_user
            .as_ref()
            .and_then(|by_user| by_user.get(user_name));
        if active != Some(true) {
            return MfaState {
                active,
                devices: Vec::new(),
                devices_complete: active.is_some(),
                unlisted_non_virtual: false,
            };
        }
        match listed {
            Some(listed) => {
                let mut devices = listed.clone();
                // list-mfa-devices may lack enable dates that the virtual
                // device list has.
                for device in &mut devices {
                    if device.enable_date.is_none() {
                        device.enable_date = virtual_devices
                            .iter()
                            .find(|v| v.serial == device.serial)
                            .and_then(|v| v.enable_date);
                    }
                }
                MfaState {
                    active,
                    devices,
                    devices_complete: true,
                    unlisted_non_virtual: false,
                }
            }
            None => {
                let unlisted_non_virtual = self.virtual_list_known && virtual_devices.is_empty();
                MfaState {
                    active,
                    devices: virtual_devices,
                    devices_complete: false,
                    unlisted_non_virtual,
                }
            }
        }
    }
}

fn listed_device(device: &MfaDevice) -> MfaDeviceInfo {
    MfaDeviceInfo {
        serial: device.serial_number.clone(),
        kind: DeviceKind::from_serial(&device.serial_number),
        enable_date: device.enable_date,
    }
}

/// The first time an identity's MFA was enabled, if known.
pub fn time_to_mfa(identity: &Identity) -> Option<chrono::Duration> {
    let created: DateTime<Utc> = identity.created?;
    let enabled = identity.mfa.first_enabled()?;
    (enabled >= created).then(|| enabled - created)
}
