//! `mfaguard watch --queue`: consumes the EventBridge events of IAM changes
//! and console sign-ins from SQS, collects again only what each event
//! changed, analyses the account's stored snapshot patched with it, records
//! the result and its alerts (outbox) in one transaction, and only then
//! deletes the message. A message whose handling fails stays in the queue
//! and comes back; an event recorded before is deleted without a second
//! alert; a poison message goes to the dead-letter queue.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use mfaguard_aws::{
    AccountRouter, CallCounter, Coverage, EventQueue, LiveOptions, OrgOptions, QueueMessage,
    SdkConfig,
};
use mfaguard_core::Config;
use mfaguard_events::{Event, Relevance, SignIn, SignInIdentity};
use mfaguard_store::alerts::{alerts_against, previous_from, Previous};
use mfaguard_store::{
    Alert, AlertKind, DeltaBase, EventRecord, EventRecorded, Location, NewMessage, NewScan,
    RecordedScan, ReportText, ScanRecord, Store,
};
use serde_json::json;
use tokio::sync::{oneshot, Mutex, Semaphore};

use crate::webhook::Delivery;

/// How to consume the queue.
pub struct QueueSettings {
    pub url: String,
    /// Where poison messages go when the queue has no redrive policy.
    pub dead_letter_url: Option<String>,
    /// Long-polling wait of one receive (at most 20 s).
    pub wait: Duration,
    /// How long a received message stays hidden from other consumers; a
    /// consumer that dies mid-message lets it come back after this.
    pub visibility: Duration,
    /// Messages handled at once.
    pub handlers: usize,
    pub verbose: bool,
}

/// What every handler shares.
struct Consumer {
    queue: EventQueue,
    /// Which accounts this consumer covers, and the credentials that
    /// collect each.
    router: AccountRouter,
    options: LiveOptions,
    config: Config,
    location: Location,
    delivery: Option<Delivery>,
    slack: bool,
    /// The queue's redrive policy moves poison messages by itself.
    redrive: bool,
    dead_letter_url: Option<String>,
    verbose: bool,
    /// Per account: its events waiting, and the lock of the one handler
    /// that patches the account's latest snapshot at a time.
    accounts: std::sync::Mutex<HashMap<String, Arc<AccountState>>>,
    /// Wakes the delivery thread.
    deliver_now: std::sync::Mutex<Sender<()>>,
}

/// Where the outcome of a waiting event goes.
type Outcome = oneshot::Sender<Result<(), String>>;

/// Events of one account waiting to be handled, and whether one is.
#[derive(Default)]
struct AccountState {
    /// Held by the one handler at work on the account; holds what it
    /// keeps of the account between batches.
    running: Mutex<Option<Baseline>>,
    /// The events waiting, each with where its outcome goes.
    waiting: std::sync::Mutex<Vec<(Event, Outcome)>>,
}

/// What the consumer keeps of an account between batches, so that a batch
/// costs what it changes and not a read of the whole account: its snapshot
/// and its latest scan's identities (which alerts compare with), as the
/// store holds them. Only a copy: it is checked against the store's scan
/// IDs before each batch (a full `--every` scan or another consumer may
/// have recorded a newer one; then it is read again) and replaced only
/// after a batch's transaction committed. A restarted consumer reads both
/// from the store.
struct Baseline {
    /// The scan of the kept snapshot, as `account_snapshots` names it.
    snapshot_scan_id: Option<i64>,
    snapshot: mfaguard_core::Snapshot,
    /// The account's latest scan, None before its first.
    previous: Option<Previous>,
    /// What this consumer recorded last for the account (that latest
    /// scan), so that the next record holds only what changed; None after
    /// a (re)load from the store: the next record is then written in full.
    recorded: Option<RecordedScan>,
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// Runs until `stop` is set. With `org`, the events of the organisation's
/// accounts (as `--accounts` narrows them) are collected again with the
/// role the organisation scan assumes in each.
#[allow(clippy::too_many_arguments)]
pub fn consume(
    settings: &QueueSettings,
    options: LiveOptions,
    org: Option<OrgOptions>,
    config: Config,
    location: Location,
    delivery: Option<Delivery>,
    slack: bool,
    deliver_now: Sender<()>,
    stop: Arc<AtomicBool>,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let sdk = mfaguard_aws::load_config(&options).await;
        let queue = EventQueue::new(&sdk, &settings.url, options.max_attempts);
        let router = AccountRouter::new(&sdk, &options, org)
            .await
            .context("finding which accounts' events this consumer handles")?;
        print_routing(&router);
        let redrive = queue
            .redrive_policy()
            .await
            .with_context(|| format!("reading the redrive policy of {}", settings.url))?;
        match (&redrive, &settings.dead_letter_url) {
            (Some((arn, count)), _) => eprintln!(
                "poison messages go to {arn} after {count} receives (the queue's redrive policy)"
            ),
            (None, Some(url)) => eprintln!("poison messages are moved to {url}"),
            (None, None) => bail!(
                "the queue {} has no redrive policy: give it a dead-letter queue (see `mfaguard events setup`) or pass --dead-letter-queue URL, so that a poison message cannot block it",
                settings.url
            ),
        }
        let consumer = Arc::new(Consumer {
            queue,
            router,
            options,
            config,
            location,
            delivery,
            slack,
            redrive: redrive.is_some(),
            dead_letter_url: settings.dead_letter_url.clone(),
            verbose: settings.verbose,
            accounts: std::sync::Mutex::new(HashMap::new()),
            deliver_now: std::sync::Mutex::new(deliver_now),
        });
        let permits = Arc::new(Semaphore::new(settings.handlers.max(1)));
        eprintln!("consuming {}", settings.url);
        while !stop.load(Ordering::SeqCst) {
            // Receive only as many as there are free handlers.
            let free = permits.available_permits().clamp(1, 10);
            let receiving = Instant::now();
            let messages = match consumer
                .queue
                .receive(free as i32, settings.wait, settings.visibility)
                .await
            {
                Ok(messages) => messages,
                Err(err) => {
                    eprintln!("error: receiving from the queue: {err} (retrying)");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if settings.verbose && !messages.is_empty() {
                eprintln!(
                    "timing: receive: {} in {:.1} ms",
                    mfaguard_core::words::count(messages.len(), "message", "messages"),
                    receiving.elapsed().as_secs_f64() * 1000.0
                );
            }
            for message in messages {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let consumer = consumer.clone();
                tokio::spawn(async move {
                    consumer.handle(message).await;
                    drop(permit);
                });
            }
        }
        // Let the handlers in flight finish (their messages are deleted
        // only when done).
        let _ = permits
            .acquire_many(u32::try_from(settings.handlers.max(1)).unwrap_or(1))
            .await;
        Ok(())
    })
}

impl Consumer {
    async fn handle(&self, message: QueueMessage) {
        let mut phases = Phases::start(self.verbose);
        let event = match mfaguard_events::parse(&message.body) {
            Ok(event) => event,
            Err(err) => return self.poison(&message, &err.to_string()).await,
        };
        let outcome = match &event.relevance {
            Relevance::Ignored(reason) => {
                if self.verbose {
                    eprintln!(
                        "event {} ({}): ignored: {reason}",
                        event.event_id, event.event_name
                    );
                }
                Ok(())
            }
            Relevance::Change(_) | Relevance::SignIn(_) => match self.covers(&event).await {
                Ok(true) => self.process(&event).await,
                Ok(false) => Ok(()),
                Err(err) => Err(err),
            },
        };
        phases.lap("handled (with its account's batch)");
        match outcome {
            Ok(()) => {
                if let Err(err) = self.queue.delete(&message).await {
                    // Recorded already: a redelivery is recognised by its ID.
                    eprintln!(
                        "error: deleting message {} from the queue: {err}; its event is recorded and will not alert again",
                        message.message_id
                    );
                }
                phases.lap("delete");
                phases.print(&format!("event {}", event.event_id));
            }
            Err(err) => eprintln!(
                "error: event {} ({} in account {}): {err:#}; the message stays in the queue and comes back after its visibility timeout (receive {})",
                event.event_id, event.event_name, event.account_id, message.receive_count
            ),
        }
    }

    /// Whether this consumer handles the event's account. An event of
    /// another account is logged and its message deleted: nothing is
    /// recorded for it, and left in the queue it would only come back
    /// until the dead-letter queue. Not knowing (the account list could
    /// not be read) is an error: the message stays.
    async fn covers(&self, event: &Event) -> Result<bool> {
        match self.router.coverage(&event.account_id).await {
            Ok(Coverage::Covered) => Ok(true),
            Ok(Coverage::NotCovered(why)) => {
                eprintln!(
                    "event {} ({} in account {}): not handled by this consumer: {why}; message deleted",
                    event.event_id, event.event_name, event.account_id
                );
                Ok(false)
            }
            Err(err) => Err(anyhow::Error::new(err).context(format!(
                "deciding whether account {} is covered",
                event.account_id
            ))),
        }
    }

    /// The SDK configuration that collects the account: the consumer's own
    /// credentials for its account, the organisation role's for another.
    async fn sdk_for(&self, account: &str) -> Result<SdkConfig> {
        Ok(self.router.config_for(account).await?)
    }

    async fn poison(&self, message: &QueueMessage, why: &str) {
        eprintln!(
            "error: poison message {} (receive {}): {why}",
            message.message_id, message.receive_count
        );
        if self.redrive {
            // Visible again at once: the redrive policy moves it to the
            // dead-letter queue after its maximum receives.
            if let Err(err) = self.queue.release(message, Duration::ZERO).await {
                eprintln!(
                    "error: releasing poison message {}: {err}",
                    message.message_id
                );
            }
        } else if let Some(url) = &self.dead_letter_url {
            match self.queue.move_to(url, message).await {
                Ok(()) => eprintln!("moved poison message {} to {url}", message.message_id),
                Err(err) => eprintln!(
                    "error: moving poison message {} to {url}: {err}",
                    message.message_id
                ),
            }
        }
    }

    fn account(&self, account: &str) -> Arc<AccountState> {
        lock(&self.accounts)
            .entry(account.to_string())
            .or_default()
            .clone()
    }

    /// Handles an event with the others of its account that are waiting:
    /// one re-collection of all their identities, one analysis, one
    /// record. A burst of changes costs about as much as one.
    async fn process(&self, event: &Event) -> Result<()> {
        let state = self.account(&event.account_id);
        let (sender, mut outcome) = oneshot::channel();
        lock(&state.waiting).push((event.clone(), sender));
        // Done as soon as some handler's batch took this event: a handler
        // whose event was handled must not queue for the account's lock
        // behind the next batches (it holds a handler slot until its
        // message is deleted).
        let result = loop {
            tokio::select! {
                biased;
                result = &mut outcome => break result,
                mut baseline = state.running.lock() => {
                    // Empty when an earlier handler took this event with
                    // its own (its outcome is then sent already).
                    let batch = std::mem::take(&mut *lock(&state.waiting));
                    if !batch.is_empty() {
                        let (events, senders): (Vec<Event>, Vec<_>) =
                            batch.into_iter().unzip();
                        let result = self
                            .process_batch(&events, &mut baseline)
                            .await
                            .map_err(|err| format!("{err:#}"));
                        for sender in senders {
                            let _ = sender.send(result.clone());
                        }
                    }
                }
            }
        };
        match result {
            Ok(result) => result.map_err(anyhow::Error::msg),
            Err(_) => bail!("the handler of this event's account stopped"),
        }
    }

    async fn process_batch(&self, events: &[Event], kept: &mut Option<Baseline>) -> Result<()> {
        let mut phases = Phases::start(self.verbose);
        let mut store = Store::open(&self.location)?;
        let mut fresh: Vec<&Event> = Vec::new();
        for event in events {
            if store.event_seen(&event.event_id)?
                || fresh.iter().any(|e| e.event_id == event.event_id)
            {
                if self.verbose {
                    eprintln!(
                        "event {} was processed before: not alerting again",
                        event.event_id
                    );
                }
            } else {
                fresh.push(event);
            }
        }
        let mut subjects = Vec::new();
        for event in &fresh {
            match &event.relevance {
                Relevance::Change(changed) => subjects.extend(changed.iter().cloned()),
                // Sign-ins change nothing: recorded one by one.
                Relevance::SignIn(sign_in) => {
                    let alerts = sign_in_alerts(&mut store, event, sign_in)?;
                    self.record(&mut store, &[event], None, None, &alerts)?;
                }
                Relevance::Ignored(_) => {}
            }
        }
        subjects.sort();
        subjects.dedup();
        phases.lap("dedupe");
        if subjects.is_empty() {
            return Ok(());
        }
        let changes: Vec<&Event> = fresh
            .into_iter()
            .filter(|e| matches!(e.relevance, Relevance::Change(_)))
            .collect();
        let account = &changes[0].account_id;
        let sdk = self.sdk_for(account).await?;
        let baseline = match kept.take() {
            Some(baseline) if is_current(&mut store, account, &baseline)? => {
                phases.lap("baseline check");
                baseline
            }
            _ => {
                let Some(snapshot) = store.latest_snapshot(account)? else {
                    bail!(
                        "no snapshot of account {account} is stored yet (the full scan records one)"
                    );
                };
                let baseline = Baseline {
                    snapshot_scan_id: store.snapshot_scan_id(account)?.flatten(),
                    snapshot,
                    previous: store.previous(account)?,
                    recorded: None,
                };
                phases.lap("baseline load");
                baseline
            }
        };
        let calls = CallCounter::default();
        let recollected =
            mfaguard_aws::recollect(&sdk, &self.options, &baseline.snapshot, &subjects, &calls)
                .await;
        // Nothing was written yet: what is kept stays right.
        let baseline = kept.insert(baseline);
        let patched = recollected.with_context(|| {
            format!(
                "collecting {} again",
                subjects
                    .iter()
                    .map(describe_subject)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        phases.lap_with(
            "re-collection",
            format!("{} IAM calls", calls.tally().total()),
        );
        let now = chrono::Utc::now();
        let mut report = mfaguard_core::analyze(std::slice::from_ref(&patched), &self.config, now);
        phases.lap("analysis");
        let text = ReportText::of(&mut report);
        let record = ScanRecord::with_report_json(
            &report,
            std::slice::from_ref(&patched),
            &self.config,
            None,
            String::new(),
        );
        phases.lap("scan record");
        let alerts = baseline
            .previous
            .as_ref()
            .map(|previous| alerts_against(previous, &record, account))
            .unwrap_or_default();
        phases.lap("alerts");
        // Until the transaction commits, the store may hold either state.
        let Some(baseline) = kept.take() else {
            bail!("the kept state of account {account} went missing");
        };
        let scan = NewScan {
            record: &record,
            report: text,
            snapshot: &patched,
        };
        let base = baseline.recorded.as_ref().map(|recorded| DeltaBase {
            recorded,
            snapshot: &baseline.snapshot,
        });
        let (_, recorded) = self.record(&mut store, &changes, Some(scan), base, &alerts)?;
        if let Some(recorded) = recorded {
            let previous = previous_from(recorded.scan_id(), &record, account);
            *kept = Some(Baseline {
                snapshot_scan_id: Some(recorded.scan_id()),
                snapshot: patched,
                previous: Some(previous),
                recorded: Some(recorded),
            });
        }
        phases.lap("store");
        phases.print(&format!(
            "batch of {} in account {account}",
            mfaguard_core::words::count(changes.len(), "event", "events")
        ));
        Ok(())
    }

    /// Records events with their scan and alerts, then wakes the delivery.
    fn record(
        &self,
        store: &mut Store,
        events: &[&Event],
        scan: Option<NewScan<'_>>,
        base: Option<DeltaBase<'_>>,
        alerts: &[Alert],
    ) -> Result<(EventRecorded, Option<RecordedScan>)> {
        let records: Vec<EventRecord> = events
            .iter()
            .map(|event| EventRecord {
                event_id: event.event_id.clone(),
                account_id: event.account_id.clone(),
                event_name: event.event_name.clone(),
                event_time: event.time,
                alerts: alerts.len(),
            })
            .collect();
        let messages = |scan_id: Option<i64>| -> Vec<NewMessage> {
            match &self.delivery {
                Some(delivery) if !alerts.is_empty() => vec![NewMessage {
                    target: mfaguard_store::target_key(&delivery.url),
                    format: if self.slack { "slack" } else { "json" }.to_string(),
                    payload: payload(scan_id, events, alerts),
                }],
                _ => Vec::new(),
            }
        };
        let (recorded, kept) = store.record_event_batch(&records, scan, base, &messages)?;
        if let EventRecorded::New { scan_id } = recorded {
            print_alerts(scan_id, events, alerts)?;
            if !alerts.is_empty() {
                let _ = lock(&self.deliver_now).send(());
            }
        }
        Ok((recorded, kept))
    }
}

/// Says which accounts' events are handled, and with which credentials.
fn print_routing(router: &AccountRouter) {
    match router.role_name() {
        Some(role) => eprintln!(
            "events of account {} are collected with its own credentials, those of the organisation's other accounts with the role {role} in each",
            router.caller()
        ),
        None => eprintln!(
            "events of account {} are handled; other accounts' are deleted unhandled (--org routes an organisation's)",
            router.caller()
        ),
    }
}

/// Whether what the consumer kept of `account` is still what the store
/// holds: the same kept snapshot and the same latest scan.
fn is_current(store: &mut Store, account: &str, baseline: &Baseline) -> Result<bool> {
    Ok(
        store.snapshot_scan_id(account)? == Some(baseline.snapshot_scan_id)
            && store.latest_scan_of(account)?
                == baseline.previous.as_ref().map(|previous| previous.scan_id),
    )
}

/// Time spent in each step of handling a batch, printed under `--verbose`
/// so that a slow consumer shows where its time goes.
struct Phases {
    enabled: bool,
    last: Instant,
    laps: Vec<String>,
}

impl Phases {
    fn start(enabled: bool) -> Phases {
        Phases {
            enabled,
            last: Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, name: &str) {
        self.lap_with(name, String::new());
    }

    fn lap_with(&mut self, name: &str, note: String) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let millis = (now - self.last).as_secs_f64() * 1000.0;
        self.last = now;
        self.laps.push(if note.is_empty() {
            format!("{name} {millis:.1} ms")
        } else {
            format!("{name} {millis:.1} ms ({note})")
        });
    }

    fn print(&self, what: &str) {
        if self.enabled {
            eprintln!("timing: {what}: {}", self.laps.join(", "));
        }
    }
}

fn describe_subject(subject: &mfaguard_events::Subject) -> String {
    use mfaguard_events::Subject;
    match subject {
        Subject::Root => "root".to_string(),
        Subject::User(name) => format!("user {name}"),
        Subject::Group(name) => format!("group {name} and its members"),
        Subject::Role(name) => format!("role {name}"),
        Subject::ManagedPolicy(arn) => format!("policy {arn}"),
        Subject::VirtualMfaDevice(serial) => format!("virtual MFA device {serial}"),
    }
}

/// A successful console sign-in of root or of a break-glass user (as the
/// latest stored scan of the account knows it).
fn sign_in_alerts(store: &mut Store, event: &Event, sign_in: &SignIn) -> Result<Vec<Alert>> {
    if !sign_in.success {
        return Ok(Vec::new());
    }
    let previous_scan_id = store.latest_scan_of(&event.account_id)?;
    let (arn, name, what) = match &sign_in.identity {
        SignInIdentity::Root => (
            format!("arn:aws:iam::{}:root", event.account_id),
            "<root_account>".to_string(),
            "root".to_string(),
        ),
        SignInIdentity::User(user) => {
            let Some(scan_id) = previous_scan_id else {
                return Ok(Vec::new());
            };
            let identities = store.identities(scan_id, Some(&event.account_id))?;
            let Some(identity) = identities
                .iter()
                .find(|i| i.kind == "user" && &i.name == user && i.breakglass)
            else {
                return Ok(Vec::new());
            };
            (
                identity.arn.clone(),
                identity.name.clone(),
                format!("break-glass user {user}"),
            )
        }
        SignInIdentity::Other(_) => return Ok(Vec::new()),
    };
    let mfa = match sign_in.mfa_used {
        Some(true) => "with MFA",
        Some(false) => "without MFA",
        None => "(MFA use not recorded)",
    };
    Ok(vec![Alert {
        kind: AlertKind::SensitiveSignIn,
        severity: "critical".to_string(),
        account_id: event.account_id.clone(),
        resource_arn: arn,
        resource_name: name,
        message: format!(
            "{what} signed in to the console {mfa} at {}{}",
            mfaguard_store::time::format(event.time),
            event
                .region
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ),
        previous_scan_id,
        details: json!({"mfa_used": sign_in.mfa_used, "event_id": event.event_id}),
    }])
}

/// The webhook event (docs/store.md): the alerts of a scan, with the
/// events that caused them.
fn payload(scan_id: Option<i64>, events: &[&Event], alerts: &[Alert]) -> serde_json::Value {
    let triggers: Vec<serde_json::Value> = events
        .iter()
        .map(|event| {
            json!({
                "event_id": event.event_id,
                "event_name": event.event_name,
                "event_time": mfaguard_store::time::format(event.time),
                "actor": event.actor,
            })
        })
        .collect();
    json!({
        "schema_version": 1,
        "type": "mfaguard.alerts",
        "scan_id": scan_id,
        "scanned_at": mfaguard_store::time::format(chrono::Utc::now()),
        "accounts": events.first().map(|e| vec![e.account_id.clone()]).unwrap_or_default(),
        "alerts": alerts,
        "triggers": triggers,
    })
}

fn print_alerts(scan_id: Option<i64>, events: &[&Event], alerts: &[Alert]) -> Result<()> {
    let mut text = String::new();
    for event in events {
        text.push_str(&format!(
            "event {} {} in {}{}\n",
            event.event_id,
            event.event_name,
            event.account_id,
            scan_id
                .map(|id| format!(" (scan {id})"))
                .unwrap_or_default(),
        ));
    }
    text.push_str(&format!(
        "  {}\n",
        mfaguard_core::words::count(alerts.len(), "alert", "alerts")
    ));
    for alert in alerts {
        text.push_str(&format!(
            "  [{}] {} {}: {}\n",
            alert.severity,
            alert.kind.as_str(),
            alert.account_id,
            alert.message
        ));
    }
    crate::output::write_stdout(&text)
}
