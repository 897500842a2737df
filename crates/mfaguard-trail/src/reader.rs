//! Finding and reading CloudTrail log files.
//!
//! [`discover`] walks a folder tree as CloudTrail delivers it to S3
//! (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, and
//! `AWSLogs/<org-id>/<account>/...` for organisation trails, at any depth),
//! prunes date folders outside the window before opening anything, and names
//! every file it will not read (digest files, Insights files, other files)
//! with the reason. [`read_files`] reads the log files on several threads;
//! each file's `Records` array is streamed record by record into a
//! [`RecordSink`], so memory holds one file's text at most per thread (and
//! not even that for files over [`BUFFER_LIMIT`], which are parsed straight
//! from the decompressor).

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use flate2::read::MultiGzDecoder;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::error::TrailError;
use crate::record::{FieldError, Obj, Record};

/// Files whose decompressed text is larger than this are parsed as a stream
/// instead of from memory (CloudTrail's own files are far smaller).
pub const BUFFER_LIMIT: usize = 64 * 1024 * 1024;

/// Skipped records listed by name per file; all of them are counted.
pub const SKIPPED_RECORDS_LISTED_PER_FILE: usize = 20;

/// The time window of the analysis: `since` inclusive, `until` exclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    pub fn contains(&self, time: DateTime<Utc>) -> bool {
        self.since.is_none_or(|since| time >= since) && self.until.is_none_or(|until| time < until)
    }

    /// Whether events of `[start, end)` can be in the window. CloudTrail
    /// files land in the folder of their delivery date, up to a few minutes
    /// after their events: a folder may hold events of the day before.
    fn may_hold(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> bool {
        let earliest_event = start - Duration::days(1);
        self.since.is_none_or(|since| end > since)
            && self.until.is_none_or(|until| earliest_event < until)
    }
}

/// Reads a `--since`/`--until` value: a date (`2024-11-01`: the start of
/// that day for `since`, the end of it for `until`) or an RFC 3339 time.
pub fn parse_bound(text: &str, end_of_day: bool) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        format!("`{text}` is not a date (YYYY-MM-DD) or an RFC 3339 time (2024-11-01T00:00:00Z)")
    })?;
    let day = if end_of_day {
        date.succ_opt()
            .ok_or_else(|| format!("`{text}` is too far in the future"))?
    } else {
        date
    };
    day.and_hms_opt(0, 0, 0)
        .map(|naive| Utc.from_utc_datetime(&naive))
        .ok_or_else(|| format!("`{text}` is not a valid date"))
}

/// A file in the tree that is not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

/// What the walk found.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Log files to read, in path order.
    pub files: Vec<PathBuf>,
    /// Files not read: digest and Insights files, other files, links.
    pub skipped: Vec<SkippedFile>,
    /// Digest files among `skipped`.
    pub digest_files: usize,
    /// Date folders outside the window, not opened.
    pub pruned_folders: usize,
}

const DIGEST_REASON: &str = "CloudTrail digest file (hashes for integrity validation, no events)";
const INSIGHT_REASON: &str = "CloudTrail Insights file (anomaly summaries, not events)";

/// Walks `root` for log files within `window`.
pub fn discover(root: &Path, window: &Window) -> Result<Discovery, TrailError> {
    let metadata = std::fs::metadata(root).map_err(|err| TrailError::Io {
        path: root.display().to_string(),
        message: err.to_string(),
    })?;
    let mut found = Discovery::default();
    if metadata.is_file() {
        classify_file(root, &mut found);
        return Ok(found);
    }
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|err| TrailError::Io {
            path: dir.display().to_string(),
            message: err.to_string(),
        })?;
        for entry in entries {
            let entry = entry.map_err(|err| TrailError::Io {
                path: dir.display().to_string(),
                message: err.to_string(),
            })?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|err| TrailError::Io {
                path: path.display().to_string(),
                message: err.to_string(),
            })?;
            if kind.is_dir() {
                if let Some((start, end)) = date_folder_span(root, &path) {
                    if !window.may_hold(start, end) {
                        found.pruned_folders += 1;
                        continue;
                    }
                }
                stack.push(path);
            } else if kind.is_symlink() {
                match std::fs::metadata(&path) {
                    Ok(target) if target.is_file() => classify_file(&path, &mut found),
                    Ok(_) => found.skipped.push(SkippedFile {
                        path: path.display().to_string(),
                        reason: "symbolic link to a folder, not followed".to_string(),
                    }),
                    Err(err) => found.skipped.push(SkippedFile {
                        path: path.display().to_string(),
                        reason: format!("broken symbolic link: {err}"),
                    }),
                }
            } else if kind.is_file() {
                classify_file(&path, &mut found);
            } else {
                found.skipped.push(SkippedFile {
                    path: path.display().to_string(),
                    reason: "not a regular file".to_string(),
                });
            }
        }
    }
    found.files.sort();
    found.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn classify_file(path: &Path, found: &mut Discovery) {
    let text = path.to_string_lossy();
    if !found.skip_by_name(&text) {
        found.files.push(path.to_path_buf());
    }
}

impl Discovery {
    /// Looks at a file's name (a path or an S3 key, `/`-separated): a
    /// digest, Insights or other file is recorded in `skipped` with the
    /// reason and `true` returned; a log file to read gives `false`.
    pub fn skip_by_name(&mut self, path: &str) -> bool {
        let name = path
            .rsplit(['/', std::path::MAIN_SEPARATOR])
            .next()
            .unwrap_or(path);
        let reason = if path.contains("CloudTrail-Digest") {
            self.digest_files += 1;
            DIGEST_REASON.to_string()
        } else if path.contains("CloudTrail-Insight") {
            INSIGHT_REASON.to_string()
        } else if !(name.ends_with(".json") || name.ends_with(".json.gz")) {
            "not a CloudTrail log file (the name does not end in .json or .json.gz)".to_string()
        } else {
            return false;
        };
        self.skipped.push(SkippedFile {
            path: path.to_string(),
            reason,
        });
        true
    }
}

/// How a folder stands to the window, from its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFolder {
    /// Not a date folder (`.../CloudTrail/<region>/YYYY[/MM[/DD]]`).
    NotDated,
    /// A date folder that cannot hold events of the window: not opened.
    Outside,
    /// A date folder whose every day folder may hold events of the window.
    Within,
    /// A date folder partly in the window: its subfolders decide.
    Straddles,
}

/// Places the folder at `relative` (`/`-separated, relative to the root of
/// the walk) against `window`.
pub fn date_folder(relative: &str, window: &Window) -> DateFolder {
    let parts: Vec<&str> = relative
        .split('/')
        .filter(|part| !part.is_empty())
        .collect();
    match span_of_parts(&parts) {
        None => DateFolder::NotDated,
        Some((start, end)) if !window.may_hold(start, end) => DateFolder::Outside,
        Some((start, end))
            if window.since.is_none_or(|since| since <= start)
                && window.until.is_none_or(|until| until >= end) =>
        {
            DateFolder::Within
        }
        Some(_) => DateFolder::Straddles,
    }
}

/// The days a folder `.../CloudTrail/<region>/YYYY[/MM[/DD]]` covers, as
/// `[start, end)`; `None` for any other folder.
fn date_folder_span(root: &Path, dir: &Path) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let relative = dir.strip_prefix(root).unwrap_or(dir);
    let parts: Vec<&str> = relative
        .components()
        .map(|part| part.as_os_str().to_str().unwrap_or(""))
        .collect();
    span_of_parts(&parts)
}

fn span_of_parts(parts: &[&str]) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let anchor = parts.iter().rposition(|part| *part == "CloudTrail")?;
    let date_parts = parts.get(anchor + 2..)?;
    let number = |text: &str, digits: usize| -> Option<u32> {
        (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse().ok())
            .flatten()
    };
    let midnight = |date: NaiveDate| date.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t));
    match date_parts {
        [year] => {
            let year = number(year, 4)? as i32;
            Some((
                midnight(NaiveDate::from_ymd_opt(year, 1, 1)?)?,
                midnight(NaiveDate::from_ymd_opt(year + 1, 1, 1)?)?,
            ))
        }
        [year, month] => {
            let start = NaiveDate::from_ymd_opt(number(year, 4)? as i32, number(month, 2)?, 1)?;
            let next = if start.month() == 12 {
                NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)?
            };
            Some((midnight(start)?, midnight(next)?))
        }
        [year, month, day] => {
            let date = NaiveDate::from_ymd_opt(
                number(year, 4)? as i32,
                number(month, 2)?,
                number(day, 2)?,
            )?;
            Some((midnight(date)?, midnight(date.succ_opt()?)?))
        }
        _ => None,
    }
}

/// Where the analysis of records goes.
pub trait RecordSink {
    /// One record; an error when a field the analysis needs has the wrong
    /// type or is missing (the record is then counted as skipped).
    fn record(&mut self, record: &Record<'_>) -> Result<(), FieldError>;
}

/// A record that could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedRecord {
    pub path: String,
    /// Position in the file's `Records` array, from 0.
    pub index: usize,
    pub reason: String,
}

/// A log file that could not be read to its end.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedFile {
    pub path: String,
    pub reason: String,
    /// Records analysed before the problem (they are counted).
    pub records_before_error: u64,
}

/// Totals of a read, and every problem by name.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReadStats {
    pub files_read: u64,
    pub bytes_on_disk: u64,
    pub bytes_uncompressed: u64,
    pub records: u64,
    pub records_skipped: u64,
    pub failed_files: Vec<FailedFile>,
    /// The first [`SKIPPED_RECORDS_LISTED_PER_FILE`] skipped records of
    /// each file.
    pub skipped_records: Vec<SkippedRecord>,
}

impl ReadStats {
    pub fn merge(&mut self, other: ReadStats) {
        self.files_read += other.files_read;
        self.bytes_on_disk += other.bytes_on_disk;
        self.bytes_uncompressed += other.bytes_uncompressed;
        self.records += other.records;
        self.records_skipped += other.records_skipped;
        self.failed_files.extend(other.failed_files);
        self.skipped_records.extend(other.skipped_records);
    }
}

/// Reads `files` on `jobs` threads, each into its own sink from
/// `new_sink`; returns the sinks (to be merged by the caller) and the
/// totals. Files are taken in order from a shared counter, so a slow file
/// does not hold up the others.
pub fn read_files<S, F>(files: &[PathBuf], jobs: usize, new_sink: F) -> (Vec<S>, ReadStats)
where
    S: RecordSink + Send,
    F: Fn() -> S + Sync,
{
    let next = AtomicUsize::new(0);
    let jobs = jobs.clamp(1, files.len().max(1));
    let results: Vec<(S, ReadStats)> = on_threads(jobs, || {
        let mut sink = new_sink();
        let mut stats = ReadStats::default();
        let mut buffer = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(path) = files.get(i) else { break };
            read_file(path, &mut buffer, &mut sink, &mut stats);
            release_if_huge(&mut buffer);
        }
        (sink, stats)
    });
    collect_results(results)
}

/// Runs `work` on `jobs` scoped threads and returns what each returned; a
/// panic in one is raised again here.
pub(crate) fn on_threads<T: Send>(jobs: usize, work: impl Fn() -> T + Sync) -> Vec<T> {
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..jobs.max(1)).map(|_| scope.spawn(&work)).collect();
        workers
            .into_iter()
            .map(|worker| match worker.join() {
                Ok(result) => result,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// A huge file should not keep its buffer for the rest of the run.
pub(crate) fn release_if_huge(buffer: &mut Vec<u8>) {
    if buffer.capacity() > 4 * 1024 * 1024 {
        *buffer = Vec::new();
    }
}

/// The sinks of the threads, and their totals with problems in path order.
fn collect_results<S>(results: Vec<(S, ReadStats)>) -> (Vec<S>, ReadStats) {
    let mut sinks = Vec::with_capacity(results.len());
    let mut totals = ReadStats::default();
    for (sink, stats) in results {
        sinks.push(sink);
        totals.merge(stats);
    }
    totals.failed_files.sort_by(|a, b| a.path.cmp(&b.path));
    totals
        .skipped_records
        .sort_by(|a, b| a.path.cmp(&b.path).then(a.index.cmp(&b.index)));
    (sinks, totals)
}

/// Reads one log file into `sink`, adding to `stats`; `buffer` is reused
/// between files.
pub fn read_file<S: RecordSink>(
    path: &Path,
    buffer: &mut Vec<u8>,
    sink: &mut S,
    stats: &mut ReadStats,
) {
    let name = path.display().to_string();
    let mut counter = Counter::new(&name);
    let outcome = read_file_inner(path, buffer, sink, &mut counter, stats);
    stats.files_read += 1;
    counter.finish(outcome, stats);
}

/// Reads a log file's bytes already in memory (gzipped or not), as
/// [`read_file`] does; `name` names it in messages.
pub fn read_bytes<S: RecordSink>(name: &str, bytes: &[u8], sink: &mut S, stats: &mut ReadStats) {
    read_bytes_with(name, bytes, &mut Vec::new(), sink, stats);
}

/// [`read_bytes`] with a decompression buffer reused between files.
fn read_bytes_with<S: RecordSink>(
    name: &str,
    bytes: &[u8],
    buffer: &mut Vec<u8>,
    sink: &mut S,
    stats: &mut ReadStats,
) {
    let mut counter = Counter::new(name);
    stats.files_read += 1;
    stats.bytes_on_disk += bytes.len() as u64;
    let outcome = if bytes.starts_with(&GZIP_MAGIC) {
        buffer.clear();
        let limit = BUFFER_LIMIT as u64;
        match MultiGzDecoder::new(bytes)
            .take(limit + 1)
            .read_to_end(buffer)
        {
            Ok(read) if read as u64 <= limit => {
                stats.bytes_uncompressed += read as u64;
                parse_slice(buffer, sink, &mut counter)
            }
            Ok(_) => {
                // Too big for memory: parse again as a stream.
                buffer.clear();
                buffer.shrink_to_fit();
                let mut measured = CountingReader::new(MultiGzDecoder::new(bytes));
                let outcome = parse_reader(&mut measured, sink, &mut counter);
                stats.bytes_uncompressed += measured.count;
                outcome
            }
            Err(err) => Err(gzip_error(err)),
        }
    } else {
        stats.bytes_uncompressed += bytes.len() as u64;
        parse_slice(bytes, sink, &mut counter)
    };
    counter.finish(outcome, stats);
}

/// A log file fetched from elsewhere (an S3 object), or why it could not
/// be.
#[derive(Debug)]
pub struct LogObject {
    /// Names it in the report (`s3://bucket/key`).
    pub name: String,
    /// Its bytes as stored (gzipped or not), or why they could not be had.
    pub content: Result<Vec<u8>, String>,
}

/// Reads `objects` as they arrive on `jobs` threads, as [`read_files`]
/// reads files; an object whose bytes could not be had is listed in
/// `failed_files` with the reason. `objects` may block while the next one
/// is fetched: memory holds one object per thread plus what the iterator
/// holds.
pub fn read_objects<S, F, I>(objects: I, jobs: usize, new_sink: F) -> (Vec<S>, ReadStats)
where
    S: RecordSink + Send,
    F: Fn() -> S + Sync,
    I: Iterator<Item = LogObject> + Send,
{
    let objects = std::sync::Mutex::new(objects);
    let results: Vec<(S, ReadStats)> = on_threads(jobs, || {
        let mut sink = new_sink();
        let mut stats = ReadStats::default();
        let mut buffer = Vec::new();
        loop {
            // The lock is held only while taking the next object.
            let next = match objects.lock() {
                Ok(mut objects) => objects.next(),
                Err(_) => None,
            };
            let Some(object) = next else { break };
            match &object.content {
                Ok(bytes) => {
                    read_bytes_with(&object.name, bytes, &mut buffer, &mut sink, &mut stats)
                }
                Err(reason) => {
                    stats.files_read += 1;
                    Counter::new(&object.name).finish(Err(reason.clone()), &mut stats);
                }
            }
            release_if_huge(&mut buffer);
        }
        (sink, stats)
    });
    collect_results(results)
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

fn gzip_error(err: std::io::Error) -> String {
    format!("not a complete gzip file (truncated or corrupt): {err}")
}

fn read_file_inner<S: RecordSink>(
    path: &Path,
    buffer: &mut Vec<u8>,
    sink: &mut S,
    counter: &mut Counter<'_>,
    stats: &mut ReadStats,
) -> Result<(), String> {
    let open = || File::open(path).map_err(|err| format!("cannot open: {err}"));
    let mut file = open()?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    stats.bytes_on_disk += size;
    let mut magic = [0u8; 2];
    let magic_len =
        read_up_to(&mut file, &mut magic).map_err(|err| format!("cannot read: {err}"))?;
    let gzipped = magic_len == 2 && magic == GZIP_MAGIC;
    let file = open()?;
    buffer.clear();
    let limit = BUFFER_LIMIT as u64;
    if gzipped {
        let mut decoder = MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file));
        let read = decoder
            .by_ref()
            .take(limit + 1)
            .read_to_end(buffer)
            .map_err(gzip_error)?;
        if read as u64 <= limit {
            stats.bytes_uncompressed += read as u64;
            return parse_slice(buffer, sink, counter);
        }
        // Too big for memory: parse again as a stream.
        buffer.clear();
        buffer.shrink_to_fit();
        let decoder = MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, open()?));
        let mut measured = CountingReader::new(decoder);
        let outcome = parse_reader(&mut measured, sink, counter);
        stats.bytes_uncompressed += measured.count;
        outcome
    } else if size <= limit {
        let mut file = file;
        file.read_to_end(buffer)
            .map_err(|err| format!("cannot read: {err}"))?;
        stats.bytes_uncompressed += buffer.len() as u64;
        parse_slice(buffer, sink, counter)
    } else {
        stats.bytes_uncompressed += size;
        parse_reader(BufReader::with_capacity(256 * 1024, file), sink, counter)
    }
}

fn read_up_to(file: &mut File, into: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < into.len() {
        match file.read(&mut into[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Counts the bytes read through it, and turns a decompression error into
/// a message that names gzip.
struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R> CountingReader<R> {
    fn new(inner: R) -> Self {
        CountingReader { inner, count: 0 }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn parse_slice<S: RecordSink>(
    bytes: &[u8],
    sink: &mut S,
    counter: &mut Counter<'_>,
) -> Result<(), String> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    // JSON is UTF-8: checked once for the whole text, so that the parser
    // does not check each string again.
    let text = std::str::from_utf8(bytes).map_err(|err| {
        format!(
            "not valid JSON: not UTF-8 text (invalid byte at offset {})",
            err.valid_up_to()
        )
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let found = (&mut de)
        .deserialize_map(LogVisitor { sink, counter })
        .and_then(|found| de.end().map(|()| found))
        .map_err(json_error)?;
    if found {
        Ok(())
    } else {
        Err(NO_RECORDS.to_string())
    }
}

fn parse_reader<R: Read, S: RecordSink>(
    reader: R,
    sink: &mut S,
    counter: &mut Counter<'_>,
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let found = (&mut de)
        .deserialize_map(LogVisitor { sink, counter })
        .and_then(|found| de.end().map(|()| found))
        .map_err(json_error)?;
    if found {
        Ok(())
    } else {
        Err(NO_RECORDS.to_string())
    }
}

const NO_RECORDS: &str = "no `Records` array: not a CloudTrail log file";

fn json_error(err: serde_json::Error) -> String {
    if err.is_io() {
        // The decompressor failed part-way.
        return gzip_error(std::io::Error::other(err.to_string()));
    }
    if err.is_eof() {
        return format!("not valid JSON: the text ends early (truncated?) ({err})");
    }
    format!("not valid JSON for a CloudTrail log: {err}")
}

/// Counts a file's records and keeps its skipped ones.
struct Counter<'a> {
    path: &'a str,
    records: u64,
    skipped: u64,
    listed: Vec<SkippedRecord>,
}

impl<'a> Counter<'a> {
    fn new(path: &'a str) -> Self {
        Counter {
            path,
            records: 0,
            skipped: 0,
            listed: Vec::new(),
        }
    }

    fn skip(&mut self, index: usize, reason: String) {
        self.skipped += 1;
        if self.listed.len() < SKIPPED_RECORDS_LISTED_PER_FILE {
            self.listed.push(SkippedRecord {
                path: self.path.to_string(),
                index,
                reason,
            });
        }
    }

    fn finish(self, outcome: Result<(), String>, stats: &mut ReadStats) {
        stats.records += self.records;
        stats.records_skipped += self.skipped;
        stats.skipped_records.extend(self.listed);
        if let Err(reason) = outcome {
            stats.failed_files.push(FailedFile {
                path: self.path.to_string(),
                reason,
                records_before_error: self.records - self.skipped.min(self.records),
            });
        }
    }
}

/// The top-level object: finds `Records` and ignores other keys.
struct LogVisitor<'s, 'c, 'p, S> {
    sink: &'s mut S,
    counter: &'c mut Counter<'p>,
}

impl<'de, S: RecordSink> Visitor<'de> for LogVisitor<'_, '_, '_, S> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a CloudTrail log: an object with a `Records` array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "Records" && !found {
                map.next_value_seed(RecordsSeed {
                    sink: &mut *self.sink,
                    counter: &mut *self.counter,
                })?;
                found = true;
            } else if key == "Records" {
                return Err(de::Error::custom("`Records` is given twice"));
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct RecordsSeed<'s, 'c, 'p, S> {
    sink: &'s mut S,
    counter: &'c mut Counter<'p>,
}

impl<'de, S: RecordSink> DeserializeSeed<'de> for RecordsSeed<'_, '_, '_, S> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, S: RecordSink> Visitor<'de> for RecordsSeed<'_, '_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("`Records` as an array of event records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        while let Some(item) = seq.next_element::<Obj<Record<'de>>>()? {
            self.counter.records += 1;
            match item {
                Obj::Value(record) => {
                    if let Err(problem) = self.sink.record(&record) {
                        self.counter.skip(index, problem.0);
                    }
                }
                Obj::Wrong(found) => self
                    .counter
                    .skip(index, format!("the record is {found}, not an object")),
                Obj::Absent => self
                    .counter
                    .skip(index, "the record is null, not an object".to_string()),
            }
            index += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Count(u64);
    impl RecordSink for Count {
        fn record(&mut self, record: &Record<'_>) -> Result<(), FieldError> {
            record.event_name.require("eventName")?;
            self.0 += 1;
            Ok(())
        }
    }

    #[test]
    fn records_are_streamed_and_bad_ones_named() {
        let text = br#"{"Records": [{"eventName": "A"}, 3, {"eventName": true}, null, {"eventName": "B"}], "x": 1}"#;
        let mut sink = Count(0);
        let mut stats = ReadStats::default();
        read_bytes("f.json", text, &mut sink, &mut stats);
        assert_eq!(sink.0, 2);
        assert_eq!(stats.records, 5);
        assert_eq!(stats.records_skipped, 3);
        let reasons: Vec<_> = stats
            .skipped_records
            .iter()
            .map(|s| (s.index, s.reason.as_str()))
            .collect();
        assert_eq!(
            reasons,
            [
                (1, "the record is a number, not an object"),
                (2, "`eventName` is a boolean, expected a string"),
                (3, "the record is null, not an object"),
            ]
        );
        assert!(stats.failed_files.is_empty());
    }

    #[test]
    fn objects_are_read_as_they_come_and_failures_named() {
        let objects = vec![
            LogObject {
                name: "s3://b/a.json".to_string(),
                content: Ok(br#"{"Records": [{"eventName": "A"}]}"#.to_vec()),
            },
            LogObject {
                name: "s3://b/b.json.gz".to_string(),
                content: Err("download failed: access denied".to_string()),
            },
            LogObject {
                name: "s3://b/c.json".to_string(),
                content: Ok(br#"{"Records": [{"eventName": "C"}, {"eventName": "D"}]}"#.to_vec()),
            },
        ];
        let (sinks, stats) = read_objects(objects.into_iter(), 2, || Count(0));
        assert_eq!(sinks.iter().map(|sink| sink.0).sum::<u64>(), 3);
        assert_eq!(stats.files_read, 3);
        assert_eq!(
            stats.failed_files,
            [FailedFile {
                path: "s3://b/b.json.gz".to_string(),
                reason: "download failed: access denied".to_string(),
                records_before_error: 0,
            }]
        );
    }

    #[test]
    fn folders_and_names_from_keys() {
        let window = Window {
            since: Some(parse_bound("2024-11-05", false).unwrap()),
            until: Some(parse_bound("2024-11-05", true).unwrap()),
        };
        let folder = |key: &str| date_folder(key, &window);
        assert_eq!(folder("AWSLogs/1/CloudTrail/r"), DateFolder::NotDated);
        assert_eq!(folder("AWSLogs/1/CloudTrail/r/2024"), DateFolder::Straddles);
        assert_eq!(
            folder("AWSLogs/1/CloudTrail/r/2024/10"),
            DateFolder::Outside
        );
        assert_eq!(
            folder("AWSLogs/1/CloudTrail/r/2024/11/05/"),
            DateFolder::Within
        );
        assert_eq!(
            folder("AWSLogs/1/CloudTrail/r/2024/11/06"),
            DateFolder::Straddles
        );
        assert_eq!(
            folder("AWSLogs/1/CloudTrail/r/2024/11/07"),
            DateFolder::Outside
        );
        assert_eq!(
            date_folder("AWSLogs/1/CloudTrail/r/2024", &Window::default()),
            DateFolder::Within
        );

        let mut found = Discovery::default();
        assert!(!found.skip_by_name("s3://b/AWSLogs/1/CloudTrail/r/2024/11/05/x.json.gz"));
        assert!(found.skip_by_name("s3://b/AWSLogs/1/CloudTrail-Digest/r/2024/11/05/x.json.gz"));
        assert!(found.skip_by_name("s3://b/AWSLogs/1/CloudTrail/r/2024/11/05/notes.txt"));
        assert_eq!(found.digest_files, 1);
        assert_eq!(found.skipped.len(), 2);
    }

    #[test]
    fn date_folders_are_pruned_by_window() {
        let root = Path::new("/t");
        let day = root.join("AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2024/11/05");
        let (start, end) = date_folder_span(root, &day).expect("a day folder");
        assert_eq!(start.to_rfc3339(), "2024-11-05T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2024-11-06T00:00:00+00:00");
        let window = Window {
            since: Some(parse_bound("2024-11-06", false).unwrap()),
            until: Some(parse_bound("2024-11-06", true).unwrap()),
        };
        // Folder 11/05 ends before the window; 11/07 may hold late events of 11/06.
        assert!(!window.may_hold(start, end));
        let next = date_folder_span(root, &root.join("AWSLogs/1/CloudTrail/r/2024/11/07")).unwrap();
        assert!(window.may_hold(next.0, next.1));
        let later =
            date_folder_span(root, &root.join("AWSLogs/1/CloudTrail/r/2024/11/08")).unwrap();
        assert!(!window.may_hold(later.0, later.1));
        let month = date_folder_span(root, &root.join("AWSLogs/1/CloudTrail/r/2024/12")).unwrap();
        assert_eq!(month.1.to_rfc3339(), "2025-01-01T00:00:00+00:00");
        assert!(date_folder_span(root, &root.join("AWSLogs/1/Other/r/2024")).is_none());
    }
}
