//! CloudTrail log files straight from S3, for `mfaguard trail --s3`.
//!
//! The bucket is walked as the local reader walks a folder: folders are
//! listed with the `/` delimiter (accounts, organisation IDs, regions,
//! years, months, days are discovered, never guessed), date folders outside
//! `--since`/`--until` are never listed, and a date folder wholly inside
//! the window is listed flat. Digest, Insights and other files are named
//! from their keys and not downloaded. Log files are downloaded a few at a
//! time and handed, as they arrive, to the trail crate's parallel reader
//! through a small bounded queue: memory holds at most
//! `downloads + queue + reading threads` objects at once.

use std::fmt;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use mfaguard_trail::reader::{date_folder, DateFolder, Discovery, LogObject};
use mfaguard_trail::{Knowledge, TrailReport, Window};

use crate::error::{classify, CollectError};
use crate::observe::{CallCounter, Observer, Pacer};
use crate::LiveOptions;

/// An object larger than this is not downloaded (named with the reason):
/// CloudTrail's own files are a few MiB at most.
pub const MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;

/// `s3://bucket/prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// May be empty (the whole bucket).
    pub prefix: String,
}

impl S3Url {
    /// Reads `s3://bucket[/prefix]`.
    pub fn parse(text: &str) -> Result<S3Url, String> {
        let rest = text
            .strip_prefix("s3://")
            .ok_or_else(|| format!("`{text}` is not an S3 URL: expected s3://BUCKET/PREFIX"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        // S3's bucket naming rules: 3 to 63 lowercase letters, digits, dots
        // and hyphens.
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid {
            return Err(format!(
                "`{text}`: `{bucket}` is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots or hyphens)"
            ));
        }
        Ok(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    fn object(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Why a read from S3 stopped.
#[derive(Debug, thiserror::Error)]
pub enum TrailS3Error {
    #[error("{location}: the bucket `{bucket}` does not exist")]
    NoSuchBucket { location: String, bucket: String },
    #[error("{location}: {error}")]
    Call {
        location: String,
        error: CollectError,
    },
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

impl TrailS3Error {
    /// The SDK's own words, for `--verbose`.
    pub fn detail(&self) -> Option<&str> {
        match self {
            TrailS3Error::Call { error, .. } => error.detail(),
            _ => None,
        }
    }
}

/// How to read from S3.
#[derive(Debug, Clone)]
pub struct S3ReadOptions {
    /// Objects downloaded at once (and folders listed at once).
    pub downloads: usize,
    /// Reading threads.
    pub jobs: usize,
}

/// Reads the CloudTrail log files under `url` within `window` and builds
/// the report; every S3 call is counted in `calls` (also when it fails).
pub fn analyze_s3(
    options: &LiveOptions,
    url: &S3Url,
    read: &S3ReadOptions,
    knowledge: &Knowledge,
    window: Window,
    now: DateTime<Utc>,
    calls: &CallCounter,
) -> Result<TrailReport, TrailS3Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| TrailS3Error::Runtime(err.to_string()))?;
    let observer = Observer::new(calls.clone(), Pacer::default());
    let client = runtime.block_on(bucket_client(options, url, &observer))?;
    let downloads = read.downloads.max(1);
    let (found_tx, found_rx) = futures::channel::mpsc::channel::<(String, u64)>(1024);
    let (object_tx, mut object_rx) = tokio::sync::mpsc::channel::<LogObject>(read.jobs.max(1));
    let walk = runtime.spawn(walk(
        client.clone(),
        observer.clone(),
        url.clone(),
        window,
        downloads,
        options.max_attempts,
        found_tx,
    ));
    let fetch = {
        let (client, observer, url) = (client, observer, url.clone());
        let max_attempts = options.max_attempts;
        runtime.spawn(async move {
            let mut fetched = found_rx
                .map(|(key, size)| download(&client, &observer, &url, key, size, max_attempts))
                .buffer_unordered(downloads);
            while let Some(object) = fetched.next().await {
                if object_tx.send(object).await.is_err() {
                    break;
                }
            }
        })
    };
    let objects = std::iter::from_fn(move || object_rx.blocking_recv());
    let location = url.to_string();
    let listed = || {
        let outcome = runtime.block_on(walk);
        // The downloads ended with the listing (the queue is drained).
        let _ = runtime.block_on(fetch);
        match outcome {
            Ok(result) => result,
            Err(join) => Err(TrailS3Error::Runtime(join.to_string())),
        }
    };
    mfaguard_trail::analyze_objects(
        &location, objects, listed, knowledge, window, read.jobs, now,
    )
}

fn s3_client(config: &SdkConfig, observer: &Observer, region: Option<String>) -> Client {
    let mut builder = aws_sdk_s3::config::Builder::from(config).interceptor(observer.clone());
    if config.endpoint_url().is_some() {
        // A local endpoint (moto, MinIO) has no bucket subdomains.
        builder = builder.force_path_style(true);
    }
    if let Some(region) = region {
        builder = builder.region(aws_sdk_s3::config::Region::new(region));
    }
    Client::from_conf(builder.build())
}

/// A client for the bucket's own region: `HeadBucket` checks that the
/// bucket exists and may be listed, and names its region when the
/// configured one is another.
async fn bucket_client(
    options: &LiveOptions,
    url: &S3Url,
    observer: &Observer,
) -> Result<Client, TrailS3Error> {
    let config = crate::load_config(options).await;
    let client = s3_client(&config, observer, None);
    match head_bucket(&client, observer, url, options).await {
        Ok(()) => Ok(client),
        Err(HeadOutcome::OtherRegion(region)) => {
            let client = s3_client(&config, observer, Some(region.clone()));
            match head_bucket(&client, observer, url, options).await {
                Ok(()) => Ok(client),
                Err(HeadOutcome::Failed(err)) => Err(err),
                Err(HeadOutcome::OtherRegion(again)) => Err(TrailS3Error::Call {
                    location: url.to_string(),
                    error: CollectError::BadResponse {
                        action: "s3:HeadBucket".to_string(),
                        message: format!("the bucket is said to be in {region}, then in {again}"),
                    },
                }),
            }
        }
        Err(HeadOutcome::Failed(err)) => Err(err),
    }
}

enum HeadOutcome {
    OtherRegion(String),
    Failed(TrailS3Error),
}

async fn head_bucket(
    client: &Client,
    observer: &Observer,
    url: &S3Url,
    options: &LiveOptions,
) -> Result<(), HeadOutcome> {
    observer.pacer().wait().await;
    let err = match client.head_bucket().bucket(&url.bucket).send().await {
        Ok(_) => return Ok(()),
        Err(err) => err,
    };
    let raw = err.raw_response();
    let status = raw.map(|raw| raw.status().as_u16());
    let region = raw
        .and_then(|raw| raw.headers().get("x-amz-bucket-region"))
        .map(str::to_string);
    match (status, region) {
        (Some(301), Some(region)) => Err(HeadOutcome::OtherRegion(region)),
        (Some(404), _) => Err(HeadOutcome::Failed(TrailS3Error::NoSuchBucket {
            location: url.to_string(),
            bucket: url.bucket.clone(),
        })),
        // HeadBucket's 403 has no body to say more.
        (Some(403), _) => Err(HeadOutcome::Failed(TrailS3Error::Call {
            location: url.to_string(),
            error: CollectError::AccessDenied {
                action: "s3:HeadBucket".to_string(),
                message: "the credentials may not list the bucket (s3:ListBucket)".to_string(),
            },
        })),
        _ => Err(HeadOutcome::Failed(TrailS3Error::Call {
            location: url.to_string(),
            error: classify(
                "s3:HeadBucket",
                &err,
                options.profile.as_deref(),
                options.max_attempts,
            ),
        })),
    }
}

/// One `ListObjectsV2` listing, every page: sub-folders (with a
/// delimiter) and objects with their sizes.
async fn list(
    client: &Client,
    observer: &Observer,
    bucket: &str,
    prefix: &str,
    delimiter: bool,
    max_attempts: u32,
) -> Result<(Vec<String>, Vec<(String, u64)>), CollectError> {
    let mut folders = Vec::new();
    let mut objects = Vec::new();
    let mut token: Option<String> = None;
    loop {
        observer.pacer().wait().await;
        let mut request = client.list_objects_v2().bucket(bucket).prefix(prefix);
        if delimiter {
            request = request.delimiter("/");
        }
        if let Some(token) = &token {
            request = request.continuation_token(token);
        }
        let page = request
            .send()
            .await
            .map_err(|err| classify("s3:ListObjectsV2", &err, None, max_attempts))?;
        folders.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|common| common.prefix().map(str::to_string)),
        );
        for object in page.contents() {
            if let Some(key) = object.key() {
                let size = object.size().unwrap_or(0).max(0) as u64;
                objects.push((key.to_string(), size));
            }
        }
        match (page.is_truncated(), page.next_continuation_token()) {
            (Some(true), Some(next)) if token.as_deref() != Some(next) => {
                token = Some(next.to_string());
            }
            (Some(true), _) => {
                return Err(CollectError::BadResponse {
                    action: "s3:ListObjectsV2".to_string(),
                    message: format!(
                        "the listing of `{prefix}` says it is truncated but gives no new continuation token"
                    ),
                })
            }
            _ => break,
        }
    }
    Ok((folders, objects))
}

/// A folder still to list, and how.
struct Pending {
    prefix: String,
    /// With the `/` delimiter (to decide on sub-folders), or everything
    /// under it at once.
    delimiter: bool,
}

/// Walks the bucket level by level, a few listings at a time; log files
/// go to `found` as they are listed.
async fn walk(
    client: Client,
    observer: Observer,
    url: S3Url,
    window: Window,
    concurrency: usize,
    max_attempts: u32,
    mut found: futures::channel::mpsc::Sender<(String, u64)>,
) -> Result<Discovery, TrailS3Error> {
    let mut discovery = Discovery::default();
    let mut level = vec![Pending {
        prefix: url.prefix.clone(),
        delimiter: true,
    }];
    while !level.is_empty() {
        let listings: Vec<_> = futures::stream::iter(level.drain(..))
            .map(|pending| {
                let (client, observer, bucket) = (&client, &observer, &url.bucket);
                async move {
                    list(
                        client,
                        observer,
                        bucket,
                        &pending.prefix,
                        pending.delimiter,
                        max_attempts,
                    )
                    .await
                }
            })
            .buffered(concurrency)
            .collect()
            .await;
        let mut next = Vec::new();
        for listing in listings {
            let (folders, objects) = listing.map_err(|error| TrailS3Error::Call {
                location: url.to_string(),
                error,
            })?;
            for folder in folders {
                let name = folder.trim_end_matches('/');
                let last = name.rsplit('/').next().unwrap_or(name);
                if last.starts_with("CloudTrail-") {
                    // Digest and Insights folders: named from their keys,
                    // nothing under them is read.
                    next.push(Pending {
                        prefix: folder,
                        delimiter: false,
                    });
                    continue;
                }
                match date_folder(name, &window) {
                    DateFolder::Outside => discovery.pruned_folders += 1,
                    DateFolder::Within => next.push(Pending {
                        prefix: folder,
                        delimiter: false,
                    }),
                    DateFolder::NotDated | DateFolder::Straddles => next.push(Pending {
                        prefix: folder,
                        delimiter: true,
                    }),
                }
            }
            for (key, size) in objects {
                let name = url.object(&key);
                if key.ends_with('/') || discovery.skip_by_name(&name) {
                    continue;
                }
                if found.send((key, size)).await.is_err() {
                    // The reading side is gone; nothing more to hand over.
                    return Ok(discovery);
                }
            }
        }
        level = next;
    }
    discovery.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(discovery)
}

/// Downloads one object whole; a failure is the object's reason, never
/// a dropped object. A body cut off mid-way is fetched again.
async fn download(
    client: &Client,
    observer: &Observer,
    url: &S3Url,
    key: String,
    size: u64,
    max_attempts: u32,
) -> LogObject {
    let name = url.object(&key);
    if size > MAX_OBJECT_BYTES {
        return LogObject {
            name,
            content: Err(format!(
                "not downloaded: {size} bytes, more than the {} MiB mfaguard reads from S3 per object",
                MAX_OBJECT_BYTES / (1024 * 1024)
            )),
        };
    }
    let attempts = max_attempts.clamp(1, 3);
    let mut last_problem = String::new();
    for attempt in 1..=attempts {
        if attempt > 1 {
            tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
        }
        observer.pacer().wait().await;
        let output = match client
            .get_object()
            .bucket(&url.bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => {
                // The SDK has already retried what is worth retrying.
                let problem = classify("s3:GetObject", &err, None, max_attempts);
                return LogObject {
                    name,
                    content: Err(format!("download failed: {problem}")),
                };
            }
        };
        match output.body.collect().await {
            Ok(bytes) => {
                let bytes = bytes.into_bytes().to_vec();
                if bytes.len() as u64 == size {
                    return LogObject {
                        name,
                        content: Ok(bytes),
                    };
                }
                last_problem = format!(
                    "download incomplete: {} bytes of the {size} listed",
                    bytes.len()
                );
            }
            Err(err) => last_problem = format!("download cut off: {err}"),
        }
    }
    LogObject {
        name,
        content: Err(format!("{last_problem} ({attempts} attempts)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        assert_eq!(
            S3Url::parse("s3://trail-logs/AWSLogs/o-abc/").unwrap(),
            S3Url {
                bucket: "trail-logs".to_string(),
                prefix: "AWSLogs/o-abc/".to_string()
            }
        );
        assert_eq!(S3Url::parse("s3://trail-logs").unwrap().prefix, "");
        assert!(S3Url::parse("trail-logs/AWSLogs")
            .unwrap_err()
            .contains("not an S3 URL"));
        assert!(S3Url::parse("s3://Trail_Logs/x")
            .unwrap_err()
            .contains("not a valid S3 bucket name"));
    }
}
