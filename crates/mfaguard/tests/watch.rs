//! `mfaguard watch` against a webhook receiver on 127.0.0.1 (a small HTTP
//! server thread in the test): the right alerts, delivered once; a receiver
//! that fails (HTTP 500) or refuses connections gets the alert on a later run.

#[path = "../../mfaguard-store/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{at, Account, User, ACCOUNT};

/// A request the receiver got, and the status it answered.
#[derive(Debug, Clone)]
struct Hit {
    status: u16,
    body: Value,
}

/// A webhook receiver on a fixed loopback port that can answer 200 or 500,
/// and be stopped (connections refused) and started again.
struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    hits: Arc<Mutex<Vec<Hit>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut receiver = Receiver {
            port,
            status: Arc::new(AtomicU16::new(200)),
            hits: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
            thread: None,
        };
        receiver.serve(listener);
        receiver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn serve(&mut self, listener: TcpListener) {
        listener.set_nonblocking(true).unwrap();
        self.stop.store(false, Ordering::SeqCst);
        let (status, hits, stop) = (self.status.clone(), self.hits.clone(), self.stop.clone());
        self.thread = Some(std::thread::spawn(move || {
            let started = Instant::now();
            // Bounded: the receiver never outlives a test run.
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(300) {
                match listener.accept() {
                    Ok((stream, _)) => handle(stream, &status, &hits),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        }));
    }

    /// Stops listening: connections are refused.
    fn refuse(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            thread.join().unwrap();
        }
    }

    /// Listens again on the same port.
    fn resume(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).unwrap();
        self.serve(listener);
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.refuse();
    }
}

fn handle(stream: TcpStream, status: &AtomicU16, hits: &Mutex<Vec<Hit>>) {
    stream.set_nonblocking(false).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let code = status.load(Ordering::SeqCst);
    hits.lock().unwrap().push(Hit {
        status: code,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    });
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {code} {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        if code == 200 {
            "OK"
        } else {
            "Internal Server Error"
        }
    );
}

fn watch(store: &str, from: &Path, config: &Path, now: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["watch", "--once", "--from"])
        .arg(from)
        .arg("--config")
        .arg(config)
        .args(["--now", now, "--retry-delay", "0.01", "--timeout", "5"])
        .args(extra)
        .env("MFAGUARD_STORE", store)
        .env("NO_COLOR", "1")
        .output()
        .expect("run mfaguard watch")
}

fn ok(output: &Output) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout {stdout}\nstderr {stderr}"
    );
    (stdout, stderr)
}

/// A `--once` run whose scan was recorded but whose alerts could not all be
/// delivered: exit 2, so that cron hears of it.
fn undelivered(output: &Output, messages: usize) -> (String, String) {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout {stdout}\nstderr {stderr}"
    );
    let noun = if messages == 1 { "message" } else { "messages" };
    assert!(
        stderr.contains(&format!(
            "error: {messages} webhook {noun} could not be delivered; kept in the outbox"
        )),
        "{stderr}"
    );
    (stdout, stderr)
}

fn config_text() -> String {
    format!(
        r#"
[breakglass]
users = ["glass"]

[[exceptions]]
check = "iam.console_user_mfa"
resource = "arn:aws:iam::{ACCOUNT}:user/vendor"
owner = "iam-team@example.com"
reason = "vendor SSO migration"
expires = "2026-04-05"
reviewed = "2026-03-01"
"#
    )
}

fn before() -> Account {
    Account::new(ACCOUNT)
        .user(User::console("admin").admin().with_virtual_mfa(ACCOUNT))
        .user(
            User::console("glass")
                .with_device("GAHT12345678")
                .breakglass(),
        )
        .user(User::console("vendor"))
}

fn after() -> Account {
    before()
        .user(User::console("newbie"))
        .edit("admin", |u| u.devices.clear())
        .edit("glass", |u| {
            u.key1 = true;
            u.managed
                .push("arn:aws:iam::aws:policy/ReadOnlyAccess".to_string());
        })
}

fn kinds(event: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = event["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["kind"].as_str().unwrap(),
                a["resource_name"].as_str().unwrap()
            )
        })
        .collect();
    kinds.sort();
    kinds
}

fn setup() -> (
    tempfile::TempDir,
    std::path::PathBuf,
    std::path::PathBuf,
    String,
) {
    let dir = tempfile::tempdir().unwrap();
    let from = dir.path().join("account");
    std::fs::create_dir(&from).unwrap();
    let config = dir.path().join("mfaguard.toml");
    std::fs::write(&config, config_text()).unwrap();
    let store = dir.path().join("h.sqlite").display().to_string();
    (dir, from, config, store)
}

#[test]
fn sqlite_alerts_reach_the_webhook_and_survive_its_failure() {
    let (_dir, from, config, store) = setup();
    alerts_scenario(&from, &config, &store);
}

#[test]
fn postgres_alerts_reach_the_webhook_and_survive_its_failure() {
    let Some(mfaguard_store::Location::Postgres(url)) = support::postgres_location("watch") else {
        return;
    };
    let (_dir, from, config, _) = setup();
    alerts_scenario(&from, &config, &url);
}

fn alerts_scenario(from: &Path, config: &Path, store: &str) {
    let (from, config, store) = (from.to_path_buf(), config.to_path_buf(), store.to_string());
    let mut receiver = Receiver::start();
    let url = receiver.url();
    let hook = ["--webhook", url.as_str()];

    // Run 1: the baseline; nothing to say.
    before().write(&from, at("2026-04-01T00:00:00Z"));
    let (stdout, _) = ok(&watch(
        &store,
        &from,
        &config,
        "2026-04-01T00:00:00Z",
        &hook,
    ));
    assert!(stdout.contains("0 alerts"), "{stdout}");
    assert!(receiver.hits().is_empty());

    // Run 2: things change, but the receiver fails with HTTP 500.
    after().write(&from, at("2026-04-10T00:00:00Z"));
    receiver.status.store(500, Ordering::SeqCst);
    let (stdout, stderr) = undelivered(
        &watch(&store, &from, &config, "2026-04-10T00:00:00Z", &hook),
        1,
    );
    assert!(stdout.contains("4 alerts"), "{stdout}");
    assert!(stderr.contains("HTTP 500"), "{stderr}");
    assert!(stderr.contains("stays in the outbox"), "{stderr}");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3, "three attempts: {hits:?}");
    assert!(hits.iter().all(|h| h.status == 500));

    // Run 3: the receiver refuses connections; nothing new changed.
    receiver.refuse();
    let (stdout, stderr) = undelivered(
        &watch(&store, &from, &config, "2026-04-11T00:00:00Z", &hook),
        1,
    );
    assert!(stdout.contains("0 alerts"), "{stdout}");
    assert!(stderr.contains("stays in the outbox"), "{stderr}");
    assert!(stderr.contains("(6 in all)"), "{stderr}");
    assert_eq!(stderr.matches("stays in the outbox").count(), 1, "{stderr}");

    // Run 4: the receiver is back: the kept alert is delivered, once.
    receiver.status.store(200, Ordering::SeqCst);
    receiver.resume();
    let (_, stderr) = ok(&watch(
        &store,
        &from,
        &config,
        "2026-04-12T00:00:00Z",
        &hook,
    ));
    assert!(
        stderr.contains("delivered 1 message kept from earlier runs"),
        "{stderr}"
    );
    let delivered: Vec<Hit> = receiver
        .hits()
        .into_iter()
        .filter(|h| h.status == 200)
        .collect();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let event = &delivered[0].body;
    assert_eq!(event["schema_version"], 1);
    assert_eq!(event["type"], "mfaguard.alerts");
    assert_eq!(event["scan_id"], 2);
    assert_eq!(event["scanned_at"], "2026-04-10T00:00:00Z");
    assert_eq!(event["accounts"][0], ACCOUNT);
    assert!(event["delivery_id"].is_i64());
    assert_eq!(
        kinds(event),
        [
            "breakglass_changed glass",
            format!("exception_expired exception for iam.console_user_mfa on arn:aws:iam::{ACCOUNT}:user/vendor").as_str(),
            "mfa_device_removed admin",
            "new_console_user_without_mfa newbie",
        ]
    );
    let glass = event["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["kind"] == "breakglass_changed")
        .unwrap();
    let changes = glass["details"]["changes"].to_string();
    assert!(changes.contains("access key 1 activated"), "{changes}");
    assert!(changes.contains("ReadOnlyAccess"), "{changes}");
    assert_eq!(glass["severity"], "critical");
    assert_eq!(glass["previous_scan_id"], 1);

    // Run 5: nothing pending, nothing new: nothing sent.
    let before_count = receiver.hits().len();
    ok(&watch(
        &store,
        &from,
        &config,
        "2026-04-13T00:00:00Z",
        &hook,
    ));
    assert_eq!(receiver.hits().len(), before_count);

    // The store kept the history of attempts.
    let mut store =
        mfaguard_store::Store::open(&mfaguard_store::Location::parse(&store).unwrap().unwrap())
            .unwrap();
    let outbox = store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert!(outbox[0].delivered_at.is_some());
    assert_eq!(outbox[0].attempts, 7);
    assert_eq!(store.scans(&Default::default()).unwrap().len(), 5);
}

#[test]
fn slack_payload() {
    let (_dir, from, config, store) = setup();
    let receiver = Receiver::start();
    let url = receiver.url();
    let hook = ["--webhook", url.as_str(), "--slack"];
    before().write(&from, at("2026-04-01T00:00:00Z"));
    ok(&watch(
        &store,
        &from,
        &config,
        "2026-04-01T00:00:00Z",
        &hook,
    ));
    after().write(&from, at("2026-04-10T00:00:00Z"));
    ok(&watch(
        &store,
        &from,
        &config,
        "2026-04-10T00:00:00Z",
        &hook,
    ));
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    let body = hits[0].body.as_object().unwrap();
    assert_eq!(body.keys().collect::<Vec<_>>(), ["text"]);
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("mfaguard: 4 MFA alerts in scan 2"),
        "{text}"
    );
    assert!(text.contains("[critical] mfa_device_removed"), "{text}");
    assert!(
        text.contains("newbie is a new console user without MFA"),
        "{text}"
    );
}

#[test]
fn watch_needs_a_store_and_a_valid_webhook() {
    let (_dir, from, config, _) = setup();
    before().write(&from, at("2026-04-01T00:00:00Z"));
    let output = watch("none", &from, &config, "2026-04-01T00:00:00Z", &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs a store"));
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["watch", "--once", "--webhook", "ftp://x", "--every", "1h"])
        .env("MFAGUARD_STORE", "/nonexistent-dir/x.sqlite")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["watch", "--every", "soon"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

/// The loop scans on schedule and Ctrl-C (SIGINT) stops it between scans.
#[test]
fn loop_stops_cleanly_on_ctrl_c() {
    let (_dir, from, config, store) = setup();
    before().write(&from, at("2026-04-01T00:00:00Z"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["watch", "--every", "1s", "--from"])
        .arg(&from)
        .arg("--config")
        .arg(&config)
        .env("MFAGUARD_STORE", &store)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let location = mfaguard_store::Location::parse(&store).unwrap().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let scans = mfaguard_store::Store::open(&location)
            .and_then(|mut s| s.scans(&Default::default()))
            .map(|s| s.len())
            .unwrap_or(0);
        if scans >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "watch did not scan twice");
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("watch did not stop on SIGINT");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("watch stopped"), "{stderr}");
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    assert!(stdout.matches(" alert").count() >= 2, "{stdout}");
    // Every recorded scan is whole.
    let mut store = mfaguard_store::Store::open(&location).unwrap();
    for scan in store.scans(&Default::default()).unwrap() {
        assert!(!store.results(scan.id, None).unwrap().is_empty());
    }
}

/// An admin whose MFA-enforcing group membership is removed: the diff shows
/// the verdict change and watch raises `mfa_enforcement_lost` once.
#[test]
fn losing_mfa_enforcement_raises_an_alert_and_shows_in_the_diff() {
    let (_dir, from, config, store) = setup();
    let receiver = Receiver::start();
    let url = receiver.url();
    let hook = ["--webhook", url.as_str()];
    let enforced = || {
        Account::new(ACCOUNT).user(
            User::console("ops")
                .admin()
                .with_virtual_mfa(ACCOUNT)
                .in_group(support::MFA_REQUIRED_GROUP),
        )
    };
    enforced().write(&from, at("2026-05-01T00:00:00Z"));
    ok(&watch(
        &store,
        &from,
        &config,
        "2026-05-01T00:00:00Z",
        &hook,
    ));
    enforced()
        .edit("ops", |u| u.groups.clear())
        .write(&from, at("2026-05-02T00:00:00Z"));
    let (stdout, _) = ok(&watch(
        &store,
        &from,
        &config,
        "2026-05-02T00:00:00Z",
        &hook,
    ));
    assert!(stdout.contains("1 alert\n"), "{stdout}");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    let alert = &hits[0].body["alerts"][0];
    assert_eq!(alert["kind"], "mfa_enforcement_lost");
    assert_eq!(alert["resource_name"], "ops");
    assert_eq!(alert["severity"], "critical", "a privileged user");
    assert_eq!(alert["details"]["from"], "enforced");
    assert!(alert["details"]["allowed_without_mfa"].as_u64().unwrap() > 100);

    let diff = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["diff", "--store", &store, "--format", "json"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let diff: Value = serde_json::from_slice(&diff.stdout).unwrap();
    let changed = &diff["enforcement_changed"];
    assert_eq!(changed[0]["name"], "ops", "{diff}");
    assert_eq!(changed[0]["from"], "enforced");
    assert_eq!(changed[0]["to"], "not_enforced");

    // The KPI trend follows enforcement coverage scan by scan.
    let kpi = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args([
            "kpi",
            "--store",
            &store,
            "--format",
            "json",
            "--now",
            "2026-05-03T00:00:00Z",
        ])
        .output()
        .unwrap();
    let kpi: Value = serde_json::from_slice(&kpi.stdout).unwrap();
    let trend = &kpi["trend"];
    assert_eq!(
        trend[0]["console_users_with_mfa_enforced"]["covered"], 1,
        "{kpi}"
    );
    assert_eq!(trend[0]["console_users_with_mfa_enforced"]["total"], 1);
    assert_eq!(trend[1]["console_users_with_mfa_enforced"]["covered"], 0);
    assert_eq!(
        trend[1]["console_users_with_mfa_enforced_by_tier"]["privileged"]["total"],
        1
    );
}

/// One CloudTrail record of the test account.
fn trail_record(id: &str, time: &str, user: &str, event: &str, extra: Value) -> Value {
    let identity = if user == "root" {
        serde_json::json!({"type": "Root", "arn": format!("arn:aws:iam::{ACCOUNT}:root"),
            "accountId": ACCOUNT, "principalId": ACCOUNT})
    } else {
        serde_json::json!({"type": "IAMUser", "userName": user, "accountId": ACCOUNT,
            "arn": format!("arn:aws:iam::{ACCOUNT}:user/{user}"),
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {"attributes": {"creationDate": "2026-04-01T08:00:00Z",
                "mfaAuthenticated": "true"}}})
    };
    let (source, mut record) = if event == "ConsoleLogin" {
        (
            "signin.amazonaws.com",
            serde_json::json!({"additionalEventData": {"MFAUsed": "Yes"},
                "responseElements": {"ConsoleLogin": "Success"}}),
        )
    } else {
        ("iam.amazonaws.com", serde_json::json!({}))
    };
    let object = record.as_object_mut().unwrap();
    for (key, value) in [
        ("eventID", Value::from(id)),
        ("eventTime", Value::from(time)),
        ("eventSource", Value::from(source)),
        ("eventName", Value::from(event)),
        ("recipientAccountId", Value::from(ACCOUNT)),
        ("sourceIPAddress", Value::from("203.0.113.9")),
        ("userIdentity", identity),
    ] {
        object.insert(key.to_string(), value);
    }
    if let Some(extra) = extra.as_object() {
        object.extend(extra.clone());
    }
    record
}

fn trail_file(root: &Path, day: &str, name: &str, text: &str) {
    let folder = root.join(format!(
        "AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/04/{day}"
    ));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join(format!(
            "{ACCOUNT}_CloudTrail_us-east-1_202604{day}T0900Z_{name}.json"
        )),
        text,
    )
    .unwrap();
}

fn records(records: &[Value]) -> String {
    serde_json::json!({ "Records": records }).to_string()
}

fn trail_alerts(hit: &Hit) -> Vec<String> {
    let mut alerts: Vec<String> = hit.body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a["kind"].as_str().unwrap(),
                a["resource_name"].as_str().unwrap(),
                a["details"]["event_id"].as_str().unwrap()
            )
        })
        .collect();
    alerts.sort();
    alerts
}

#[test]
fn sqlite_trail_files_are_read_once_and_alert_once() {
    let (dir, from, config, store) = setup();
    trail_scenario(dir.path(), &from, &config, &store);
}

#[test]
fn postgres_trail_files_are_read_once_and_alert_once() {
    let Some(mfaguard_store::Location::Postgres(url)) = support::postgres_location("watch_trail")
    else {
        return;
    };
    let (dir, from, config, _) = setup();
    trail_scenario(dir.path(), &from, &config, &url);
}

fn trail_scenario(dir: &Path, from: &Path, config: &Path, store: &str) {
    let (from, config, store) = (from.to_path_buf(), config.to_path_buf(), store.to_string());
    let trail = dir.join("trail");
    let trail_arg = trail.display().to_string();
    let receiver = Receiver::start();
    let url = receiver.url();
    let args = ["--webhook", url.as_str(), "--trail", trail_arg.as_str()];
    before().write(&from, at("2026-04-01T00:00:00Z"));
    let run = |now: &str| watch(&store, &from, &config, now, &args);

    // Round 1: root and the break-glass user sign in.
    let first_day = [
        trail_record(
            "r1",
            "2026-04-01T09:00:00Z",
            "root",
            "ConsoleLogin",
            Value::Null,
        ),
        trail_record(
            "b1",
            "2026-04-01T09:05:00Z",
            "glass",
            "ConsoleLogin",
            Value::Null,
        ),
        trail_record(
            "n1",
            "2026-04-01T09:06:00Z",
            "admin",
            "ListUsers",
            Value::Null,
        ),
    ];
    trail_file(&trail, "01", "first", &records(&first_day));
    let (stdout, _) = ok(&run("2026-04-01T10:00:00Z"));
    assert!(
        stdout.contains("trail: 1 new log file read (3 records), 2 alerts"),
        "{stdout}"
    );
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].body["source"], "cloudtrail");
    assert_eq!(
        trail_alerts(&hits[0]),
        ["breakglass_activity glass b1", "root_activity root r1"]
    );

    // Round 2: a new day with MFA removed from the admin, a file landing
    // late in the old day folder, and a file cut short (still being
    // written): reported, not recorded, exit 2 for cron.
    trail_file(
        &trail,
        "02",
        "second",
        &records(&[trail_record(
            "d1",
            "2026-04-02T09:00:00Z",
            "admin",
            "DeactivateMFADevice",
            serde_json::json!({"requestParameters": {"userName": "admin",
                "serialNumber": format!("arn:aws:iam::{ACCOUNT}:mfa/admin")}}),
        )]),
    );
    trail_file(
        &trail,
        "01",
        "late",
        &records(&[trail_record(
            "r2",
            "2026-04-01T23:59:00Z",
            "root",
            "GetAccountSummary",
            Value::Null,
        )]),
    );
    let glass_again = [trail_record(
        "b2",
        "2026-04-02T10:00:00Z",
        "glass",
        "ConsoleLogin",
        Value::Null,
    )];
    let whole = records(&glass_again);
    trail_file(&trail, "02", "cut", &whole[..whole.len() / 2]);
    let output = run("2026-04-02T12:00:00Z");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stdout.contains("trail: 2 new log files read"), "{stdout}");
    assert!(
        stderr.contains("error: trail file") && stderr.contains("_cut.json"),
        "{stderr}"
    );
    assert!(stderr.contains("read again next round"), "{stderr}");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert_eq!(
        trail_alerts(&hits[1]),
        ["mfa_deactivated admin d1", "root_activity root r2"]
    );

    // Round 3: the cut file is complete now, and the first file was
    // delivered again with other bytes (re-read, its figures replaced, its
    // events not alerted twice).
    trail_file(&trail, "02", "cut", &whole);
    trail_file(
        &trail,
        "01",
        "first",
        &serde_json::to_string_pretty(&serde_json::json!({ "Records": first_day })).unwrap(),
    );
    let (stdout, _) = ok(&run("2026-04-02T13:00:00Z"));
    assert!(
        stdout.contains("trail: 2 new log files read (4 records), 1 alert"),
        "{stdout}"
    );
    let hits = receiver.hits();
    assert_eq!(hits.len(), 3, "{hits:?}");
    assert_eq!(trail_alerts(&hits[2]), ["breakglass_activity glass b2"]);

    // Round 4, a restart with nothing new: nothing read, no alert.
    let (stdout, _) = ok(&run("2026-04-02T14:00:00Z"));
    assert!(!stdout.contains("trail:"), "{stdout}");
    assert_eq!(receiver.hits().len(), 3);

    // The figures count each record once.
    let kpi = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["kpi", "--format", "json", "--now", "2026-04-03T00:00:00Z"])
        .env("MFAGUARD_STORE", &store)
        .output()
        .unwrap();
    let kpi: Value = serde_json::from_slice(&kpi.stdout).unwrap();
    let april = &kpi["trail"]["months"][0];
    assert_eq!(kpi["trail"]["files"], 4);
    assert_eq!(april["month"], "2026-04");
    assert_eq!(april["root_uses"], 2);
    assert_eq!(april["breakglass_uses"], 2);
    // admin's two calls with MFA; root's call says nothing of MFA.
    assert_eq!(april["human_api_calls"]["with_mfa"], 2);
    assert_eq!(april["human_api_calls"]["mfa_unknown"], 1);
    assert_eq!(april["human_api_calls"]["share_with_mfa"], 100.0);
    assert_eq!(april["human_api_calls"]["share_with_mfa_at_worst"], 66.7);
}
