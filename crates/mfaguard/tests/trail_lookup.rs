//! `mfaguard trail --lookup-events` against a local stand-in for
//! CloudTrail's LookupEvents (`scripts/lookup_events_standin.py`: moto does
//! not implement it), started on 127.0.0.1 by the test and serving the
//! fixtures of one account and region as AWS would: management events
//! only, newest first, in pages, at most 2 requests a second.

mod support {
    // Only the paths and the Python of the test tools are used here.
    #[allow(dead_code)]
    pub mod moto;
}

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use support::moto::{python_or_skip, repo};

const NOW: &str = "2026-11-22T12:00:00Z";
const ACCOUNT: &str = "111122223333";
const DAY: &str = "AWSLogs/o-aa111bb222/111122223333/CloudTrail/us-east-1/2026/11/05";

struct StandIn {
    child: Child,
    port: u16,
}

impl StandIn {
    fn start(python: &Path, root: &Path, page_size: u32, throttle_first: u32) -> StandIn {
        let mut child = Command::new(python)
            .arg(repo().join("scripts/lookup_events_standin.py"))
            .arg(root)
            .args([ACCOUNT, "us-east-1"])
            .args([page_size.to_string(), throttle_first.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the stand-in");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("stand-in output");
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the stand-in did not start: {line:?}"));
        StandIn { child, port }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request's arrival (seconds, monotonic) and outcome.
    fn requests(&self) -> Vec<(f64, String)> {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        use std::io::{Read, Write};
        write!(
            stream,
            "GET /__requests HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        )
        .expect("request");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("answer");
        let body = answer.split("\r\n\r\n").nth(1).expect("body");
        let document: Value = serde_json::from_str(body).expect("JSON");
        document["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| {
                (
                    r["time"].as_f64().expect("time"),
                    r["outcome"].as_str().expect("outcome").to_string(),
                )
            })
            .collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn mfaguard(endpoint: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mfaguard"));
    command
        .args(args)
        .env("MFAGUARD_STORE", "none")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_REGION")
        .env_remove("AWS_DEFAULT_REGION");
    if let Some(endpoint) = endpoint {
        command.env("AWS_ENDPOINT_URL", endpoint);
    }
    command.output().expect("run mfaguard")
}

fn json_of(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON report")
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// The figures of a report, without what says where they were read from.
fn figures(report: &Value) -> Value {
    let mut report = report.clone();
    let object = report.as_object_mut().expect("report");
    object.remove("inputs");
    object.remove("generated_at");
    report
}

fn identity_month<'r>(report: &'r Value, name: &str) -> &'r Value {
    report["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .find(|identity| identity["name"] == name && identity["account_id"] == ACCOUNT)
        .map(|identity| &identity["months"][0])
        .unwrap_or_else(|| panic!("no {name} in {}", report["identities"]))
}

#[test]
fn lookup_events_gives_the_folder_figures_for_management_events() {
    let Some(python) = python_or_skip("lookup_events_gives_the_folder_figures") else {
        return;
    };
    // One account's files, and a data event (S3 GetObject by erin's access
    // key), which LookupEvents does not return.
    let fixtures = repo().join("crates/mfaguard-trail/tests/fixtures/org-trail");
    let management = tempfile::tempdir().expect("temp dir");
    let account_part = "AWSLogs/o-aa111bb222/111122223333";
    std::fs::create_dir_all(management.path().join(account_part)).expect("mkdir");
    copy_tree(
        &fixtures.join(account_part),
        &management.path().join(account_part),
    );
    let with_data = tempfile::tempdir().expect("temp dir");
    copy_tree(management.path(), with_data.path());
    let calls_file = std::fs::read_dir(management.path().join(DAY))
        .expect("day folder")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.to_string_lossy().contains("Ap1cAll"))
        .expect("the API calls fixture");
    let records: Value =
        serde_json::from_slice(&std::fs::read(&calls_file).expect("read")).expect("JSON");
    let mut data_event = records["Records"]
        .as_array()
        .expect("records")
        .iter()
        .find(|record| record["eventName"] == "ListBuckets")
        .expect("ListBuckets")
        .clone();
    data_event["eventName"] = "GetObject".into();
    data_event["eventTime"] = "2026-11-05T10:05:00Z".into();
    data_event["eventID"] = "d4a7a000-0000-4000-8000-00000000da7a".into();
    data_event["eventCategory"] = "Data".into();
    data_event["managementEvent"] = false.into();
    data_event["readOnly"] = true.into();
    std::fs::write(
        with_data
            .path()
            .join(DAY)
            .join("111122223333_CloudTrail_us-east-1_20261105T1010Z_DataEXAMPLE.json"),
        serde_json::json!({"Records": [data_event]}).to_string(),
    )
    .expect("write the data event");

    // Pages of 4 events; the first 2 requests are throttled.
    let stand_in = StandIn::start(&python, with_data.path(), 4, 2);
    let window = ["--since", "2026-11-01", "--until", "2026-11-30"];
    let mut args = vec![
        "trail",
        "--lookup-events",
        "--region",
        "us-east-1",
        "--format",
        "json",
        "--now",
        NOW,
    ];
    args.extend(window);
    let looked_up = json_of(&mfaguard(Some(&stand_in.endpoint()), &args));
    let from = |root: &Path| {
        let root = root.display().to_string();
        let mut args = vec!["trail", "--from", &root, "--format", "json", "--now", NOW];
        args.extend(window);
        json_of(&mfaguard(None, &args))
    };

    // The same figures as the folder's management events...
    assert_eq!(figures(&looked_up), figures(&from(management.path())));
    assert_eq!(
        looked_up["inputs"]["location"],
        "cloudtrail:LookupEvents in us-east-1"
    );
    assert_eq!(looked_up["inputs"]["records_analysed"], 20);
    // ...and the data event is the only difference with the whole folder:
    // one more call without MFA by erin's access key.
    let whole = from(with_data.path());
    let (erin_lookup, erin_folder) = (
        identity_month(&looked_up, "erin"),
        identity_month(&whole, "erin"),
    );
    assert_eq!(
        erin_folder["api_calls"]["access_key"].as_u64(),
        erin_lookup["api_calls"]["access_key"]
            .as_u64()
            .map(|n| n + 1)
    );
    assert!(erin_folder["top_actions_without_mfa"]
        .to_string()
        .contains("s3:GetObject"));
    assert!(!erin_lookup["top_actions_without_mfa"]
        .to_string()
        .contains("s3:GetObject"));

    // 20 events in pages of 4: 5 pages, plus the 2 throttled requests
    // retried; never more than 2 requests in a second at the stand-in.
    let requests = stand_in.requests();
    let outcomes: Vec<&str> = requests.iter().map(|(_, o)| o.as_str()).collect();
    assert_eq!(
        outcomes,
        ["throttled", "throttled", "ok", "ok", "ok", "ok", "ok"]
    );
    assert_eq!(
        looked_up["inputs"]["api_calls"]["cloudtrail:LookupEvents"],
        7
    );
    for three in requests.windows(3) {
        assert!(
            three[2].0 - three[0].0 >= 1.0,
            "3 requests within a second: {requests:?}"
        );
    }
}

#[test]
fn lookup_events_throttled_past_the_attempts_is_an_error() {
    let Some(python) = python_or_skip("lookup_events_throttled_past_the_attempts") else {
        return;
    };
    let empty = tempfile::tempdir().expect("temp dir");
    let stand_in = StandIn::start(&python, empty.path(), 50, 100);
    let output = mfaguard(
        Some(&stand_in.endpoint()),
        &[
            "trail",
            "--lookup-events",
            "--region",
            "us-east-1",
            "--since",
            "2026-11-20",
            "--max-attempts",
            "3",
            "--now",
            NOW,
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cloudtrail:LookupEvents") && stderr.contains("throttled"),
        "{stderr}"
    );
}
