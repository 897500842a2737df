//! What changed between two scans: results that became failing, results
//! fixed, identities added and removed, MFA devices added and removed.
//! Only accounts covered by both scans are compared.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::error::Result;
use crate::model::{IdentityRecord, ResultRecord, ScanSummary};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangedResult {
    pub account_id: String,
    pub check_id: String,
    pub severity: String,
    pub resource_arn: String,
    pub resource_name: String,
    /// Status in the earlier scan; `None` when the resource was not there.
    pub from: Option<String>,
    /// Status in the later scan; `None` when the resource is gone.
    pub to: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityChange {
    pub account_id: String,
    pub arn: String,
    pub name: String,
    pub tier: String,
    pub console_access: Option<bool>,
    pub mfa_active: Option<bool>,
}

impl From<&IdentityRecord> for IdentityChange {
    fn from(identity: &IdentityRecord) -> IdentityChange {
        IdentityChange {
            account_id: identity.account_id.clone(),
            arn: identity.arn.clone(),
            name: identity.name.clone(),
            tier: identity.tier.clone(),
            console_access: identity.console_access,
            mfa_active: identity.mfa_active,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceChange {
    pub account_id: String,
    pub arn: String,
    pub name: String,
    pub serial: String,
    pub kind: String,
}

/// An identity whose MFA enforcement verdict changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnforcementChange {
    pub account_id: String,
    pub arn: String,
    pub name: String,
    pub tier: String,
    pub from: String,
    pub to: String,
    /// Actions allowed without MFA now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_without_mfa: Option<u64>,
}

/// Policy required MFA under verdict `before` (`enforced`, `locked_out`)
/// and does not under `after` (`not_enforced`).
pub(crate) fn enforcement_lost(before: &str, after: &str) -> bool {
    matches!(before, "enforced" | "locked_out") && after == "not_enforced"
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diff {
    pub from: ScanSummary,
    pub to: ScanSummary,
    /// Accounts compared (scanned in both).
    pub accounts: Vec<String>,
    pub accounts_only_in_from: Vec<String>,
    pub accounts_only_in_to: Vec<String>,
    /// `fail` now, not `fail` before (or not there).
    pub newly_failing: Vec<ChangedResult>,
    /// `fail` or `excepted` before; `pass`, `not_applicable` or gone now.
    pub fixed: Vec<ChangedResult>,
    /// `fail` before, `excepted` now (accepted, not fixed).
    pub newly_excepted: Vec<ChangedResult>,
    pub new_identities: Vec<IdentityChange>,
    pub removed_identities: Vec<IdentityChange>,
    pub mfa_devices_added: Vec<DeviceChange>,
    pub mfa_devices_removed: Vec<DeviceChange>,
    /// Verdicts recorded in both scans that differ.
    pub enforcement_changed: Vec<EnforcementChange>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.newly_failing.is_empty()
            && self.fixed.is_empty()
            && self.newly_excepted.is_empty()
            && self.new_identities.is_empty()
            && self.removed_identities.is_empty()
            && self.mfa_devices_added.is_empty()
            && self.mfa_devices_removed.is_empty()
            && self.enforcement_changed.is_empty()
    }
}

/// One side of a diff.
pub struct Side {
    pub scan: ScanSummary,
    /// Accounts scanned (not failed) in it.
    pub accounts: BTreeSet<String>,
    pub results: Vec<ResultRecord>,
    pub identities: Vec<IdentityRecord>,
}

impl Store {
    /// Compares scan `from` with scan `to` (of one account, or all).
    pub fn diff(&mut self, from: i64, to: i64, account: Option<&str>) -> Result<Diff> {
        let from = self.side(from, account)?;
        let to = self.side(to, account)?;
        Ok(compute(from, to))
    }

    fn side(&mut self, id: i64, account: Option<&str>) -> Result<Side> {
        let scan = self.scan(id)?;
        let accounts = self
            .account_rows(account)?
            .into_iter()
            .filter(|row| row.scan_id == id && row.record.is_scanned())
            .map(|row| row.record.account_id)
            .collect();
        Ok(Side {
            scan,
            accounts,
            results: self.results(id, account)?,
            identities: self.identities(id, account)?,
        })
    }
}

type Key = (String, String, String, String);

fn key(result: &ResultRecord) -> Key {
    (
        result.account_id.clone(),
        result.check_id.clone(),
        result.resource_arn.clone(),
        result.resource_name.clone(),
    )
}

fn rank(status: &str) -> u8 {
    match status {
        "fail" => 0,
        "excepted" => 1,
        "unknown" => 2,
        "pass" => 3,
        _ => 4,
    }
}

fn by_key(side: &Side, common: &BTreeSet<String>) -> BTreeMap<Key, ResultRecord> {
    let mut map: BTreeMap<Key, ResultRecord> = BTreeMap::new();
    for result in &side.results {
        if !common.contains(&result.account_id) {
            continue;
        }
        let entry = map.entry(key(result)).or_insert_with(|| result.clone());
        if rank(&result.status) < rank(&entry.status) {
            *entry = result.clone();
        }
    }
    map
}

/// The diff of two sides (pure).
pub fn compute(from: Side, to: Side) -> Diff {
    let common: BTreeSet<String> = from.accounts.intersection(&to.accounts).cloned().collect();
    let before = by_key(&from, &common);
    let after = by_key(&to, &common);
    let change = |result: &ResultRecord, from: Option<&str>, to: Option<&str>| ChangedResult {
        account_id: result.account_id.clone(),
        check_id: result.check_id.clone(),
        severity: result.severity.clone(),
        resource_arn: result.resource_arn.clone(),
        resource_name: result.resource_name.clone(),
        from: from.map(str::to_string),
        to: to.map(str::to_string),
        message: result.message.clone(),
    };
    let mut newly_failing = Vec::new();
    let mut newly_excepted = Vec::new();
    let mut fixed = Vec::new();
    for (key, now) in &after {
        let was = before.get(key).map(|r| r.status.as_str());
        if now.status == "fail" && was != Some("fail") {
            newly_failing.push(change(now, was, Some("fail")));
        } else if now.status == "excepted" && was == Some("fail") {
            newly_excepted.push(change(now, was, Some("excepted")));
        } else if (now.status == "pass" || now.status == "not_applicable")
            && matches!(was, Some("fail") | Some("excepted"))
        {
            fixed.push(change(now, was, Some(&now.status)));
        }
    }
    for (key, was) in &before {
        if was.is_open() && !after.contains_key(key) {
            fixed.push(change(was, Some(&was.status), None));
        }
    }

    let identities = |side: &Side| -> BTreeMap<(String, String), IdentityRecord> {
        side.identities
            .iter()
            .filter(|i| common.contains(&i.account_id))
            .map(|i| ((i.account_id.clone(), i.arn.clone()), i.clone()))
            .collect()
    };
    let ids_before = identities(&from);
    let ids_after = identities(&to);
    let new_identities = ids_after
        .iter()
        .filter(|(key, _)| !ids_before.contains_key(*key))
        .map(|(_, identity)| identity.into())
        .collect();
    let removed_identities = ids_before
        .iter()
        .filter(|(key, _)| !ids_after.contains_key(*key))
        .map(|(_, identity)| identity.into())
        .collect();
    let mut mfa_devices_added = Vec::new();
    let mut mfa_devices_removed = Vec::new();
    let mut enforcement_changed = Vec::new();
    for (key, now) in &ids_after {
        let Some(was) = ids_before.get(key) else {
            continue;
        };
        // A verdict missing on either side (not analysed, or recorded before
        // verdicts were stored) is no change.
        if let (Some(before), Some(after)) = (&was.enforcement, &now.enforcement) {
            if before != after {
                enforcement_changed.push(EnforcementChange {
                    account_id: now.account_id.clone(),
                    arn: now.arn.clone(),
                    name: now.name.clone(),
                    tier: now.tier.clone(),
                    from: before.clone(),
                    to: after.clone(),
                    allowed_without_mfa: now.allowed_without_mfa,
                });
            }
        }
        let device = |identity: &IdentityRecord, d: &crate::model::DeviceRecord| DeviceChange {
            account_id: identity.account_id.clone(),
            arn: identity.arn.clone(),
            name: identity.name.clone(),
            serial: d.serial.clone(),
            kind: d.kind.clone(),
        };
        for d in &now.mfa_devices {
            if !was.mfa_devices.iter().any(|x| x.serial == d.serial) {
                mfa_devices_added.push(device(now, d));
            }
        }
        for d in &was.mfa_devices {
            if !now.mfa_devices.iter().any(|x| x.serial == d.serial) {
                mfa_devices_removed.push(device(was, d));
            }
        }
    }
    Diff {
        accounts_only_in_from: from.accounts.difference(&to.accounts).cloned().collect(),
        accounts_only_in_to: to.accounts.difference(&from.accounts).cloned().collect(),
        accounts: common.into_iter().collect(),
        from: from.scan,
        to: to.scan,
        newly_failing,
        fixed,
        newly_excepted,
        new_identities,
        removed_identities,
        mfa_devices_added,
        mfa_devices_removed,
        enforcement_changed,
    }
}
