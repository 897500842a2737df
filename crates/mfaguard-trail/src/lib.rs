//! CloudTrail evidence for mfaguard: what actually happens without MFA.
//!
//! Reads CloudTrail log files as delivered to S3 (a local folder tree,
//! gzipped or not) with a streaming, parallel reader, and reports per
//! account, identity and month: console sign-ins with and without MFA, API
//! calls of sessions without MFA and of long-term keys, MFA-related denials
//! (attributed by the policy engine against a snapshot, or inferred without
//! one), role assumptions with and without MFA, MFA device changes, and
//! every use of root and break-glass identities as an alert. No AWS SDK
//! here: reading from S3 lives in `mfaguard-aws`.

pub mod activity;
pub mod denial;
pub mod error;
pub mod knowledge;
pub mod kpi;
pub mod reader;
pub mod record;
pub mod report;

use std::path::Path;

use chrono::{DateTime, Utc};

pub use error::TrailError;
pub use knowledge::Knowledge;
pub use reader::{parse_bound, Window};
pub use report::TrailReport;

/// Reads the log files under `root` within `window` on `jobs` threads and
/// builds the report.
pub fn analyze_folder(
    root: &Path,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: DateTime<Utc>,
) -> Result<TrailReport, TrailError> {
    let discovery = reader::discover(root, &window)?;
    let (sinks, stats) = reader::read_files(&discovery.files, jobs, || {
        activity::Activity::new(knowledge, window)
    });
    let mut merged = activity::Activity::new(knowledge, window);
    for sink in sinks {
        merged.merge(sink);
    }
    Ok(TrailReport::build(
        &root.display().to_string(),
        discovery,
        stats,
        merged,
        knowledge,
        window,
        now,
    ))
}

/// Reads log files fetched from elsewhere (S3), as they arrive, on `jobs`
/// threads and builds the report. Once `objects` is exhausted, `listed`
/// gives what the listing skipped and pruned, or why it stopped (then no
/// report: a listing cut short would give figures that look complete).
/// `location` names the source.
pub fn analyze_objects<I, E>(
    location: &str,
    objects: I,
    listed: impl FnOnce() -> Result<reader::Discovery, E>,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: DateTime<Utc>,
) -> Result<TrailReport, E>
where
    I: Iterator<Item = reader::LogObject> + Send,
{
    let (sinks, stats) =
        reader::read_objects(objects, jobs, || activity::Activity::new(knowledge, window));
    let discovery = listed()?;
    let mut merged = activity::Activity::new(knowledge, window);
    for sink in sinks {
        merged.merge(sink);
    }
    Ok(TrailReport::build(
        location, discovery, stats, merged, knowledge, window, now,
    ))
}

/// As [`analyze_folder`], also returning each log file's own figures (for
/// the history store; reading is a little slower).
pub fn analyze_folder_by_file(
    root: &Path,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: DateTime<Utc>,
) -> Result<(TrailReport, Vec<kpi::FileReading>), TrailError> {
    let discovery = reader::discover(root, &window)?;
    analyze_files_by_file(root, discovery, knowledge, window, jobs, now)
}

/// Reads the log files `discovery` lists (it may have been narrowed to
/// the files not read before) and builds the report and each file's
/// figures.
pub fn analyze_files_by_file(
    root: &Path,
    discovery: reader::Discovery,
    knowledge: &Knowledge,
    window: Window,
    jobs: usize,
    now: DateTime<Utc>,
) -> Result<(TrailReport, Vec<kpi::FileReading>), TrailError> {
    let (activity, stats, readings) =
        kpi::read_files_one_by_one(root, &discovery.files, knowledge, window, jobs);
    let report = TrailReport::build(
        &root.display().to_string(),
        discovery,
        stats,
        activity,
        knowledge,
        window,
        now,
    );
    Ok((report, readings))
}

/// The default number of reading threads: one per core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
