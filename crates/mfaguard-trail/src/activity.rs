//! The analysis of records: per account, identity and month, console
//! sign-ins, API calls with and without MFA, denials, role assumptions, MFA
//! device changes, and alerts on root and break-glass use.
//!
//! Each reading thread fills its own [`Activity`]; they are merged at the
//! end. Memory grows with the number of identities, roles and months, not
//! with the number of records; alerts and MFA device events are kept one by
//! one (they are rare by nature), denial examples are capped per identity.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Utc};
use iam_policy::catalog::AccessLevel;
use mfaguard_core::identity::Tier;
use mfaguard_core::Severity;

use crate::denial::{
    is_access_denied, service_prefix, CallMfa, DenialJudge, DenialVerdict, DeniedRequest,
};
use crate::knowledge::Knowledge;
use crate::reader::{RecordSink, Window};
use crate::record::{FieldError, Record, UserIdentity};

/// Denials listed per identity and month (all are counted).
pub const DENIAL_EXAMPLES: usize = 10;

/// Who made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Root,
    User,
    Role,
    /// A role session from IAM Identity Center or a SAML provider: MFA is
    /// the identity provider's, not visible here.
    Federated,
    FederatedUser,
    /// An AWS service acting on the account's behalf.
    Service,
    Other,
}

/// Console sign-ins.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConsoleCounts {
    pub with_mfa: u64,
    pub without_mfa: u64,
    /// MFA at the identity provider (Identity Center, SAML).
    pub federated: u64,
    pub failed: u64,
    /// Successful sign-ins whose record does not say whether MFA was used.
    pub mfa_unknown: u64,
}

/// API calls (every event but sign-ins).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct CallCounts {
    pub with_mfa: u64,
    /// Temporary credentials without MFA.
    pub session_without_mfa: u64,
    /// Long-term access keys (`AKIA...`): never MFA.
    pub access_key: u64,
    /// Federated sessions (MFA at the identity provider).
    pub federated: u64,
    /// The record does not say.
    pub mfa_unknown: u64,
}

/// API calls made by people (see [`Audience`]), by MFA.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct HumanCalls {
    pub with_mfa: u64,
    /// Sessions without MFA and long-term access keys.
    pub without_mfa: u64,
    /// The record does not say.
    pub mfa_unknown: u64,
    /// Federated sessions (Identity Center, SAML): MFA is the identity
    /// provider's, not visible in the record.
    pub federated: u64,
}

impl HumanCalls {
    pub fn merge(&mut self, other: &HumanCalls) {
        self.with_mfa += other.with_mfa;
        self.without_mfa += other.without_mfa;
        self.mfa_unknown += other.mfa_unknown;
        self.federated += other.federated;
    }
}

/// Who an API call is made for: a person or a workload.
///
/// - People: root; federated sessions (Identity Center, SAML); any session
///   with MFA (a workload cannot present MFA); console sessions
///   (`sessionCredentialFromConsole`, which covers switching roles in the
///   console); and, by the snapshot, users with a console password and
///   roles that people can assume (any tier but `machine`), whatever the
///   credentials (so a person's access keys count as theirs).
/// - Workloads: AWS services, and by the snapshot users without a console
///   password and roles only workloads can assume (tier `machine`).
/// - Unclassified: the rest, that is users and roles without MFA outside a
///   console session when no snapshot of their account names them, and
///   federation-token users. They are counted apart, never as people with
///   MFA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Human,
    Workload,
    Unclassified,
}

/// Access denials by attribution.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DenialCounts {
    pub total: u64,
    pub mfa_related: u64,
    pub not_mfa_related: u64,
    pub unexplained: u64,
    pub undetermined: u64,
    pub inferred_mfa_related: u64,
    pub inferred_not_mfa_related: u64,
}

impl DenialCounts {
    fn add(&mut self, verdict: DenialVerdict) {
        self.total += 1;
        match verdict {
            DenialVerdict::MfaRelated => self.mfa_related += 1,
            DenialVerdict::NotMfaRelated => self.not_mfa_related += 1,
            DenialVerdict::Unexplained => self.unexplained += 1,
            DenialVerdict::Undetermined => self.undetermined += 1,
            DenialVerdict::InferredMfaRelated => self.inferred_mfa_related += 1,
            DenialVerdict::InferredNotMfaRelated => self.inferred_not_mfa_related += 1,
        }
    }

    pub fn merge(&mut self, other: &DenialCounts) {
        self.total += other.total;
        self.mfa_related += other.mfa_related;
        self.not_mfa_related += other.not_mfa_related;
        self.unexplained += other.unexplained;
        self.undetermined += other.undetermined;
        self.inferred_mfa_related += other.inferred_mfa_related;
        self.inferred_not_mfa_related += other.inferred_not_mfa_related;
    }
}

/// One denied request, as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DenialExample {
    pub time: DateTime<Utc>,
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub error_code: String,
    pub verdict: DenialVerdict,
    pub reason: String,
}

/// One identity in one month.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityMonth {
    pub console: ConsoleCounts,
    pub calls: CallCounts,
    pub denials: DenialCounts,
    /// Actions called without MFA, with counts.
    pub actions_without_mfa: HashMap<String, u64>,
    /// The earliest denials.
    pub denial_examples: Vec<DenialExample>,
    /// API calls made by people.
    pub human_calls: HumanCalls,
    /// API calls of workloads (AWS services excluded: they are not counted).
    pub workload_calls: u64,
    /// API calls that could not be told to be a person's or a workload's.
    pub unclassified_calls: u64,
    /// Sign-ins and API calls of the root user.
    pub root_uses: u64,
    /// Sign-ins and API calls of break-glass users.
    pub breakglass_uses: u64,
}

/// One identity's activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityActivity {
    pub name: String,
    pub kind: Kind,
    /// By month, `year * 12 + month - 1`.
    pub months: BTreeMap<i32, IdentityMonth>,
}

/// Role assumptions of one role in one month, counted in the role's account.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RoleMonth {
    /// `AssumeRole` with a `serialNumber` (MFA).
    pub with_mfa: u64,
    pub without_mfa: u64,
    /// `AssumeRoleWithSAML` / `AssumeRoleWithWebIdentity`.
    pub federated: u64,
    /// By an AWS service (an instance profile, a Lambda function): MFA
    /// does not apply.
    pub service: u64,
    pub failed: u64,
    /// Assumptions by a caller of another account.
    pub cross_account: u64,
    /// The other accounts, with counts.
    pub caller_accounts: BTreeMap<String, u64>,
}

/// An alert: root or break-glass use, or MFA removed from an identity that
/// must have it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Alert {
    /// CloudTrail's ID of the event (absent when the record has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    pub severity: Severity,
    pub kind: AlertKind,
    pub account_id: String,
    pub identity_arn: String,
    pub identity_name: String,
    pub time: DateTime<Utc>,
    pub event_source: String,
    pub event_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Whether MFA was used; `None` when the record does not say.
    pub mfa_used: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    RootActivity,
    BreakglassActivity,
    MfaDeactivated,
}

/// An MFA device change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MfaDeviceEvent {
    pub time: DateTime<Utc>,
    pub account_id: String,
    pub event_name: String,
    /// Who made the change.
    pub actor_arn: String,
    /// The user the device belongs to, when the record says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// The user's tier from the snapshot; `None` without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<Tier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
}

pub const MFA_DEVICE_EVENTS: [&str; 5] = [
    "CreateVirtualMFADevice",
    "EnableMFADevice",
    "DeactivateMFADevice",
    "DeleteVirtualMFADevice",
    "ResyncMFADevice",
];

/// Everything learnt from the records one thread read.
pub struct Activity<'k> {
    knowledge: &'k Knowledge,
    window: Window,
    judge: DenialJudge,
    /// Account → identity ARN (or key) → activity.
    pub identities: HashMap<String, HashMap<String, IdentityActivity>>,
    /// (account, role ARN) → month → assumptions.
    pub roles: HashMap<(String, String), BTreeMap<i32, RoleMonth>>,
    pub alerts: Vec<Alert>,
    pub mfa_device_events: Vec<MfaDeviceEvent>,
    pub records_analysed: u64,
    pub records_outside_window: u64,
}

/// The caller of a request, from `userIdentity`.
struct Caller<'r> {
    key: &'r str,
    name: &'r str,
    kind: Kind,
    /// The ARN whose policies apply (the session's, for roles).
    principal_arn: Option<&'r str>,
    account: Option<&'r str>,
}

impl<'k> Activity<'k> {
    pub fn new(knowledge: &'k Knowledge, window: Window) -> Activity<'k> {
        Activity {
            knowledge,
            window,
            judge: DenialJudge::default(),
            identities: HashMap::new(),
            roles: HashMap::new(),
            alerts: Vec::new(),
            mfa_device_events: Vec::new(),
            records_analysed: 0,
            records_outside_window: 0,
        }
    }

    /// An empty analysis that reuses `judge`'s evaluated policies.
    pub fn with_judge(
        knowledge: &'k Knowledge,
        window: Window,
        judge: DenialJudge,
    ) -> Activity<'k> {
        Activity {
            judge,
            ..Activity::new(knowledge, window)
        }
    }

    /// Takes the evaluated policies out, for the next file's analysis.
    pub fn take_judge(&mut self) -> DenialJudge {
        std::mem::take(&mut self.judge)
    }

    /// Adds another thread's findings.
    pub fn merge(&mut self, other: Activity<'_>) {
        self.records_analysed += other.records_analysed;
        self.records_outside_window += other.records_outside_window;
        self.alerts.extend(other.alerts);
        self.mfa_device_events.extend(other.mfa_device_events);
        for (key, months) in other.roles {
            let mine = self.roles.entry(key).or_default();
            for (month, counts) in months {
                let role = mine.entry(month).or_default();
                role.with_mfa += counts.with_mfa;
                role.without_mfa += counts.without_mfa;
                role.federated += counts.federated;
                role.service += counts.service;
                role.failed += counts.failed;
                role.cross_account += counts.cross_account;
                for (account, n) in counts.caller_accounts {
                    *role.caller_accounts.entry(account).or_default() += n;
                }
            }
        }
        for (account, identities) in other.identities {
            let mine = self.identities.entry(account).or_default();
            for (key, activity) in identities {
                match mine.get_mut(&key) {
                    None => {
                        mine.insert(key, activity);
                    }
                    Some(existing) => {
                        for (month, counts) in activity.months {
                            merge_month(existing.months.entry(month).or_default(), counts);
                        }
                    }
                }
            }
        }
    }

    fn identity_month(
        &mut self,
        account: &str,
        caller: &Caller<'_>,
        month: i32,
    ) -> &mut IdentityMonth {
        let identities = match self.identities.get_mut(account) {
            Some(_) => self.identities.get_mut(account),
            None => {
                self.identities.insert(account.to_string(), HashMap::new());
                self.identities.get_mut(account)
            }
        };
        let identities = identities.expect("inserted above");
        if !identities.contains_key(caller.key) {
            identities.insert(
                caller.key.to_string(),
                IdentityActivity {
                    name: caller.name.to_string(),
                    kind: caller.kind,
                    months: BTreeMap::new(),
                },
            );
        }
        identities
            .get_mut(caller.key)
            .expect("inserted above")
            .months
            .entry(month)
            .or_default()
    }

    /// Whether a call (not an AWS service's) is a person's: see [`Audience`].
    fn audience(
        &self,
        account: &str,
        caller: &Caller<'_>,
        mfa: CallMfa,
        from_console: bool,
    ) -> Audience {
        match caller.kind {
            Kind::Root | Kind::Federated => return Audience::Human,
            Kind::Service => return Audience::Workload,
            _ => {}
        }
        if from_console || matches!(mfa, CallMfa::WithMfa { .. }) {
            return Audience::Human;
        }
        if !matches!(caller.kind, Kind::User | Kind::Role) {
            return Audience::Unclassified;
        }
        // A role session is keyed by its role; a role of another account
        // is known by that account's snapshot.
        let home = account_of_arn(caller.key).unwrap_or(account);
        match self.knowledge.tier(home, caller.key) {
            Some(Tier::Machine) => Audience::Workload,
            Some(_) => Audience::Human,
            None => Audience::Unclassified,
        }
    }

    fn caller<'r>(&self, identity: &'r UserIdentity<'r>) -> Result<Caller<'r>, FieldError> {
        let kind_text = identity.kind.get("userIdentity.type")?.unwrap_or("");
        let arn = identity.arn.get("userIdentity.arn")?;
        let account = identity.account_id.get("userIdentity.accountId")?;
        let principal_id = identity.principal_id.get("userIdentity.principalId")?;
        let issuer = match identity
            .session_context
            .get("userIdentity.sessionContext")?
        {
            Some(context) => context
                .session_issuer
                .get("userIdentity.sessionContext.sessionIssuer")?,
            None => None,
        };
        let fallback = arn.or(principal_id).unwrap_or(kind_text);
        Ok(match kind_text {
            "Root" => Caller {
                key: arn.unwrap_or(fallback),
                name: "root",
                kind: Kind::Root,
                principal_arn: arn,
                account,
            },
            "IAMUser" => Caller {
                key: arn.unwrap_or(fallback),
                name: identity
                    .user_name
                    .get("userIdentity.userName")?
                    .unwrap_or(fallback),
                kind: Kind::User,
                principal_arn: arn,
                account,
            },
            "AssumedRole" => {
                let role_arn = match issuer {
                    Some(issuer) => issuer
                        .arn
                        .get("userIdentity.sessionContext.sessionIssuer.arn")?,
                    None => None,
                };
                let role_name = match issuer {
                    Some(issuer) => issuer
                        .user_name
                        .get("userIdentity.sessionContext.sessionIssuer.userName")?,
                    None => None,
                };
                let key = role_arn.unwrap_or(fallback);
                let name = role_name.unwrap_or_else(|| key.rsplit('/').next().unwrap_or(key));
                let federated = name.starts_with("AWSReservedSSO_")
                    || account.zip(role_arn).is_some_and(|(account, role)| {
                        self.knowledge
                            .facts(account, role)
                            .is_some_and(|facts| facts.federated_role)
                    });
                Caller {
                    key,
                    name,
                    kind: if federated {
                        Kind::Federated
                    } else {
                        Kind::Role
                    },
                    principal_arn: arn,
                    account,
                }
            }
            "FederatedUser" => Caller {
                key: arn.unwrap_or(fallback),
                name: arn.map_or(fallback, |arn| arn.rsplit('/').next().unwrap_or(arn)),
                kind: Kind::FederatedUser,
                principal_arn: arn,
                account,
            },
            "SAMLUser" | "WebIdentityUser" | "IdentityCenterUser" => Caller {
                key: principal_id.or(arn).unwrap_or(fallback),
                name: identity
                    .user_name
                    .get("userIdentity.userName")?
                    .or(principal_id)
                    .unwrap_or(fallback),
                kind: Kind::Federated,
                principal_arn: None,
                account,
            },
            "AWSService" => Caller {
                key: fallback,
                name: fallback,
                kind: Kind::Service,
                principal_arn: None,
                account,
            },
            _ => Caller {
                key: fallback,
                name: fallback,
                kind: Kind::Other,
                principal_arn: arn,
                account,
            },
        })
    }
}

fn merge_month(into: &mut IdentityMonth, from: IdentityMonth) {
    let console = &mut into.console;
    console.with_mfa += from.console.with_mfa;
    console.without_mfa += from.console.without_mfa;
    console.federated += from.console.federated;
    console.failed += from.console.failed;
    console.mfa_unknown += from.console.mfa_unknown;
    let calls = &mut into.calls;
    calls.with_mfa += from.calls.with_mfa;
    calls.session_without_mfa += from.calls.session_without_mfa;
    calls.access_key += from.calls.access_key;
    calls.federated += from.calls.federated;
    calls.mfa_unknown += from.calls.mfa_unknown;
    into.denials.merge(&from.denials);
    into.human_calls.merge(&from.human_calls);
    into.workload_calls += from.workload_calls;
    into.unclassified_calls += from.unclassified_calls;
    into.root_uses += from.root_uses;
    into.breakglass_uses += from.breakglass_uses;
    for (action, n) in from.actions_without_mfa {
        *into.actions_without_mfa.entry(action).or_default() += n;
    }
    into.denial_examples.extend(from.denial_examples);
    keep_earliest(&mut into.denial_examples);
}

/// Keeps the [`DENIAL_EXAMPLES`] earliest examples, in a deterministic
/// order whatever thread read them.
fn keep_earliest(examples: &mut Vec<DenialExample>) {
    examples.sort_by(|a, b| {
        (a.time, &a.action, &a.resource, &a.reason).cmp(&(
            b.time,
            &b.action,
            &b.resource,
            &b.reason,
        ))
    });
    examples.truncate(DENIAL_EXAMPLES);
}

/// `year * 12 + month - 1`.
pub fn month_index(time: DateTime<Utc>) -> i32 {
    time.year() * 12 + time.month0() as i32
}

/// `YYYY-MM` of a month index.
pub fn month_label(index: i32) -> String {
    format!(
        "{:04}-{:02}",
        index.div_euclid(12),
        index.rem_euclid(12) + 1
    )
}

/// How sensitive an action is, from the catalogue's access level
/// (permissions management first); unknown actions rank lowest.
pub fn access_level(action: &str) -> Option<AccessLevel> {
    iam_policy::catalog::try_catalog()
        .ok()?
        .lookup(action)
        .map(|info| info.access_level)
}

fn call_mfa(identity: &UserIdentity<'_>, time: DateTime<Utc>) -> Result<CallMfa, FieldError> {
    let key = identity.access_key_id.get("userIdentity.accessKeyId")?;
    if key.is_some_and(|key| key.starts_with("AKIA")) {
        return Ok(CallMfa::AccessKey);
    }
    let Some(context) = identity
        .session_context
        .get("userIdentity.sessionContext")?
    else {
        return Ok(CallMfa::Unknown);
    };
    let Some(attributes) = context
        .attributes
        .get("userIdentity.sessionContext.attributes")?
    else {
        return Ok(CallMfa::Unknown);
    };
    let path = "userIdentity.sessionContext.attributes.mfaAuthenticated";
    match attributes.mfa_authenticated.get(path)? {
        Some("true") => {
            let created = attributes
                .creation_date
                .get("userIdentity.sessionContext.attributes.creationDate")?
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok());
            let age_seconds = created
                .map(|created| (time - created.with_timezone(&Utc)).num_seconds().max(0) as u64)
                .unwrap_or(0);
            Ok(CallMfa::WithMfa { age_seconds })
        }
        Some("false") => Ok(CallMfa::SessionWithoutMfa),
        Some(other) => Err(FieldError(format!(
            "`{path}` is `{other}`, expected \"true\" or \"false\""
        ))),
        None => Ok(CallMfa::Unknown),
    }
}

/// `additionalEventData.MFAUsed` of a sign-in: `None` when not recorded.
fn sign_in_mfa(record: &Record<'_>) -> Result<Option<bool>, FieldError> {
    let Some(data) = record.additional_event_data.get("additionalEventData")? else {
        return Ok(None);
    };
    match data.mfa_used.get("additionalEventData.MFAUsed")? {
        Some("Yes") => Ok(Some(true)),
        Some("No") => Ok(Some(false)),
        Some(other) => Err(FieldError(format!(
            "`additionalEventData.MFAUsed` is `{other}`, expected \"Yes\" or \"No\""
        ))),
        None => Ok(None),
    }
}

fn account_of_arn(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|account| !account.is_empty())
}

impl RecordSink for Activity<'_> {
    fn record(&mut self, record: &Record<'_>) -> Result<(), FieldError> {
        let time_text = record.event_time.require("eventTime")?;
        let time = DateTime::parse_from_rfc3339(time_text)
            .map_err(|_| {
                FieldError(format!(
                    "`eventTime` `{time_text}` is not an RFC 3339 time such as 2026-11-05T09:12:01Z"
                ))
            })?
            .with_timezone(&Utc);
        let event_name = record.event_name.require("eventName")?;
        let event_id = record.event_id.get("eventID")?;
        let event_source = record.event_source.require("eventSource")?;
        let error_code = record.error_code.get("errorCode")?;
        let Some(identity) = record.user_identity.get("userIdentity")? else {
            return Err(FieldError("`userIdentity` is missing".to_string()));
        };
        let caller = self.caller(identity)?;
        let account = match record.recipient_account_id.get("recipientAccountId")? {
            Some(account) => account,
            None => caller.account.ok_or_else(|| {
                FieldError("`recipientAccountId` and `userIdentity.accountId` are missing".into())
            })?,
        };
        let source_ip = record.source_ip_address.get("sourceIPAddress")?;
        let user_agent = record.user_agent.get("userAgent")?;
        if !self.window.contains(time) {
            self.records_outside_window += 1;
            return Ok(());
        }
        let role_event =
            event_source == "sts.amazonaws.com" && event_name.starts_with("AssumeRole");
        let device_event = MFA_DEVICE_EVENTS.contains(&event_name);
        let parameters = if role_event || device_event {
            Parameters::read(record)?
        } else {
            Parameters::default()
        };
        let mfa = if event_name == "ConsoleLogin" {
            CallMfa::Unknown
        } else {
            call_mfa(identity, time)?
        };
        let console_mfa = if event_name == "ConsoleLogin" {
            sign_in_mfa(record)?
        } else {
            None
        };
        self.records_analysed += 1;
        let month = month_index(time);
        let mfa_used: Option<bool>;

        if event_name == "ConsoleLogin" {
            mfa_used = console_mfa;
            let outcome = record
                .response_elements
                .loose()
                .and_then(|elements| elements.console_login.loose());
            let failed = outcome == Some("Failure") || error_code.is_some();
            let kind = caller.kind;
            let counts = &mut self.identity_month(account, &caller, month).console;
            if failed {
                counts.failed += 1;
            } else if matches!(kind, Kind::Federated | Kind::Role | Kind::FederatedUser) {
                // Console sessions of roles come from federation: the
                // identity provider decides MFA.
                counts.federated += 1;
            } else {
                match mfa_used {
                    Some(true) => counts.with_mfa += 1,
                    Some(false) => counts.without_mfa += 1,
                    None => counts.mfa_unknown += 1,
                }
            }
        } else {
            mfa_used = match mfa {
                CallMfa::WithMfa { .. } => Some(true),
                CallMfa::AccessKey | CallMfa::SessionWithoutMfa => Some(false),
                CallMfa::Unknown => None,
            };
            let action = format!("{}:{}", service_prefix(event_source), event_name);
            if caller.kind != Kind::Service {
                let kind = caller.kind;
                let from_console = record.session_credential_from_console.loose() == Some("true");
                let audience = self.audience(account, &caller, mfa, from_console);
                let entry = self.identity_month(account, &caller, month);
                match audience {
                    Audience::Human => match (kind, mfa) {
                        (Kind::Federated, _) => entry.human_calls.federated += 1,
                        (_, CallMfa::WithMfa { .. }) => entry.human_calls.with_mfa += 1,
                        (_, CallMfa::SessionWithoutMfa | CallMfa::AccessKey) => {
                            entry.human_calls.without_mfa += 1
                        }
                        (_, CallMfa::Unknown) => entry.human_calls.mfa_unknown += 1,
                    },
                    Audience::Workload => entry.workload_calls += 1,
                    Audience::Unclassified => entry.unclassified_calls += 1,
                }
                match (kind, mfa) {
                    (Kind::Federated, _) => entry.calls.federated += 1,
                    (_, CallMfa::WithMfa { .. }) => entry.calls.with_mfa += 1,
                    (_, CallMfa::SessionWithoutMfa) => entry.calls.session_without_mfa += 1,
                    (_, CallMfa::AccessKey) => entry.calls.access_key += 1,
                    (_, CallMfa::Unknown) => entry.calls.mfa_unknown += 1,
                }
                if kind != Kind::Federated && mfa.without_mfa() {
                    match entry.actions_without_mfa.get_mut(&action) {
                        Some(n) => *n += 1,
                        None => {
                            entry.actions_without_mfa.insert(action.clone(), 1);
                        }
                    }
                }
            }
            if let Some(code) = error_code.filter(|code| is_access_denied(code)) {
                let resource = record.resources.0.as_deref();
                let request = DeniedRequest {
                    account,
                    principal_arn: caller.principal_arn,
                    is_root: caller.kind == Kind::Root,
                    action: &action,
                    resource,
                    mfa,
                    error_message: record.error_message.loose(),
                };
                let attribution = self.judge.attribute(self.knowledge, &request);
                let example = DenialExample {
                    time,
                    action: action.clone(),
                    resource: resource.map(str::to_string),
                    error_code: code.to_string(),
                    verdict: attribution.verdict,
                    reason: attribution.reason,
                };
                let entry = self.identity_month(account, &caller, month);
                entry.denials.add(example.verdict);
                entry.denial_examples.push(example);
                if entry.denial_examples.len() > 4 * DENIAL_EXAMPLES {
                    keep_earliest(&mut entry.denial_examples);
                }
            }
            if role_event {
                self.role_assumption(&parameters, event_name, account, &caller, month, error_code);
            }
            if device_event {
                let event = DeviceEvent {
                    event_id,
                    name: event_name,
                    account,
                    time,
                    error_code,
                    source_ip,
                    user_agent,
                };
                self.mfa_device_event(&event, &parameters, &caller);
            }
        }

        let breakglass = caller.kind == Kind::User
            && self
                .knowledge
                .is_breakglass(account, caller.key, caller.name);
        if caller.kind == Kind::Root || breakglass {
            let entry = self.identity_month(account, &caller, month);
            if caller.kind == Kind::Root {
                entry.root_uses += 1;
            } else {
                entry.breakglass_uses += 1;
            }
            let (severity, kind, who) = if caller.kind == Kind::Root {
                (Severity::Critical, AlertKind::RootActivity, "the root user")
            } else {
                (
                    Severity::High,
                    AlertKind::BreakglassActivity,
                    "break-glass user",
                )
            };
            let what = if event_name == "ConsoleLogin" {
                "console sign-in"
            } else {
                "API call"
            };
            let mfa_words = match mfa_used {
                Some(true) => "with MFA",
                Some(false) => "without MFA",
                None => "MFA not recorded",
            };
            let outcome = match error_code {
                Some(code) => format!(", failed ({code})"),
                None => String::new(),
            };
            self.alerts.push(Alert {
                event_id: event_id.map(str::to_string),
                severity,
                kind,
                account_id: account.to_string(),
                identity_arn: caller.key.to_string(),
                identity_name: caller.name.to_string(),
                time,
                event_source: event_source.to_string(),
                event_name: event_name.to_string(),
                source_ip: source_ip.map(str::to_string),
                user_agent: user_agent.map(str::to_string),
                mfa_used,
                error_code: error_code.map(str::to_string),
                message: format!(
                    "{who}{} in account {account}: {what} {event_name} {mfa_words}{outcome}",
                    if caller.kind == Kind::Root {
                        String::new()
                    } else {
                        format!(" {}", caller.name)
                    }
                ),
            });
        }
        Ok(())
    }
}

impl Activity<'_> {
    fn role_assumption(
        &mut self,
        parameters: &Parameters<'_>,
        event_name: &str,
        account: &str,
        caller: &Caller<'_>,
        month: i32,
        error_code: Option<&str>,
    ) {
        let federated = match event_name {
            "AssumeRole" => false,
            "AssumeRoleWithSAML" | "AssumeRoleWithWebIdentity" => true,
            _ => return,
        };
        // A failed call may record no parameters; nothing to count it on.
        let Some(role_arn) = parameters.role_arn else {
            return;
        };
        let role_account = account_of_arn(role_arn).unwrap_or(account);
        // A cross-account assumption is delivered to both accounts: count
        // it once, in the role's.
        if role_account != account {
            return;
        }
        let serial = parameters.serial_number;
        let counts = self
            .roles
            .entry((account.to_string(), role_arn.to_string()))
            .or_default()
            .entry(month)
            .or_default();
        if error_code.is_some() {
            counts.failed += 1;
            return;
        }
        if federated {
            counts.federated += 1;
        } else if caller.kind == Kind::Service {
            counts.service += 1;
        } else if serial.is_some() {
            counts.with_mfa += 1;
        } else {
            counts.without_mfa += 1;
        }
        if let Some(caller_account) = caller.account.filter(|caller| *caller != role_account) {
            if !federated {
                counts.cross_account += 1;
                *counts
                    .caller_accounts
                    .entry(caller_account.to_string())
                    .or_default() += 1;
            }
        }
    }

    fn mfa_device_event(
        &mut self,
        event: &DeviceEvent<'_>,
        parameters: &Parameters<'_>,
        caller: &Caller<'_>,
    ) {
        let DeviceEvent {
            event_id: _,
            name: event_name,
            account,
            time,
            error_code,
            source_ip,
            user_agent,
        } = *event;
        let (user_name, serial) = (parameters.user_name, parameters.serial_number);
        // Without userName the request acts on the caller's own device.
        let target = user_name.or(match caller.kind {
            Kind::User => Some(caller.name),
            _ => None,
        });
        let target_arn = match (target, caller.kind) {
            (None, Kind::Root) => Some(format!("arn:aws:iam::{account}:root")),
            (Some(name), _) => Some(format!("arn:aws:iam::{account}:user/{name}")),
            (None, _) => None,
        };
        // The snapshot lists users by their ARN with path; match by name.
        let facts = target.and_then(|name| {
            let known = self.knowledge.accounts.get(account)?;
            known.identities.iter().find_map(|(arn, facts)| {
                (arn.rsplit('/').next() == Some(name) && arn.contains(":user/")).then_some(facts)
            })
        });
        let tier = if caller.kind == Kind::Root && user_name.is_none() {
            Some(Tier::Root)
        } else {
            facts.map(|facts| facts.tier)
        };
        let breakglass = target.is_some_and(|name| {
            self.knowledge.breakglass_users.iter().any(|n| n == name)
                || facts.is_some_and(|facts| facts.breakglass)
        });
        self.mfa_device_events.push(MfaDeviceEvent {
            time,
            account_id: account.to_string(),
            event_name: event_name.to_string(),
            actor_arn: caller.key.to_string(),
            user_name: target.map(str::to_string),
            serial_number: serial.map(str::to_string),
            tier: if breakglass {
                Some(Tier::Breakglass)
            } else {
                tier
            },
            error_code: error_code.map(str::to_string),
        });
        let removal = matches!(event_name, "DeactivateMFADevice" | "DeleteVirtualMFADevice");
        if !removal || error_code.is_some() {
            return;
        }
        let who = target.unwrap_or("(unnamed)");
        let (severity, why) = if breakglass {
            (Severity::High, "a break-glass user")
        } else {
            match tier {
                Some(Tier::Root) => (Severity::Critical, "root"),
                Some(Tier::Privileged) => (Severity::High, "a privileged user"),
                Some(_) => return,
                None if self.knowledge.has_snapshot(account) => {
                    (Severity::Medium, "a user not in the snapshot")
                }
                None => (
                    Severity::Medium,
                    "a user whose tier is unknown (no snapshot of the account)",
                ),
            }
        };
        self.alerts.push(Alert {
            event_id: event.event_id.map(str::to_string),
            severity,
            kind: AlertKind::MfaDeactivated,
            account_id: account.to_string(),
            identity_arn: target_arn.unwrap_or_default(),
            identity_name: who.to_string(),
            time,
            event_source: "iam.amazonaws.com".to_string(),
            event_name: event_name.to_string(),
            source_ip: source_ip.map(str::to_string),
            user_agent: user_agent.map(str::to_string),
            mfa_used: None,
            error_code: None,
            message: format!(
                "{event_name} on {why} ({who}) in account {account}, by {}",
                caller.name
            ),
        });
    }
}

/// An MFA device event, as the record gives it.
#[derive(Clone, Copy)]
struct DeviceEvent<'r> {
    event_id: Option<&'r str>,
    name: &'r str,
    account: &'r str,
    time: DateTime<Utc>,
    error_code: Option<&'r str>,
    source_ip: Option<&'r str>,
    user_agent: Option<&'r str>,
}

/// The request parameters of role and MFA device events, checked before
/// anything is counted.
#[derive(Default)]
struct Parameters<'r> {
    role_arn: Option<&'r str>,
    serial_number: Option<&'r str>,
    user_name: Option<&'r str>,
}

impl<'r> Parameters<'r> {
    fn read(record: &'r Record<'r>) -> Result<Parameters<'r>, FieldError> {
        let Some(parameters) = record.request_parameters.get("requestParameters")? else {
            return Ok(Parameters::default());
        };
        Ok(Parameters {
            role_arn: parameters.role_arn.get("requestParameters.roleArn")?,
            serial_number: parameters
                .serial_number
                .get("requestParameters.serialNumber")?,
            user_name: parameters.user_name.get("requestParameters.userName")?,
        })
    }
}
