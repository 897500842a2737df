//! Scans recorded as what changed since the scan before them.
//!
//! The event consumer records a scan of its account after every batch of
//! events. Written in full, each such record would cost (in time and in
//! disk) the size of the account, whatever the change. Instead, a record
//! made on top of the consumer's previous record of the same account keeps
//! only the report entries and rows that differ from it, with *runs*
//! saying how the full lists are rebuilt: a run `[start, len]` copies that
//! slice of the base scan's list, a run `n` takes the next `n` entries of
//! the scan's own. The readers rebuild the full lists, so a delta record
//! reads exactly as a full one (same rows, same order, the same report
//! text). The chain of bases is bounded: after [`MAX_DEPTH`] deltas, or
//! when more than half of the entries changed, a record is written in full.
//!
//! The account's latest snapshot is kept the same way: the full JSON, then
//! patches (changed object fields and array runs) applied in order.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use mfaguard_core::credential_report::CredentialReport;
use mfaguard_core::snapshot::{AuthorizationDetails, Snapshot};
use serde_json::value::RawValue;
use serde_json::{json, Value};

use crate::error::{Result, StoreError};
use crate::model::{IdentityRecord, ResultRecord, ScanRecord};

/// Deltas on top of one full record at most; reading a scan then costs at
/// most this many small reads besides its full base.
pub const MAX_DEPTH: u32 = 16;

/// One step of rebuilding a list from its base's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Run {
    /// `base[start..start + len]`.
    Base { start: usize, len: usize },
    /// The next this many of the record's own entries.
    Own(usize),
}

/// How `new` is made of `base`'s entries and its own: the runs, and the
/// indices of `new` that are its own (changed or added).
pub(crate) fn runs_of<T: PartialEq>(
    base: &[T],
    new: &[T],
    hash: impl Fn(&T) -> u64,
) -> (Vec<Run>, Vec<usize>) {
    let mut at: HashMap<u64, Vec<usize>> = HashMap::with_capacity(base.len());
    for (index, item) in base.iter().enumerate() {
        at.entry(hash(item)).or_default().push(index);
    }
    let mut runs: Vec<Run> = Vec::new();
    let mut own = Vec::new();
    for (index, item) in new.iter().enumerate() {
        // The common case: the next base entry continues the run.
        if let Some(Run::Base { start, len }) = runs.last_mut() {
            if base.get(*start + *len) == Some(item) {
                *len += 1;
                continue;
            }
        }
        let found = at
            .get(&hash(item))
            .and_then(|candidates| candidates.iter().find(|&&at| &base[at] == item));
        match (found, runs.last_mut()) {
            (Some(&start), _) => runs.push(Run::Base { start, len: 1 }),
            (None, Some(Run::Own(count))) => {
                *count += 1;
                own.push(index);
            }
            (None, _) => {
                runs.push(Run::Own(1));
                own.push(index);
            }
        }
    }
    (runs, own)
}

/// Rebuilds a list from its base's entries and its own, in order.
pub(crate) fn rebuild<T: Clone>(base: &[T], runs: &[Run], own: Vec<T>) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(base.len() + own.len());
    let mut own = own.into_iter();
    for run in runs {
        match *run {
            Run::Base { start, len } => {
                let slice = start
                    .checked_add(len)
                    .and_then(|end| base.get(start..end))
                    .ok_or_else(|| {
                        corrupt(format!(
                            "a delta record copies entries {start}..{} of a base of {}",
                            start.saturating_add(len),
                            base.len()
                        ))
                    })?;
                out.extend_from_slice(slice);
            }
            Run::Own(count) => {
                for _ in 0..count {
                    out.push(own.next().ok_or_else(|| {
                        corrupt("a delta record lacks entries of its own".to_string())
                    })?);
                }
            }
        }
    }
    if own.next().is_some() {
        return Err(corrupt(
            "a delta record has more entries of its own than its runs use".to_string(),
        ));
    }
    Ok(out)
}

fn corrupt(message: String) -> StoreError {
    StoreError::Corrupt(message)
}

fn runs_json(runs: &[Run]) -> Value {
    Value::Array(
        runs.iter()
            .map(|run| match *run {
                Run::Base { start, len } => json!([start, len]),
                Run::Own(count) => json!(count),
            })
            .collect(),
    )
}

fn runs_from(value: &Value) -> Result<Vec<Run>> {
    let bad = || corrupt(format!("runs of a delta record: unexpected {value}"));
    let size = |value: &Value| {
        value
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(bad)
    };
    value
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|run| match run {
            Value::Array(pair) if pair.len() == 2 => Ok(Run::Base {
                start: size(&pair[0])?,
                len: size(&pair[1])?,
            }),
            Value::Number(_) => Ok(Run::Own(size(run)?)),
            _ => Err(bad()),
        })
        .collect()
}

/// The runs of a delta record's two lists, as `scans.delta_runs` holds
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScanRuns {
    pub results: Vec<Run>,
    pub identities: Vec<Run>,
}

impl ScanRuns {
    pub fn to_json(&self) -> String {
        json!({
            "results": runs_json(&self.results),
            "identities": runs_json(&self.identities),
        })
        .to_string()
    }

    pub fn parse(text: &str) -> Result<ScanRuns> {
        let value: Value = serde_json::from_str(text)
            .map_err(|err| corrupt(format!("runs of a delta record: {err}")))?;
        Ok(ScanRuns {
            results: runs_from(&value["results"])?,
            identities: runs_from(&value["identities"])?,
        })
    }
}

/// A report as text in three parts: everything but its results and
/// identities (`header`, with both lists empty), and each entry of the two
/// lists. Joined, they are exactly the report's JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportText {
    header: String,
    results: Vec<String>,
    identities: Vec<String>,
}

const RESULTS_SLOT: &str = "\"results\":[]";
const IDENTITIES_SLOT: &str = "\"identities\":[]";

impl ReportText {
    /// Serialises a report (its lists are taken out for the header and
    /// put back).
    pub fn of(report: &mut mfaguard_core::Report) -> ReportText {
        let results = report.results.iter().map(to_text).collect();
        let identities = report.identities.iter().map(to_text).collect();
        let kept_results = std::mem::take(&mut report.results);
        let kept_identities = std::mem::take(&mut report.identities);
        let header = serde_json::to_string(&*report).unwrap_or_else(|_| "{}".to_string());
        report.results = kept_results;
        report.identities = kept_identities;
        ReportText {
            header,
            results,
            identities,
        }
    }

    /// Splits a report's JSON (as stored) into its parts.
    pub(crate) fn parse(json: &str) -> Result<ReportText> {
        #[derive(serde::Deserialize)]
        struct Lists<'a> {
            #[serde(borrow)]
            results: Vec<&'a RawValue>,
            #[serde(borrow)]
            identities: Vec<&'a RawValue>,
        }
        let lists: Lists<'_> =
            serde_json::from_str(json).map_err(|err| corrupt(format!("stored report: {err}")))?;
        let own = |raw: &[&RawValue]| raw.iter().map(|r| r.get().to_string()).collect();
        // The header is only needed of the record being read, never of a
        // base: left empty here.
        Ok(ReportText {
            header: String::new(),
            results: own(&lists.results),
            identities: own(&lists.identities),
        })
    }

    /// Whether the header has exactly one place for each list, so that
    /// [`ReportText::join`] puts them back where they were.
    fn header_is_spliceable(&self) -> bool {
        self.header.matches(RESULTS_SLOT).count() == 1
            && self.header.matches(IDENTITIES_SLOT).count() == 1
    }

    /// The report's JSON.
    pub fn join(&self) -> String {
        let list = |entries: &[String]| format!("[{}]", entries.join(","));
        self.header
            .replacen(
                RESULTS_SLOT,
                &format!("\"results\":{}", list(&self.results)),
                1,
            )
            .replacen(
                IDENTITIES_SLOT,
                &format!("\"identities\":{}", list(&self.identities)),
                1,
            )
    }
}

fn to_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_string())
}

fn hash_text(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

/// What a delta record stores in `scans.report_json`: its header and its
/// own report entries.
fn delta_report(text: &ReportText, own_results: &[usize], own_identities: &[usize]) -> String {
    json!({
        "header": text.header,
        "results": own_results.iter().map(|&i| &text.results[i]).collect::<Vec<_>>(),
        "identities": own_identities.iter().map(|&i| &text.identities[i]).collect::<Vec<_>>(),
    })
    .to_string()
}

/// Rebuilds a delta record's report from its stored form and its base's.
pub(crate) fn rebuild_report(
    stored: &str,
    runs: &ScanRuns,
    base: &ReportText,
) -> Result<ReportText> {
    let value: Value = serde_json::from_str(stored)
        .map_err(|err| corrupt(format!("stored report of a delta record: {err}")))?;
    let strings = |key: &str| -> Result<Vec<String>> {
        value[key]
            .as_array()
            .ok_or_else(|| corrupt(format!("stored report of a delta record lacks `{key}`")))?
            .iter()
            .map(|entry| {
                entry
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| corrupt(format!("stored report of a delta record: `{key}`")))
            })
            .collect()
    };
    let header = value["header"]
        .as_str()
        .ok_or_else(|| corrupt("stored report of a delta record lacks its header".to_string()))?
        .to_string();
    Ok(ReportText {
        header,
        results: rebuild(&base.results, &runs.results, strings("results")?)?,
        identities: rebuild(&base.identities, &runs.identities, strings("identities")?)?,
    })
}

/// What the consumer keeps of the record it made last for an account, so
/// that the next can be written as a delta of it.
#[derive(Debug, Clone)]
pub struct RecordedScan {
    pub(crate) scan_id: i64,
    pub(crate) account_id: String,
    /// Deltas between it and its full base (0: it is full).
    pub(crate) depth: u32,
    pub(crate) report: ReportText,
    pub(crate) results: Vec<ResultRecord>,
    pub(crate) identities: Vec<IdentityRecord>,
}

/// The consumer's previous record of the account and the snapshot stored
/// with it (which the consumer keeps anyway), that a new record can be a
/// delta of.
pub struct DeltaBase<'a> {
    pub recorded: &'a RecordedScan,
    pub snapshot: &'a Snapshot,
}

impl RecordedScan {
    pub fn scan_id(&self) -> i64 {
        self.scan_id
    }
}

/// A scan to record, with its report as text (its `report_json` is left
/// empty: it is written in full or as a delta from `report`).
pub struct NewScan<'a> {
    pub record: &'a ScanRecord,
    pub report: ReportText,
    pub snapshot: &'a Snapshot,
}

/// How a scan is written: in full, or as a delta of the consumer's
/// previous record.
pub(crate) enum Plan {
    Full {
        report_json: String,
    },
    Delta {
        base_scan_id: i64,
        depth: u32,
        runs: ScanRuns,
        report_json: String,
        own_results: Vec<usize>,
        own_identities: Vec<usize>,
        snapshot_patch: Value,
    },
}

/// Decides how to write `scan` given the consumer's previous record.
pub(crate) fn plan(scan: &NewScan<'_>, base: Option<&DeltaBase<'_>>) -> Plan {
    let full = || Plan::Full {
        report_json: scan.report.join(),
    };
    let single_account = scan.record.accounts.len() == 1;
    let Some(DeltaBase {
        recorded: base,
        snapshot: base_snapshot,
    }) = base.filter(|DeltaBase { recorded: base, .. }| {
        single_account
            && base.depth < MAX_DEPTH
            && scan.record.accounts[0].account_id == base.account_id
            && scan.report.header_is_spliceable()
            && scan.report.results.len() == scan.record.results.len()
            && scan.report.identities.len() == scan.record.identities.len()
    })
    else {
        return full();
    };
    // An entry is the scan's own unless both its report text and its row
    // equal a base entry's (a row also holds snapshot facts the report
    // entry does not).
    let base_results: Vec<(&String, &ResultRecord)> =
        base.report.results.iter().zip(&base.results).collect();
    let new_results: Vec<(&String, &ResultRecord)> = scan
        .report
        .results
        .iter()
        .zip(&scan.record.results)
        .collect();
    let (result_runs, own_results) =
        runs_of(&base_results, &new_results, |(text, _)| hash_text(text));
    let base_identities: Vec<(&String, &IdentityRecord)> = base
        .report
        .identities
        .iter()
        .zip(&base.identities)
        .collect();
    let new_identities: Vec<(&String, &IdentityRecord)> = scan
        .report
        .identities
        .iter()
        .zip(&scan.record.identities)
        .collect();
    let (identity_runs, own_identities) =
        runs_of(&base_identities, &new_identities, |(text, _)| {
            hash_text(text)
        });
    let entries = new_results.len() + new_identities.len();
    if (own_results.len() + own_identities.len()) * 2 > entries {
        return full();
    }
    Plan::Delta {
        base_scan_id: base.scan_id,
        depth: base.depth + 1,
        runs: ScanRuns {
            results: result_runs,
            identities: identity_runs,
        },
        report_json: delta_report(&scan.report, &own_results, &own_identities),
        own_results,
        own_identities,
        snapshot_patch: snapshot_patch(base_snapshot, scan.snapshot),
    }
}

// Snapshot patches. A snapshot is its seven lists (users, groups, roles,
// managed policies, credential report rows, virtual and per-user MFA
// devices) and a small frame (everything else). A patch holds the new
// frame when it changed, and for each changed list its runs and new
// entries; list entries are matched by their ARN or serial number, and
// compared in full.

/// The snapshot without its lists.
fn frame(snapshot: &Snapshot) -> Snapshot {
    Snapshot {
        schema_version: snapshot.schema_version,
        account_id: snapshot.account_id.clone(),
        source: snapshot.source.clone(),
        credential_report: CredentialReport {
            generated_time: snapshot.credential_report.generated_time,
            rows: Vec::new(),
        },
        authorization_details: snapshot
            .authorization_details
            .as_ref()
            .map(|_| AuthorizationDetails::default()),
        virtual_mfa_devices: snapshot.virtual_mfa_devices.as_ref().map(|_| Vec::new()),
        mfa_devices: snapshot.mfa_devices.as_ref().map(|_| Vec::new()),
        account_summary: snapshot.account_summary.clone(),
        identity_providers: snapshot.identity_providers.clone(),
        service_control_policies: snapshot.service_control_policies.clone(),
    }
}

/// One list's change: `runs` over the base's entries, `own` the new ones.
#[derive(serde::Serialize, serde::Deserialize)]
struct ListPatch {
    runs: Value,
    own: Vec<Value>,
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct SnapshotPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    frame: Option<Snapshot>,
    #[serde(default)]
    lists: BTreeMap<String, ListPatch>,
}

fn key_hash(key: &str) -> u64 {
    hash_text(key)
}

fn list_patch<T: PartialEq + serde::Serialize>(
    base: &[T],
    new: &[T],
    key: impl Fn(&T) -> &str,
) -> Option<ListPatch> {
    let (runs, own) = runs_of(base, new, |item| key_hash(key(item)));
    let unchanged = own.is_empty()
        && base.len() == new.len()
        && (runs.is_empty()
            || runs
                == [Run::Base {
                    start: 0,
                    len: base.len(),
                }]);
    if unchanged {
        return None;
    }
    Some(ListPatch {
        runs: runs_json(&runs),
        own: own
            .iter()
            .map(|&i| serde_json::to_value(&new[i]).unwrap_or(Value::Null))
            .collect(),
    })
}

fn apply_list<T: Clone + serde::de::DeserializeOwned>(
    base: Vec<T>,
    patch: Option<&ListPatch>,
    name: &str,
) -> Result<Vec<T>> {
    let Some(patch) = patch else {
        return Ok(base);
    };
    let own = patch
        .own
        .iter()
        .map(|value| {
            serde_json::from_value(value.clone())
                .map_err(|err| corrupt(format!("a stored snapshot patch of `{name}`: {err}")))
        })
        .collect::<Result<Vec<T>>>()?;
    rebuild(&base, &runs_from(&patch.runs)?, own)
}

/// The patch that turns `base` into `new`.
pub(crate) fn snapshot_patch(base: &Snapshot, new: &Snapshot) -> Value {
    let mut patch = SnapshotPatch::default();
    let new_frame = frame(new);
    if frame(base) != new_frame {
        patch.frame = Some(new_frame);
    }
    let empty = AuthorizationDetails::default();
    let (old, now) = (
        base.authorization_details.as_ref().unwrap_or(&empty),
        new.authorization_details.as_ref().unwrap_or(&empty),
    );
    let mut add = |name: &str, list: Option<ListPatch>| {
        if let Some(list) = list {
            patch.lists.insert(name.to_string(), list);
        }
    };
    add(
        "users",
        list_patch(&old.user_detail_list, &now.user_detail_list, |u| &u.arn),
    );
    add(
        "groups",
        list_patch(&old.group_detail_list, &now.group_detail_list, |g| &g.arn),
    );
    add(
        "roles",
        list_patch(&old.role_detail_list, &now.role_detail_list, |r| &r.arn),
    );
    add(
        "policies",
        list_patch(&old.policies, &now.policies, |p| &p.arn),
    );
    add(
        "credential_report",
        list_patch(
            &base.credential_report.rows,
            &new.credential_report.rows,
            |row| &row.arn,
        ),
    );
    let none = Vec::new();
    add(
        "virtual_mfa_devices",
        list_patch(
            base.virtual_mfa_devices.as_ref().unwrap_or(&none),
            new.virtual_mfa_devices.as_ref().unwrap_or(&none),
            |d| &d.serial_number,
        ),
    );
    let none = Vec::new();
    add(
        "mfa_devices",
        list_patch(
            base.mfa_devices.as_ref().unwrap_or(&none),
            new.mfa_devices.as_ref().unwrap_or(&none),
            |d| &d.serial_number,
        ),
    );
    serde_json::to_value(&patch).unwrap_or(Value::Null)
}

/// Applies a patch made by [`snapshot_patch`].
pub(crate) fn apply_snapshot_patch(base: Snapshot, patch: &Value) -> Result<Snapshot> {
    let patch: SnapshotPatch = serde_json::from_value(patch.clone())
        .map_err(|err| corrupt(format!("a stored snapshot patch: {err}")))?;
    let mut base = base;
    let mut next = match &patch.frame {
        Some(frame) => frame.clone(),
        None => frame(&base),
    };
    let list = |name: &str| patch.lists.get(name);
    let details = base.authorization_details.take().unwrap_or_default();
    if let Some(into) = next.authorization_details.as_mut() {
        into.user_detail_list = apply_list(details.user_detail_list, list("users"), "users")?;
        into.group_detail_list = apply_list(details.group_detail_list, list("groups"), "groups")?;
        into.role_detail_list = apply_list(details.role_detail_list, list("roles"), "roles")?;
        into.policies = apply_list(details.policies, list("policies"), "policies")?;
    }
    next.credential_report.rows = apply_list(
        std::mem::take(&mut base.credential_report.rows),
        list("credential_report"),
        "credential_report",
    )?;
    if next.virtual_mfa_devices.is_some() {
        next.virtual_mfa_devices = Some(apply_list(
            base.virtual_mfa_devices.take().unwrap_or_default(),
            list("virtual_mfa_devices"),
            "virtual_mfa_devices",
        )?);
    }
    if next.mfa_devices.is_some() {
        next.mfa_devices = Some(apply_list(
            base.mfa_devices.take().unwrap_or_default(),
            list("mfa_devices"),
            "mfa_devices",
        )?);
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(n: &u32) -> u64 {
        u64::from(*n % 7)
    }

    /// Lists edited at random (insertions, deletions, changes, moves,
    /// duplicates) rebuild exactly from their runs and own entries.
    #[test]
    fn runs_rebuild_any_edit() {
        let mut seed: u64 = 11;
        let mut next = |limit: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % limit.max(1)
        };
        for _ in 0..2000 {
            let base: Vec<u32> = (0..next(40)).map(|_| next(30) as u32).collect();
            let mut new = base.clone();
            for _ in 0..next(6) {
                let at = next(new.len() as u64 + 1) as usize;
                match next(3) {
                    0 => new.insert(at, next(100) as u32),
                    1 if at < new.len() => {
                        new.remove(at);
                    }
                    _ if at < new.len() => new[at] = next(100) as u32,
                    _ => {}
                }
            }
            let (runs, own) = runs_of(&base, &new, hash);
            let own_entries: Vec<u32> = own.iter().map(|&i| new[i]).collect();
            assert_eq!(rebuild(&base, &runs, own_entries).unwrap(), new);
            assert!(own.len() <= new.len());
        }
        // Unchanged: one run, nothing of its own.
        let list = vec![1, 2, 3];
        let (runs, own) = runs_of(&list, &list, hash);
        assert_eq!(runs, vec![Run::Base { start: 0, len: 3 }]);
        assert!(own.is_empty());
    }

    #[test]
    fn damaged_runs_are_errors() {
        let base = vec![1u32, 2, 3];
        for runs in [
            vec![Run::Base { start: 2, len: 5 }],
            vec![Run::Base {
                start: usize::MAX,
                len: 2,
            }],
            vec![Run::Own(2)],
        ] {
            assert!(rebuild(&base, &runs, vec![9]).is_err(), "{runs:?}");
        }
        assert!(rebuild(&base, &[Run::Own(1)], vec![9, 9]).is_err());
        for text in [
            "",
            "[]",
            r#"{"results": [[1]], "identities": []}"#,
            r#"{"results": [-1], "identities": []}"#,
        ] {
            assert!(ScanRuns::parse(text).is_err(), "{text}");
        }
        let runs = ScanRuns {
            results: vec![Run::Base { start: 0, len: 4 }, Run::Own(2)],
            identities: vec![],
        };
        assert_eq!(ScanRuns::parse(&runs.to_json()).unwrap(), runs);
    }

    type Edit = dyn Fn(&mut Snapshot);

    fn demo() -> Snapshot {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account");
        mfaguard_core::offline::read_dir(&dir, chrono::Utc::now()).expect("the demo account")
    }

    /// Each kind of change, alone and together, patches back to the new
    /// snapshot; an unchanged snapshot gives an empty patch.
    #[test]
    fn snapshot_patches_apply() {
        let base = demo();
        let unchanged = snapshot_patch(&base, &base);
        assert_eq!(unchanged, json!({"lists": {}}));
        let edits: Vec<Box<Edit>> = vec![
            Box::new(|s| {
                let details = s.authorization_details.as_mut().unwrap();
                details.user_detail_list.remove(1);
            }),
            Box::new(|s| {
                let details = s.authorization_details.as_mut().unwrap();
                let mut copy = details.user_detail_list[0].clone();
                copy.user_name = "zed".into();
                copy.arn = copy
                    .arn
                    .replace(&details.user_detail_list[0].user_name, "zed");
                details.user_detail_list.insert(2, copy);
            }),
            Box::new(|s| {
                let details = s.authorization_details.as_mut().unwrap();
                details.policies.reverse();
                details.group_detail_list.clear();
            }),
            Box::new(|s| {
                s.credential_report.rows.pop();
                s.source.collected_at += chrono::Duration::seconds(5);
            }),
            Box::new(|s| s.virtual_mfa_devices = None),
            Box::new(|s| s.authorization_details = None),
        ];
        for (index, edit) in edits.iter().enumerate() {
            let mut new = base.clone();
            edit(&mut new);
            let patch = snapshot_patch(&base, &new);
            assert_eq!(
                apply_snapshot_patch(base.clone(), &patch).unwrap(),
                new,
                "edit {index}"
            );
        }
        let mut all = base.clone();
        for edit in &edits[..4] {
            edit(&mut all);
        }
        let patch = snapshot_patch(&base, &all);
        assert_eq!(apply_snapshot_patch(base.clone(), &patch).unwrap(), all);
        assert!(apply_snapshot_patch(
            base.clone(),
            &json!({"lists": {"users": {"runs": [[0, 999]], "own": []}}})
        )
        .is_err());
        assert!(apply_snapshot_patch(base.clone(), &json!({"lists": 3})).is_err());
    }

    #[test]
    fn report_text_splits_and_joins() {
        let text = ReportText {
            header: r#"{"a":1,"results":[],"identities":[],"z":"\"results\":[]"}"#.to_string(),
            results: vec![r#"{"r":1}"#.into(), r#"{"r":2}"#.into()],
            identities: vec![r#"{"i":1}"#.into()],
        };
        // A string holding the slot text escapes its quotes: not a slot.
        assert!(text.header_is_spliceable());
        let joined = text.join();
        let parsed = ReportText::parse(&joined).unwrap();
        assert_eq!(parsed.results, text.results);
        assert_eq!(parsed.identities, text.identities);
        assert!(ReportText::parse("{\"results\": 3}").is_err());
    }
}
