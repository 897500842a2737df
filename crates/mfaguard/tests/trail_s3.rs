//! `mfaguard trail --s3` against moto's S3, started on 127.0.0.1 by the
//! test: the fixtures are uploaded with the official SDK in both layouts
//! (organisation trail and account trail), and the report must be the one
//! `--from` gives on the same files.

mod support {
    pub mod moto;
}

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};
use support::moto::{mfaguard, python_or_skip, repo, runtime, Moto};

const NOW: &str = "2026-11-22T12:00:00Z";

fn fixtures() -> PathBuf {
    repo().join("crates/mfaguard-trail/tests/fixtures/org-trail")
}

/// Every file under `root`, as (path relative to `root` with `/`, bytes).
fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(root).expect("under root");
                let key = relative
                    .components()
                    .map(|part| part.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((key, std::fs::read(&path).expect("read fixture")));
            }
        }
    }
    found.sort();
    found
}

/// The organisation trail's files as an account trail delivers them:
/// `AWSLogs/<org-id>/<account>/...` becomes `AWSLogs/<account>/...`.
fn account_layout(files: &[(String, Vec<u8>)]) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .map(|(key, bytes)| {
            let parts: Vec<&str> = key.split('/').collect();
            let mut moved = vec![parts[0]];
            moved.extend(&parts[2..]);
            (moved.join("/"), bytes.clone())
        })
        .collect()
}

/// A gzip header followed by bytes that are not deflate data.
const CORRUPT_GZIP: &[u8] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03not deflate at all";
const CORRUPT_KEY: &str =
    "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/05/111122223333_CloudTrail_us-east-1_20261105T1200Z_BadEXAMPLE.json.gz";

fn write_tree(root: &Path, files: &[(String, Vec<u8>)]) {
    for (key, bytes) in files {
        let path = root.join(key);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
}

async fn upload(config: &aws_config::SdkConfig, bucket: &str, files: &[(String, Vec<u8>)]) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("bucket");
    for (key, bytes) in files {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.clone().into())
            .send()
            .await
            .expect("upload");
    }
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.code() == Some(0),
        "exit {:?}: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

/// The report with where it was read from taken out: the location, the
/// API calls, and the root in every file name.
fn without_location(mut report: Value, root: &str) -> Value {
    let inputs = report["inputs"].as_object_mut().expect("inputs");
    inputs.remove("location");
    inputs.remove("api_calls");
    let text = report.to_string().replace(root, "ROOT/");
    serde_json::from_str(&text).expect("JSON")
}

fn calls(report: &Value, action: &str) -> u64 {
    report["inputs"]["api_calls"][action].as_u64().unwrap_or(0)
}

#[test]
fn s3_gives_the_report_of_the_same_files_read_locally() {
    let Some(python) = python_or_skip("s3_gives_the_report_of_the_same_files_read_locally") else {
        return;
    };
    let moto = Moto::start(&python, &json!({}), &[]);
    let org_files = files_under(&fixtures());
    let mut account_files = account_layout(&org_files);
    account_files.push((CORRUPT_KEY.to_string(), CORRUPT_GZIP.to_vec()));
    runtime().block_on(async {
        let config = moto.sdk_config("testing", "testing", None).await;
        upload(&config, "org-trail", &org_files).await;
        upload(&config, "account-trail", &account_files).await;
    });
    let local = tempfile::tempdir().expect("temp dir");
    write_tree(local.path(), &account_files);
    let env = moto.env("testing", "testing");
    let windows: [&[&str]; 3] = [
        &[],
        &["--since", "2026-11-05", "--until", "2026-11-05"],
        &["--since", "2026-11-01", "--until", "2026-11-30"],
    ];
    for (bucket, tree) in [
        ("org-trail", fixtures()),
        ("account-trail", local.path().to_path_buf()),
    ] {
        for window in windows {
            let run = |source: &[&str]| {
                let mut args = vec!["trail", "--format", "json", "--now", NOW];
                args.extend(source);
                args.extend(window);
                json_of(&mfaguard(&env, &args))
            };
            let url = format!("s3://{bucket}/");
            let from_s3 = run(&["--s3", &url]);
            let local_root = format!("{}/", tree.display());
            let from_folder = run(&["--from", &tree.display().to_string()]);
            assert_eq!(from_s3["inputs"]["location"], url);
            assert!(from_s3["inputs"]["records_analysed"].as_u64().unwrap_or(0) > 0);
            assert_eq!(
                without_location(from_s3.clone(), &url),
                without_location(from_folder, &local_root),
                "{bucket} {window:?}"
            );
            // Every log file listed was downloaded once, nothing else.
            assert_eq!(
                calls(&from_s3, "s3:GetObject"),
                from_s3["inputs"]["files_read"].as_u64().unwrap_or(0),
                "{bucket} {window:?}"
            );
        }
    }

    // Only the day folders of the window are listed and read. Organisation
    // trail, 5 November: the root, AWSLogs/, the organisation, 2 accounts,
    // their CloudTrail/ folders (2) and the digest folder (1), 2 regions, 2
    // years, the 2 November folders (October is pruned unlisted), then the
    // day folders 11/05 (wholly in the window: listed flat) and 11/06 (may
    // hold late events of the 5th): 16 listings, 3 files of 4 downloaded.
    let args = [
        "trail",
        "--format",
        "json",
        "--now",
        NOW,
        "--s3",
        "s3://org-trail/",
        "--since",
        "2026-11-05",
        "--until",
        "2026-11-05",
    ];
    let report = json_of(&mfaguard(&env, &args));
    assert_eq!(
        calls(&report, "s3:ListObjectsV2"),
        16,
        "{}",
        report["inputs"]
    );
    assert_eq!(calls(&report, "s3:GetObject"), 3, "{}", report["inputs"]);
    assert_eq!(calls(&report, "s3:HeadBucket"), 1);
    assert_eq!(report["inputs"]["date_folders_pruned"], 1);
    assert_eq!(report["inputs"]["digest_files"], 1);

    // The corrupt object is named with its reason, the rest is read, and
    // the report says it is partial.
    let output = mfaguard(
        &env,
        &[
            "trail",
            "--format",
            "json",
            "--now",
            NOW,
            "--s3",
            "s3://account-trail/AWSLogs/",
        ],
    );
    let report = json_of(&output);
    let failed = &report["inputs"]["files_failed"];
    assert_eq!(failed.as_array().map(Vec::len), Some(1), "{failed}");
    assert_eq!(
        failed[0]["path"],
        format!("s3://account-trail/{CORRUPT_KEY}")
    );
    assert!(
        failed[0]["reason"].as_str().unwrap_or("").contains("gzip"),
        "{failed}"
    );
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("the figures are partial"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // A bucket that does not exist is an error naming it.
    let output = mfaguard(
        &env,
        &["trail", "--s3", "s3://no-such-trail-bucket/AWSLogs/"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("s3://no-such-trail-bucket/AWSLogs/") && stderr.contains("does not exist"),
        "{stderr}"
    );
}

#[test]
fn access_denied_on_the_bucket_names_bucket_and_prefix() {
    let Some(python) = python_or_skip("access_denied_on_the_bucket") else {
        return;
    };
    // moto enforces IAM policies after this many unauthenticated requests:
    // exactly the seeding calls below.
    let moto = Moto::start(
        &python,
        &json!({}),
        &[("INITIAL_NO_AUTH_ACTION_COUNT", "4")],
    );
    let (key, secret) = runtime().block_on(async {
        let config = moto.sdk_config("testing", "testing", None).await;
        let files = files_under(&fixtures());
        upload(&config, "org-trail", &files[..1]).await;
        let iam = aws_sdk_iam::Client::new(&config);
        iam.create_user()
            .user_name("auditor")
            .send()
            .await
            .expect("user");
        let key = iam
            .create_access_key()
            .user_name("auditor")
            .send()
            .await
            .expect("key");
        let key = key.access_key().expect("access key");
        (
            key.access_key_id().to_string(),
            key.secret_access_key().to_string(),
        )
    });
    let output = mfaguard(
        &moto.env(&key, &secret),
        &["trail", "--s3", "s3://org-trail/AWSLogs/o-aa111bb222/"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr
            .contains("s3://org-trail/AWSLogs/o-aa111bb222/: access denied calling s3:HeadBucket")
            && stderr.contains("s3:ListBucket"),
        "{stderr}"
    );
}
