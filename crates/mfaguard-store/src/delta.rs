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
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

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
    /// The account's snapshot as stored with it.
    pub(crate) snapshot: Value,
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
    pub snapshot: &'a mfaguard_core::Snapshot,
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
pub(crate) fn plan(scan: &NewScan<'_>, snapshot: &Value, base: Option<&RecordedScan>) -> Plan {
    let full = || Plan::Full {
        report_json: scan.report.join(),
    };
    let single_account = scan.record.accounts.len() == 1;
    let Some(base) = base.filter(|base| {
        single_account
            && base.depth < MAX_DEPTH
            && scan.record.accounts[0].account_id == base.account_id
            && scan.report.header_is_spliceable()
            && scan.report.results.len() == scan.record.results.len()
            && scan.report.identities.len() == scan.record.identities.len()
    }) else {
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
        snapshot_patch: diff_value(&base.snapshot, snapshot),
    }
}

// Snapshot patches: `{"v": value}` replaces; `{"o": {key: patch}, "d":
// [keys]}` patches an object's changed fields and drops the removed; `{"a":
// runs, "n": [entries]}` rebuilds an array. Fields left out are unchanged.

fn hash_value(value: &Value, hasher: &mut DefaultHasher) {
    match value {
        Value::Null => 0u8.hash(hasher),
        Value::Bool(b) => (1u8, b).hash(hasher),
        Value::Number(n) => (2u8, n.to_string()).hash(hasher),
        Value::String(s) => (3u8, s).hash(hasher),
        Value::Array(items) => {
            (4u8, items.len()).hash(hasher);
            for item in items {
                hash_value(item, hasher);
            }
        }
        Value::Object(map) => {
            (5u8, map.len()).hash(hasher);
            for (key, item) in map {
                key.hash(hasher);
                hash_value(item, hasher);
            }
        }
    }
}

/// The patch that turns `base` into `new` (an empty object patch when they
/// are equal).
pub(crate) fn diff_value(base: &Value, new: &Value) -> Value {
    match (base, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut changed = Map::new();
            for (key, value) in new {
                match old.get(key) {
                    Some(before) if before == value => {}
                    Some(before) => {
                        changed.insert(key.clone(), diff_value(before, value));
                    }
                    None => {
                        changed.insert(key.clone(), json!({ "v": value }));
                    }
                }
            }
            let dropped: Vec<&String> = old.keys().filter(|key| !new.contains_key(*key)).collect();
            json!({ "o": changed, "d": dropped })
        }
        (Value::Array(old), Value::Array(new)) => {
            let hash = |value: &Value| {
                let mut hasher = DefaultHasher::new();
                hash_value(value, &mut hasher);
                hasher.finish()
            };
            let (runs, own) = runs_of(old, new, hash);
            json!({
                "a": runs_json(&runs),
                "n": own.iter().map(|&i| &new[i]).collect::<Vec<_>>(),
            })
        }
        _ => json!({ "v": new }),
    }
}

/// Applies a patch made by [`diff_value`].
pub(crate) fn apply_patch(base: Value, patch: &Value) -> Result<Value> {
    let bad = || corrupt("a stored snapshot patch is malformed".to_string());
    let patch = patch.as_object().ok_or_else(bad)?;
    if let Some(value) = patch.get("v") {
        return Ok(value.clone());
    }
    if let Some(changed) = patch.get("o") {
        let Value::Object(mut map) = base else {
            return Err(bad());
        };
        for key in patch.get("d").and_then(Value::as_array).ok_or_else(bad)? {
            map.remove(key.as_str().ok_or_else(bad)?);
        }
        for (key, inner) in changed.as_object().ok_or_else(bad)? {
            let before = map.remove(key).unwrap_or(Value::Null);
            map.insert(key.clone(), apply_patch(before, inner)?);
        }
        return Ok(Value::Object(map));
    }
    if let Some(runs) = patch.get("a") {
        let Value::Array(items) = base else {
            return Err(bad());
        };
        let own = patch
            .get("n")
            .and_then(Value::as_array)
            .ok_or_else(bad)?
            .clone();
        return rebuild(&items, &runs_from(runs)?, own).map(Value::Array);
    }
    Err(bad())
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

    #[test]
    fn snapshot_patches_apply() {
        let base = json!({
            "account_id": "111122223333",
            "users": [{"name": "a"}, {"name": "b"}, {"name": "c"}],
            "gone": 1,
            "nested": {"x": [1, 2, 3], "y": "same"}
        });
        let new = json!({
            "account_id": "111122223333",
            "users": [{"name": "a"}, {"name": "b2"}, {"name": "c"}, {"name": "d"}],
            "nested": {"x": [1, 3], "y": "same", "z": null}
        });
        let patch = diff_value(&base, &new);
        assert_eq!(apply_patch(base.clone(), &patch).unwrap(), new);
        // Unchanged fields are not in the patch.
        assert!(patch["o"].get("account_id").is_none());
        assert_eq!(
            apply_patch(base.clone(), &diff_value(&base, &base)).unwrap(),
            base
        );
        assert!(apply_patch(base.clone(), &json!({"a": 5})).is_err());
        assert!(apply_patch(json!(3), &json!({"o": {}, "d": []})).is_err());
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
