//! The trail's KPIs per account and month, and per log file: what the
//! history store records so that `mfaguard kpi` can trend them.
//!
//! The figures of a file are additive: an account's month is the sum over
//! the files that hold its records. The store keeps them per file, so that
//! a file read again replaces its own figures instead of adding to them.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use chrono::{DateTime, Utc};

use crate::activity::{month_label, Activity, Alert, IdentityMonth, Kind};
use crate::knowledge::Knowledge;
use crate::reader::{on_threads, read_file, release_if_huge, ReadStats, Window};

/// The KPIs of one account in one month (or of one file's share of it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MonthKpi {
    /// Successful console sign-ins of IAM users and root, by MFA.
    pub console_sign_ins_with_mfa: u64,
    pub console_sign_ins_without_mfa: u64,
    pub console_sign_ins_mfa_unknown: u64,
    /// Access denials, all verdicts.
    pub denials: u64,
    /// Denials that MFA would have allowed, decided by evaluation.
    pub mfa_related_denials: u64,
    /// Denials judged MFA-related by the heuristic (no snapshot).
    pub inferred_mfa_related_denials: u64,
    /// People's API calls (see [`crate::activity::Audience`]).
    pub human_calls_with_mfa: u64,
    pub human_calls_without_mfa: u64,
    pub human_calls_mfa_unknown: u64,
    pub human_calls_federated: u64,
    pub workload_calls: u64,
    pub unclassified_calls: u64,
    pub root_uses: u64,
    pub breakglass_uses: u64,
}

impl MonthKpi {
    /// Adds one identity's month.
    pub fn add_identity(&mut self, kind: Kind, month: &IdentityMonth) {
        // Role sessions' sign-ins are federated and not counted here.
        if matches!(kind, Kind::User | Kind::Root) {
            self.console_sign_ins_with_mfa += month.console.with_mfa;
            self.console_sign_ins_without_mfa += month.console.without_mfa;
            self.console_sign_ins_mfa_unknown += month.console.mfa_unknown;
        }
        self.denials += month.denials.total;
        self.mfa_related_denials += month.denials.mfa_related;
        self.inferred_mfa_related_denials += month.denials.inferred_mfa_related;
        self.human_calls_with_mfa += month.human_calls.with_mfa;
        self.human_calls_without_mfa += month.human_calls.without_mfa;
        self.human_calls_mfa_unknown += month.human_calls.mfa_unknown;
        self.human_calls_federated += month.human_calls.federated;
        self.workload_calls += month.workload_calls;
        self.unclassified_calls += month.unclassified_calls;
        self.root_uses += month.root_uses;
        self.breakglass_uses += month.breakglass_uses;
    }

    pub fn add(&mut self, other: &MonthKpi) {
        self.console_sign_ins_with_mfa += other.console_sign_ins_with_mfa;
        self.console_sign_ins_without_mfa += other.console_sign_ins_without_mfa;
        self.console_sign_ins_mfa_unknown += other.console_sign_ins_mfa_unknown;
        self.denials += other.denials;
        self.mfa_related_denials += other.mfa_related_denials;
        self.inferred_mfa_related_denials += other.inferred_mfa_related_denials;
        self.human_calls_with_mfa += other.human_calls_with_mfa;
        self.human_calls_without_mfa += other.human_calls_without_mfa;
        self.human_calls_mfa_unknown += other.human_calls_mfa_unknown;
        self.human_calls_federated += other.human_calls_federated;
        self.workload_calls += other.workload_calls;
        self.unclassified_calls += other.unclassified_calls;
        self.root_uses += other.root_uses;
        self.breakglass_uses += other.breakglass_uses;
    }
}

/// `(account, "YYYY-MM")` → KPIs of an analysis.
pub fn month_kpis(activity: &Activity<'_>) -> BTreeMap<(String, String), MonthKpi> {
    let mut kpis: BTreeMap<(String, String), MonthKpi> = BTreeMap::new();
    for (account, identities) in &activity.identities {
        for identity in identities.values() {
            for (month, counts) in &identity.months {
                kpis.entry((account.clone(), month_label(*month)))
                    .or_default()
                    .add_identity(identity.kind, counts);
            }
        }
    }
    kpis
}

/// The key a log file is remembered by: its path from the `AWSLogs`
/// folder on (the same whatever folder the tree was copied to), else its
/// path under the folder read, else its name.
pub fn file_key(root: &Path, path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter_map(|part| match part {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if let Some(start) = parts.iter().rposition(|part| part == "AWSLogs") {
        return parts[start..].join("/");
    }
    match path.strip_prefix(root) {
        Ok(relative) if !relative.as_os_str().is_empty() => relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        _ => parts.last().cloned().unwrap_or_default(),
    }
}

/// What one log file gave.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReading {
    pub path: PathBuf,
    /// See [`file_key`].
    pub key: String,
    /// Size on disk and modification time when it was read: with the key,
    /// the file's identity (a file that changes is read again).
    pub size: u64,
    pub modified: Option<DateTime<Utc>>,
    /// Why the file could not be read to its end; its figures are then
    /// partial and must not be recorded as the file's.
    pub failure: Option<String>,
    pub records: u64,
    pub records_skipped: u64,
    /// Records outside `--since`/`--until`: the figures cover part of the
    /// file only.
    pub records_outside_window: u64,
    pub kpis: BTreeMap<(String, String), MonthKpi>,
    pub alerts: Vec<Alert>,
}

impl FileReading {
    /// Read to the end with every record inside the window.
    pub fn is_complete(&self) -> bool {
        self.failure.is_none() && self.records_outside_window == 0
    }
}

/// One reading thread's analysis, totals and numbered file readings.
type ThreadResult<'k> = (Activity<'k>, ReadStats, Vec<(usize, FileReading)>);

/// Reads `files` on `jobs` threads as [`crate::reader::read_files`] does,
/// and also keeps each file's own figures. Returns the merged analysis,
/// the totals and one reading per file, in the order of `files`.
pub fn read_files_one_by_one<'k>(
    root: &Path,
    files: &[PathBuf],
    knowledge: &'k Knowledge,
    window: Window,
    jobs: usize,
) -> (Activity<'k>, ReadStats, Vec<FileReading>) {
    let next = AtomicUsize::new(0);
    let jobs = jobs.clamp(1, files.len().max(1));
    let results: Vec<ThreadResult<'k>> = on_threads(jobs, || {
        let mut merged = Activity::new(knowledge, window);
        let mut totals = ReadStats::default();
        let mut readings = Vec::new();
        let mut judge = merged.take_judge();
        let mut buffer = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = files.get(i) else { break };
            let metadata = std::fs::metadata(path).ok();
            let mut activity = Activity::with_judge(knowledge, window, judge);
            let mut stats = ReadStats::default();
            read_file(path, &mut buffer, &mut activity, &mut stats);
            judge = activity.take_judge();
            readings.push((
                i,
                FileReading {
                    path: path.clone(),
                    key: file_key(root, path),
                    size: metadata.as_ref().map_or(stats.bytes_on_disk, |m| m.len()),
                    modified: metadata.and_then(|m| m.modified().ok()).map(system_time),
                    failure: stats.failed_files.first().map(|f| f.reason.clone()),
                    records: stats.records,
                    records_skipped: stats.records_skipped,
                    records_outside_window: activity.records_outside_window,
                    kpis: month_kpis(&activity),
                    alerts: activity.alerts.clone(),
                },
            ));
            merged.merge(activity);
            totals.merge(stats);
            release_if_huge(&mut buffer);
        }
        (merged, totals, readings)
    });
    let mut merged = Activity::new(knowledge, window);
    let mut totals = ReadStats::default();
    let mut readings = Vec::new();
    for (activity, stats, file_readings) in results {
        merged.merge(activity);
        totals.merge(stats);
        readings.extend(file_readings);
    }
    totals.failed_files.sort_by(|a, b| a.path.cmp(&b.path));
    totals
        .skipped_records
        .sort_by(|a, b| a.path.cmp(&b.path).then(a.index.cmp(&b.index)));
    readings.sort_by_key(|(i, _)| *i);
    (
        merged,
        totals,
        readings.into_iter().map(|(_, reading)| reading).collect(),
    )
}

fn system_time(time: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_start_at_the_awslogs_folder() {
        let root = Path::new("/data/copy");
        assert_eq!(
            file_key(
                root,
                Path::new(
                    "/data/copy/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/05/a.json.gz"
                )
            ),
            "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/05/a.json.gz"
        );
        assert_eq!(
            file_key(root, Path::new("/data/copy/loose/b.json")),
            "loose/b.json"
        );
        assert_eq!(
            file_key(Path::new("/x/c.json"), Path::new("/x/c.json")),
            "c.json"
        );
    }
}
