//! `mfaguard watch --queue` against moto (IAM, EventBridge and SQS on
//! 127.0.0.1) and a webhook receiver in the test: IAM changes are made in
//! moto's IAM, their CloudTrail-shaped events are put on EventBridge, whose
//! rule delivers them to the SQS queue the real binary consumes.

mod support {
    pub mod fault_proxy;
    pub mod moto;
}

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::fault_proxy::FaultProxy;
use support::moto::{create_organization, python_or_skip, runtime, Moto};

const ACCOUNT: &str = "123456789012";

/// A webhook receiver on 127.0.0.1 that answers `status` (200 or 500).
struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    bodies: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let receiver = Receiver {
            port: listener.local_addr().unwrap().port(),
            status: Arc::new(AtomicU16::new(200)),
            bodies: Arc::new(Mutex::new(Vec::new())),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (status, bodies, stop) = (
            receiver.status.clone(),
            receiver.bodies.clone(),
            receiver.stop.clone(),
        );
        std::thread::spawn(move || {
            let started = Instant::now();
            while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(300) {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &status, &bodies),
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        receiver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    /// Bodies accepted with 200, in arrival order.
    fn delivered(&self) -> Vec<Value> {
        self.bodies.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(stream: TcpStream, status: &AtomicU16, bodies: &Mutex<Vec<Value>>) {
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
    if code == 200 {
        bodies
            .lock()
            .unwrap()
            .push(serde_json::from_slice(&body).unwrap_or(Value::Null));
    }
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

/// The queue, its dead-letter queue (after `max_receives`) and the
/// EventBridge rule that delivers IAM and sign-in events to it.
struct Queues {
    url: String,
    dead_letter_url: String,
}

async fn create_queues(config: &aws_config::SdkConfig, max_receives: u32) -> Queues {
    let sqs = aws_sdk_sqs::Client::new(config);
    let dead_letter_url = sqs
        .create_queue()
        .queue_name("mfaguard-events-dlq")
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let dead_letter_arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:mfaguard-events-dlq");
    let url = sqs
        .create_queue()
        .queue_name("mfaguard-events")
        .attributes(
            aws_sdk_sqs::types::QueueAttributeName::RedrivePolicy,
            json!({"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": max_receives})
                .to_string(),
        )
        .send()
        .await
        .unwrap()
        .queue_url()
        .unwrap()
        .to_string();
    let events = aws_sdk_eventbridge::Client::new(config);
    events
        .put_rule()
        .name("mfaguard-iam")
        .event_pattern(
            json!({"source": ["aws.iam", "aws.signin"],
                   "detail-type": ["AWS API Call via CloudTrail", "AWS Console Signin via CloudTrail"]})
            .to_string(),
        )
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("mfaguard-iam")
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(format!("arn:aws:sqs:us-east-1:{ACCOUNT}:mfaguard-events"))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    Queues {
        url,
        dead_letter_url,
    }
}

/// A CloudTrail record of an IAM call by `admin`, as EventBridge carries it.
fn iam_call(event_id: &str, name: &str, request: Value) -> String {
    iam_call_in(ACCOUNT, event_id, name, request)
}

/// The same, made in `account`.
fn iam_call_in(account: &str, event_id: &str, name: &str, request: Value) -> String {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": format!("arn:aws:iam::{account}:user/admin"),
                          "accountId": account, "userName": "admin"},
        "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "eventSource": "iam.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "requestParameters": request,
        "responseElements": null,
        "eventID": event_id,
        "readOnly": false,
        "eventType": "AwsApiCall",
        "recipientAccountId": account
    })
    .to_string()
}

/// An IAM call made in `account` as the queue receives it from the
/// central bus (a member account's rule or an organisation trail forwards
/// it there; the envelope keeps the member's `account`).
async fn send_member_event(
    config: &aws_config::SdkConfig,
    queue: &str,
    account: &str,
    detail: String,
) {
    let detail: Value = serde_json::from_str(&detail).unwrap();
    let envelope = json!({
        "version": "0",
        "id": format!("envelope-{}", detail["eventID"].as_str().unwrap()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.iam",
        "account": account,
        "time": detail["eventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    });
    aws_sdk_sqs::Client::new(config)
        .send_message()
        .queue_url(queue)
        .message_body(envelope.to_string())
        .send()
        .await
        .unwrap();
}

/// Messages in the queue: (visible, in flight).
async fn messages_left(config: &aws_config::SdkConfig, queue: &str) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName;
    let attributes = aws_sdk_sqs::Client::new(config)
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let counts = attributes.attributes().unwrap();
    let count = |name| counts.get(&name).cloned().unwrap_or_default();
    (
        count(QueueAttributeName::ApproximateNumberOfMessages),
        count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
    )
}

async fn put_event(config: &aws_config::SdkConfig, detail: String) {
    let output = aws_sdk_eventbridge::Client::new(config)
        .put_events()
        .entries(
            aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                .source("aws.iam")
                .detail_type("AWS API Call via CloudTrail")
                .detail(detail)
                .build(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(output.failed_entry_count(), 0, "{output:?}");
}

/// The consumer, its stderr collected by a thread.
struct Watcher {
    child: Child,
    stderr: Arc<Mutex<String>>,
    stdout: Arc<Mutex<String>>,
}

fn collect_lines(pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    text
}

impl Watcher {
    /// Through `endpoint` (a fault proxy) when given, else moto directly.
    fn start(
        moto: &Moto,
        endpoint: Option<&str>,
        store: &str,
        queue: &str,
        webhook: &str,
    ) -> Watcher {
        Watcher::start_with(moto, endpoint, store, queue, webhook, &[])
    }

    fn start_with(
        moto: &Moto,
        endpoint: Option<&str>,
        store: &str,
        queue: &str,
        webhook: &str,
        extra: &[&str],
    ) -> Watcher {
        let mut command = Command::new(env!("CARGO_BIN_EXE_mfaguard"));
        command
            .args(["watch", "--queue", queue, "--webhook", webhook])
            .args(extra)
            .args(["--queue-wait", "1", "--visibility-timeout", "4"])
            .args(["--retry-delay", "0.2", "--attempts", "1", "--timeout", "2"])
            .args(["--max-attempts", "3", "--report-timeout", "20"])
            .envs(moto.env("testing", "testing"))
            .env("MFAGUARD_STORE", store)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(endpoint) = endpoint {
            command.env("AWS_ENDPOINT_URL", endpoint);
        }
        let mut child = command.spawn().expect("start mfaguard watch");
        let stderr = collect_lines(child.stderr.take().unwrap());
        let stdout = collect_lines(child.stdout.take().unwrap());
        let watcher = Watcher {
            child,
            stderr,
            stdout,
        };
        watcher.wait_for("consuming ", Duration::from_secs(60));
        watcher
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn wait_for(&self, text: &str, limit: Duration) {
        let started = Instant::now();
        while !self.stderr().contains(text) {
            assert!(
                started.elapsed() < limit,
                "no `{text}` within {limit:?}; stderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_until(watcher: &Watcher, limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < limit,
            "{what} within {limit:?}; stderr:\n{}",
            watcher.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alerts(bodies: &[Value]) -> Vec<Value> {
    bodies
        .iter()
        .flat_map(|body| body["alerts"].as_array().cloned().unwrap_or_default())
        .collect()
}

async fn dead_letters(config: &aws_config::SdkConfig, url: &str) -> Vec<String> {
    aws_sdk_sqs::Client::new(config)
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(1)
        .send()
        .await
        .unwrap()
        .messages()
        .iter()
        .filter_map(|m| m.body().map(str::to_string))
        .collect()
}

/// A console user created without MFA raises one alert within seconds; the
/// same event delivered twice does not alert twice; a poison message goes
/// to the dead-letter queue without holding up the events behind it.
#[test]
fn console_user_without_mfa_alerts_once_and_poison_goes_to_the_dead_letter_queue() {
    let Some(python) = python_or_skip("events_queue") else {
        return;
    };
    let moto = Moto::start(&python, &json!({ACCOUNT: {"mfa_active": true}}), &[]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("history.sqlite").display().to_string();
    let receiver = Receiver::start();
    let rt = runtime();
    let config = rt.block_on(moto.sdk_config("testing", "testing", None));
    let queues = rt.block_on(create_queues(&config, 2));
    let watcher = Watcher::start(&moto, None, &store, &queues.url, &receiver.url());

    // A poison message first: it must not hold up the event behind it.
    rt.block_on(async {
        aws_sdk_sqs::Client::new(&config)
            .send_message()
            .queue_url(&queues.url)
            .message_body("{\"not\": \"an event\"")
            .send()
            .await
            .unwrap();
    });
    let iam = aws_sdk_iam::Client::new(&config);
    let started = Instant::now();
    rt.block_on(async {
        iam.create_user().user_name("carol").send().await.unwrap();
        iam.create_login_profile()
            .user_name("carol")
            .password("Initial-Passw0rd!")
            .send()
            .await
            .unwrap();
        put_event(
            &config,
            iam_call(
                "event-create-user",
                "CreateUser",
                json!({"userName": "carol"}),
            ),
        )
        .await;
        let login = iam_call(
            "event-login-profile",
            "CreateLoginProfile",
            json!({"userName": "carol", "passwordResetRequired": false}),
        );
        put_event(&config, login.clone()).await;
        // EventBridge delivers at least once: the same event again.
        put_event(&config, login).await;
    });
    wait_until(
        &watcher,
        Duration::from_secs(30),
        "an alert at the receiver",
        || !receiver.delivered().is_empty(),
    );
    let latency = started.elapsed();
    watcher.wait_for("poison message", Duration::from_secs(10));
    // Time for a second (wrong) alert to arrive.
    std::thread::sleep(Duration::from_secs(3));
    let delivered = receiver.delivered();
    let all = alerts(&delivered);
    assert_eq!(all.len(), 1, "{delivered:#?}\n{}", watcher.stderr());
    assert_eq!(all[0]["kind"], "new_console_user_without_mfa");
    assert_eq!(all[0]["resource_name"], "carol");
    assert_eq!(all[0]["account_id"], ACCOUNT);
    let trigger = &delivered[0]["triggers"][0];
    assert!(
        ["event-create-user", "event-login-profile"]
            .contains(&trigger["event_id"].as_str().unwrap_or("")),
        "{trigger}"
    );
    assert!(latency < Duration::from_secs(10), "{latency:?}");

    // The poison message reaches the dead-letter queue (max 2 receives).
    let mut dead = Vec::new();
    wait_until(
        &watcher,
        Duration::from_secs(20),
        "the poison message in the dead-letter queue",
        || {
            dead.extend(rt.block_on(dead_letters(&config, &queues.dead_letter_url)));
            !dead.is_empty()
        },
    );
    assert_eq!(dead, vec!["{\"not\": \"an event\"".to_string()]);
    let stderr = watcher.stderr();
    assert!(stderr.contains("error: poison message"), "{stderr}");
    assert!(stderr.contains("not JSON"), "{stderr}");
}

/// Everything the fault tests share: moto, queues, a store, a receiver.
struct Setup {
    python: std::path::PathBuf,
    moto: Moto,
    _dir: tempfile::TempDir,
    store: String,
    receiver: Receiver,
    rt: tokio::runtime::Runtime,
    config: aws_config::SdkConfig,
    queues: Queues,
}

fn setup(test: &str) -> Option<Setup> {
    setup_with(test, 5)
}

/// The same, with a poison message dead after `max_receives` receives.
fn setup_with(test: &str, max_receives: u32) -> Option<Setup> {
    let python = python_or_skip(test)?;
    let moto = Moto::start(&python, &json!({ACCOUNT: {"mfa_active": true}}), &[]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("history.sqlite").display().to_string();
    let rt = runtime();
    let config = rt.block_on(moto.sdk_config("testing", "testing", None));
    let queues = rt.block_on(create_queues(&config, max_receives));
    Some(Setup {
        python,
        moto,
        _dir: dir,
        store,
        receiver: Receiver::start(),
        rt,
        config,
        queues,
    })
}

impl Setup {
    /// Creates a console user without MFA in IAM and puts its event.
    fn console_user(&self, name: &str) {
        self.rt.block_on(async {
            let iam = aws_sdk_iam::Client::new(&self.config);
            iam.create_user().user_name(name).send().await.unwrap();
            iam.create_login_profile()
                .user_name(name)
                .password("Initial-Passw0rd!")
                .send()
                .await
                .unwrap();
            put_event(
                &self.config,
                iam_call(
                    &format!("event-{name}"),
                    "CreateLoginProfile",
                    json!({"userName": name}),
                ),
            )
            .await;
        });
    }
}

/// The consumer killed with SIGKILL in the middle of a message (its IAM
/// call held by the proxy): the message comes back after its visibility
/// timeout to the next consumer, and the receiver gets one alert in all.
#[test]
fn consumer_killed_mid_message_leaves_it_for_the_next_one() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    let proxy = FaultProxy::start(
        &s.python,
        s.moto.port,
        &json!([{"action": "GetLoginProfile", "fault": "delay", "seconds": 20, "times": 1}]),
    );
    let first = Watcher::start(
        &s.moto,
        Some(&proxy.endpoint()),
        &s.store,
        &s.queues.url,
        &s.receiver.url(),
    );
    s.console_user("dave");
    wait_until(
        &first,
        Duration::from_secs(20),
        "the consumer in GetLoginProfile",
        || {
            proxy
                .requests()
                .get("GetLoginProfile")
                .copied()
                .unwrap_or(0)
                >= 1
        },
    );
    drop(first);
    assert!(s.receiver.delivered().is_empty());

    let second = Watcher::start(
        &s.moto,
        Some(&proxy.endpoint()),
        &s.store,
        &s.queues.url,
        &s.receiver.url(),
    );
    wait_until(
        &second,
        Duration::from_secs(30),
        "the event handled again",
        || {
            second
                .stdout()
                .contains("event event-dave CreateLoginProfile")
        },
    );
    wait_until(&second, Duration::from_secs(10), "an alert", || {
        !s.receiver.delivered().is_empty()
    });
    std::thread::sleep(Duration::from_secs(2));
    let all = alerts(&s.receiver.delivered());
    assert_eq!(all.len(), 1, "{all:#?}\n{}", second.stderr());
    assert_eq!(all[0]["kind"], "new_console_user_without_mfa");
    assert_eq!(all[0]["resource_name"], "dave");
}

/// The webhook down: alerts stay in the outbox and reach the receiver,
/// oldest first, once it answers again.
#[test]
fn webhook_down_alerts_are_kept_and_delivered_in_order() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    s.receiver.status.store(500, Ordering::SeqCst);
    let watcher = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    s.console_user("erin");
    wait_until(
        &watcher,
        Duration::from_secs(20),
        "a failed delivery",
        || watcher.stderr().contains("the receiver answered HTTP 500"),
    );
    s.console_user("frank");
    wait_until(
        &watcher,
        Duration::from_secs(20),
        "the second event recorded",
        || watcher.stdout().contains("event event-frank"),
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(s.receiver.delivered().is_empty());
    s.receiver.status.store(200, Ordering::SeqCst);
    wait_until(
        &watcher,
        Duration::from_secs(20),
        "both alerts delivered",
        || alerts(&s.receiver.delivered()).len() >= 2,
    );
    let names: Vec<Value> = alerts(&s.receiver.delivered())
        .iter()
        .map(|a| a["resource_name"].clone())
        .collect();
    assert_eq!(names, vec![json!("erin"), json!("frank")]);
}

/// IAM throttles the re-collection past the retry limit: the event is not
/// recorded (no pass), the message comes back, and once IAM answers the
/// alert is raised, once.
#[test]
fn throttled_recollection_is_retried_never_a_silent_pass() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    // --max-attempts 3: the first handling fails, the second succeeds
    // after two more throttled attempts.
    let proxy = FaultProxy::start(
        &s.python,
        s.moto.port,
        &json!([{"action": "ListMFADevices", "fault": "error", "status": 400, "code": "Throttling", "times": 5}]),
    );
    let watcher = Watcher::start(
        &s.moto,
        Some(&proxy.endpoint()),
        &s.store,
        &s.queues.url,
        &s.receiver.url(),
    );
    s.console_user("gina");
    wait_until(&watcher, Duration::from_secs(30), "an alert", || {
        !s.receiver.delivered().is_empty()
    });
    std::thread::sleep(Duration::from_secs(2));
    let stderr = watcher.stderr();
    assert!(
        stderr.contains("throttled past the retry limit"),
        "{stderr}"
    );
    assert!(
        stderr.contains("the message stays in the queue"),
        "{stderr}"
    );
    assert_eq!(proxy.requests().get("ListMFADevices").copied(), Some(6));
    let all = alerts(&s.receiver.delivered());
    assert_eq!(all.len(), 1, "{all:#?}\n{stderr}");
    assert_eq!(all[0]["resource_name"], "gina");
}

/// A root console sign-in raises a critical alert; a sign-in of an
/// ordinary user raises none.
#[test]
fn root_sign_in_alerts() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    let watcher = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    let sign_in = |event_id: &str, identity: Value| {
        json!({
            "eventVersion": "1.08",
            "userIdentity": identity,
            "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin",
            "awsRegion": "eu-west-1",
            "responseElements": {"ConsoleLogin": "Success"},
            "additionalEventData": {"MobileVersion": "No", "MFAUsed": "No"},
            "eventID": event_id,
            "eventType": "AwsConsoleSignIn",
            "recipientAccountId": ACCOUNT
        })
        .to_string()
    };
    s.rt.block_on(async {
        let events = aws_sdk_eventbridge::Client::new(&s.config);
        for detail in [
            sign_in(
                "signin-user",
                json!({"type": "IAMUser", "userName": "someone", "accountId": ACCOUNT,
                       "arn": format!("arn:aws:iam::{ACCOUNT}:user/someone")}),
            ),
            sign_in(
                "signin-root",
                json!({"type": "Root", "accountId": ACCOUNT, "arn": format!("arn:aws:iam::{ACCOUNT}:root")}),
            ),
        ] {
            events
                .put_events()
                .entries(
                    aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
                        .source("aws.signin")
                        .detail_type("AWS Console Signin via CloudTrail")
                        .detail(detail)
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    });
    wait_until(&watcher, Duration::from_secs(20), "an alert", || {
        !s.receiver.delivered().is_empty()
    });
    wait_until(
        &watcher,
        Duration::from_secs(20),
        "both sign-ins handled",
        || watcher.stdout().contains("event signin-user"),
    );
    std::thread::sleep(Duration::from_secs(1));
    let all = alerts(&s.receiver.delivered());
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0]["kind"], "sensitive_sign_in");
    assert_eq!(all[0]["severity"], "critical");
    assert_eq!(all[0]["details"]["mfa_used"], false);
    assert!(
        all[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("root signed in to the console without MFA"),
        "{}",
        all[0]["message"]
    );
}

/// A consumer keeps the account's snapshot between batches; another
/// writer's newer scan (here a second consumer's first full scan, which saw
/// a user created without an event) is read before the next batch, so the
/// next event's scan still holds that user and the following full scan
/// raises nothing again: one alert per user in all.
#[test]
fn newer_scan_in_the_store_is_read_before_the_next_batch() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    let first = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    s.console_user("erin");
    wait_until(&first, Duration::from_secs(30), "erin's alert", || {
        alerts(&s.receiver.delivered()).len() == 1
    });
    // Created without an event: only a full scan sees it.
    s.rt.block_on(async {
        let iam = aws_sdk_iam::Client::new(&s.config);
        iam.create_user().user_name("frank").send().await.unwrap();
        iam.create_login_profile()
            .user_name("frank")
            .password("Initial-Passw0rd!")
            .send()
            .await
            .unwrap();
    });
    let second = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    wait_until(&second, Duration::from_secs(30), "frank's alert", || {
        alerts(&s.receiver.delivered()).len() == 2
    });
    drop(second);
    s.console_user("grace");
    wait_until(&first, Duration::from_secs(30), "grace's alert", || {
        alerts(&s.receiver.delivered()).len() == 3
    });
    // A full scan compares with the scan grace's event recorded.
    let third = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    std::thread::sleep(Duration::from_secs(3));
    let all = alerts(&s.receiver.delivered());
    let names: Vec<&str> = all
        .iter()
        .filter_map(|alert| alert["resource_name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["erin", "frank", "grace"],
        "{all:#?}\n{}\n{}",
        first.stderr(),
        third.stdout()
    );
}

/// A queue without a redrive policy is refused unless `--dead-letter-queue`
/// is given; with it, mfaguard moves a poison message there itself.
#[test]
fn queue_without_redrive_policy_moves_poison_to_the_given_dead_letter_queue() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    let sqs = aws_sdk_sqs::Client::new(&s.config);
    let (plain, dead_letter) = s.rt.block_on(async {
        let mut urls = Vec::new();
        for name in ["plain-events", "plain-events-dead"] {
            let output = sqs.create_queue().queue_name(name).send().await.unwrap();
            urls.push(output.queue_url().unwrap().to_string());
        }
        (urls[0].clone(), urls[1].clone())
    });
    let refused = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["watch", "--queue", &plain, "--queue-wait", "1"])
        .envs(s.moto.env("testing", "testing"))
        .env("MFAGUARD_STORE", &s.store)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("has no redrive policy"), "{stderr}");

    let watcher = Watcher::start_with(
        &s.moto,
        None,
        &s.store,
        &plain,
        &s.receiver.url(),
        &["--dead-letter-queue", &dead_letter],
    );
    assert!(
        watcher
            .stderr()
            .contains(&format!("poison messages are moved to {dead_letter}")),
        "{}",
        watcher.stderr()
    );
    s.rt.block_on(async {
        sqs.send_message()
            .queue_url(&plain)
            .message_body("[1, 2")
            .send()
            .await
            .unwrap();
    });
    let mut dead = Vec::new();
    wait_until(
        &watcher,
        Duration::from_secs(20),
        "the poison message in the given dead-letter queue",
        || {
            dead.extend(s.rt.block_on(dead_letters(&s.config, &dead_letter)));
            !dead.is_empty()
        },
    );
    assert_eq!(dead, vec!["[1, 2".to_string()]);
    watcher.wait_for("moved poison message", Duration::from_secs(5));
    // Gone from the queue itself (deleted, not only hidden).
    assert_eq!(
        s.rt.block_on(messages_left(&s.config, &plain)),
        ("0".to_string(), "0".to_string())
    );
    assert!(s.receiver.delivered().is_empty());
}

/// After its first record (in full), the consumer records each batch as
/// what changed since its previous one; read back, those records are the
/// account as a full scan sees it: the diff between the consumer's last
/// record and a full scan made right after is empty, and every record
/// reads back with all of the account's identities.
#[test]
fn event_records_read_back_as_a_full_scan_of_the_account() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    let watcher = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    let names = ["hana", "ivan", "judy", "kate", "liam"];
    for (count, name) in names.iter().enumerate() {
        s.console_user(name);
        wait_until(&watcher, Duration::from_secs(30), "the alert", || {
            alerts(&s.receiver.delivered()).len() == count + 1
        });
    }
    drop(watcher);
    let location = mfaguard_store::Location::Sqlite(s.store.clone().into());
    let mut store = mfaguard_store::Store::open(&location).unwrap();
    let scans = store.scans(&mfaguard_store::ScanFilter::default()).unwrap();
    // The watcher's first full scan, then one record per event.
    assert_eq!(scans.len(), 1 + names.len(), "{scans:#?}");
    let last = scans.last().unwrap().id;
    let arns: Vec<String> = store
        .identities(last, None)
        .unwrap()
        .into_iter()
        .map(|identity| identity.arn)
        .collect();
    for name in names {
        assert!(
            arns.contains(&format!("arn:aws:iam::{ACCOUNT}:user/{name}")),
            "{name} in {arns:?}"
        );
    }
    let report: serde_json::Value =
        serde_json::from_str(&store.report_json(last).unwrap()).unwrap();
    assert_eq!(
        report["identities"].as_array().unwrap().len(),
        arns.len(),
        "{report:#}"
    );
    // Records after the consumer's first hold only what changed.
    let rows = store.table_counts().unwrap()["scan_identities"];
    assert!(
        rows < scans.len() * arns.len() - arns.len(),
        "{rows} identity rows for {} scans of {} identities",
        scans.len(),
        arns.len()
    );
    drop(store);

    // A full scan now (a new watcher starts with one) finds nothing new.
    let full = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    drop(full);
    let mut store = mfaguard_store::Store::open(&location).unwrap();
    let latest = store
        .scans(&mfaguard_store::ScanFilter::default())
        .unwrap()
        .last()
        .unwrap()
        .id;
    assert!(latest > last);
    let diff = store.diff(last, latest, None).unwrap();
    assert!(
        diff.is_empty(),
        "{:#?}",
        serde_json::to_value(&diff).unwrap()
    );
}

/// The scans the store holds of `account` (`mfaguard history`).
fn scans_of(store: &str, account: &str) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(["history", "--account", account, "--format", "json"])
        .env("MFAGUARD_STORE", store)
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Value>(&output.stdout)
        .unwrap()
        .as_array()
        .cloned()
        .unwrap()
}

/// Credentials acting in a member account (moto's seeding role there).
async fn member_config(
    moto: &Moto,
    config: &aws_config::SdkConfig,
    account: &str,
) -> aws_config::SdkConfig {
    let assumed = aws_sdk_sts::Client::new(config)
        .assume_role()
        .role_arn(format!("arn:aws:iam::{account}:role/moto-seed-admin"))
        .role_session_name("seed")
        .send()
        .await
        .unwrap();
    let credentials = assumed.credentials().unwrap();
    moto.sdk_config(
        credentials.access_key_id(),
        credentials.secret_access_key(),
        Some(credentials.session_token()),
    )
    .await
}

/// `watch --org --queue` routes each event to its account: a console user
/// created without MFA in a member account alerts once, naming the member,
/// and is recorded under it; an account whose role cannot be assumed
/// records nothing and keeps its message (which reaches the dead-letter
/// queue, with an error naming the account and the role); an account left
/// out by `--accounts` and one outside the organisation are deleted
/// unhandled, recording nothing.
#[test]
fn organisation_events_are_collected_with_the_member_accounts_role() {
    let Some(s) = setup_with("events_queue", 2) else {
        return;
    };
    const FOREIGN: &str = "210987654321";
    let members: Vec<String> = s.rt.block_on(async {
        let members = create_organization(&s.config, &["dev", "gone", "excluded"]).await;
        for id in &members {
            // moto's credential report of an account without users has no
            // rows (AWS's always has root's): one user makes it readable.
            aws_sdk_iam::Client::new(&member_config(&s.moto, &s.config, id).await)
                .create_user()
                .user_name("deploy")
                .send()
                .await
                .unwrap();
        }
        members
    });
    let (dev, gone, excluded) = (&members[0], &members[1], &members[2]);
    let watched = format!("{ACCOUNT},{dev},{gone}");
    // No fault: the proxy counts the consumer's calls.
    let proxy = FaultProxy::start(&s.python, s.moto.port, &json!([]));
    let watcher = Watcher::start_with(
        &s.moto,
        Some(&proxy.endpoint()),
        &s.store,
        &s.queues.url,
        &s.receiver.url(),
        &["--org", "--accounts", &watched],
    );
    assert_eq!(scans_of(&s.store, gone).len(), 1, "{}", watcher.stderr());
    s.rt.block_on(async {
        // The role the consumer assumes in `gone` disappears after its
        // first scan.
        let iam = aws_sdk_iam::Client::new(&member_config(&s.moto, &s.config, gone).await);
        let role = "OrganizationAccountAccessRole";
        let attached = iam
            .list_attached_role_policies()
            .role_name(role)
            .send()
            .await
            .unwrap();
        for policy in attached.attached_policies() {
            iam.detach_role_policy()
                .role_name(role)
                .policy_arn(policy.policy_arn().unwrap())
                .send()
                .await
                .unwrap();
        }
        iam.delete_role().role_name(role).send().await.unwrap();

        let iam = aws_sdk_iam::Client::new(&member_config(&s.moto, &s.config, dev).await);
        iam.create_user().user_name("mallory").send().await.unwrap();
        iam.create_login_profile()
            .user_name("mallory")
            .password("Initial-Passw0rd!")
            .send()
            .await
            .unwrap();
        let created = |account: &str, event_id: &str, user: &str| {
            iam_call_in(
                account,
                event_id,
                "CreateLoginProfile",
                json!({"userName": user}),
            )
        };
        for (account, event_id, user) in [
            (excluded.as_str(), "event-excluded", "mallory"),
            (FOREIGN, "event-foreign", "mallory"),
            (gone.as_str(), "event-gone", "someone"),
            (dev.as_str(), "event-member", "mallory"),
        ] {
            send_member_event(
                &s.config,
                &s.queues.url,
                account,
                created(account, event_id, user),
            )
            .await;
        }
    });
    wait_until(
        &watcher,
        Duration::from_secs(30),
        "the member's alert",
        || !s.receiver.delivered().is_empty(),
    );
    // The message of `gone` comes back once, then reaches the dead-letter
    // queue (2 receives, 4 s apart): the others must not follow it.
    let mut dead = Vec::new();
    wait_until(
        &watcher,
        Duration::from_secs(40),
        "the unassumable account's event in the dead-letter queue",
        || {
            dead.extend(s.rt.block_on(dead_letters(&s.config, &s.queues.dead_letter_url)));
            !dead.is_empty()
        },
    );
    let stderr = watcher.stderr();
    let delivered = s.receiver.delivered();
    let all = alerts(&delivered);
    assert_eq!(all.len(), 1, "{delivered:#?}\n{stderr}");
    assert_eq!(all[0]["kind"], "new_console_user_without_mfa");
    assert_eq!(all[0]["resource_name"], "mallory");
    assert_eq!(all[0]["account_id"], dev.as_str());
    assert_eq!(delivered[0]["accounts"], json!([dev]));
    assert_eq!(delivered[0]["triggers"][0]["event_id"], "event-member");

    // Recorded under the member only: its first scan and the event's.
    let dev_scans = scans_of(&s.store, dev);
    assert_eq!(dev_scans.len(), 2, "{dev_scans:#?}");
    assert_eq!(dev_scans[1]["accounts"], json!([dev]));
    assert_eq!(scans_of(&s.store, ACCOUNT).len(), 1);
    assert_eq!(scans_of(&s.store, gone).len(), 1);
    assert!(scans_of(&s.store, excluded).is_empty());
    assert!(scans_of(&s.store, FOREIGN).is_empty());

    assert!(
        stderr.contains(&format!(
            "error: event event-gone (CreateLoginProfile in account {gone}): cannot assume arn:aws:iam::{gone}:role/OrganizationAccountAccessRole"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "event event-excluded (CreateLoginProfile in account {excluded}): not handled by this consumer: not among --accounts"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "event event-foreign (CreateLoginProfile in account {FOREIGN}): not handled by this consumer: not among --accounts"
        )),
        "{stderr}"
    );
    // Only the unassumable account's event went to the dead-letter queue;
    // nothing is left in the queue.
    assert_eq!(dead.len(), 1, "{dead:#?}");
    assert!(dead[0].contains("event-gone"), "{}", dead[0]);
    assert_eq!(
        s.rt.block_on(messages_left(&s.config, &s.queues.url)),
        ("0".to_string(), "0".to_string())
    );

    // The member's role is assumed once for the consumer's lifetime, not
    // once per event.
    let assumed = |proxy: &FaultProxy| proxy.requests().get("AssumeRole").copied();
    let before = assumed(&proxy);
    // The full scan's in `dev` and `gone`, the consumer's in `dev`, and its
    // two failed ones in `gone` (one per receive).
    assert_eq!(before, Some(5), "{}", watcher.stderr());
    s.rt.block_on(async {
        let iam = aws_sdk_iam::Client::new(&member_config(&s.moto, &s.config, dev).await);
        iam.create_user().user_name("oscar").send().await.unwrap();
        iam.create_login_profile()
            .user_name("oscar")
            .password("Initial-Passw0rd!")
            .send()
            .await
            .unwrap();
        send_member_event(
            &s.config,
            &s.queues.url,
            dev,
            iam_call_in(
                dev,
                "event-member-2",
                "CreateLoginProfile",
                json!({"userName": "oscar"}),
            ),
        )
        .await;
    });
    wait_until(
        &watcher,
        Duration::from_secs(30),
        "the second alert",
        || alerts(&s.receiver.delivered()).len() == 2,
    );
    assert_eq!(
        alerts(&s.receiver.delivered())[1]["account_id"],
        dev.as_str()
    );
    assert_eq!(assumed(&proxy), before, "{}", watcher.stderr());
}

/// Without `--org`, an event of another account than the credentials' is
/// deleted unhandled: never collected with the caller's credentials.
#[test]
fn without_org_another_accounts_event_is_not_collected() {
    let Some(s) = setup("events_queue") else {
        return;
    };
    const OTHER: &str = "210987654321";
    let watcher = Watcher::start(&s.moto, None, &s.store, &s.queues.url, &s.receiver.url());
    s.rt.block_on(send_member_event(
        &s.config,
        &s.queues.url,
        OTHER,
        iam_call_in(
            OTHER,
            "event-other",
            "CreateLoginProfile",
            json!({"userName": "henry"}),
        ),
    ));
    // The same user name in the caller's account, with its own event:
    // only this one alerts.
    s.console_user("henry");
    wait_until(&watcher, Duration::from_secs(30), "henry's alert", || {
        !s.receiver.delivered().is_empty()
    });
    watcher.wait_for("event event-other", Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    let stderr = watcher.stderr();
    assert!(
        stderr.contains(&format!(
            "event event-other (CreateLoginProfile in account {OTHER}): not handled by this consumer: the credentials are of account {ACCOUNT}"
        )),
        "{stderr}"
    );
    let all = alerts(&s.receiver.delivered());
    assert_eq!(all.len(), 1, "{all:#?}\n{stderr}");
    assert_eq!(all[0]["account_id"], ACCOUNT);
    assert!(scans_of(&s.store, OTHER).is_empty());
    assert_eq!(
        s.rt.block_on(messages_left(&s.config, &s.queues.url)),
        ("0".to_string(), "0".to_string())
    );
    assert!(s
        .rt
        .block_on(dead_letters(&s.config, &s.queues.dead_letter_url))
        .is_empty());
}
