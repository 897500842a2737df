//! The store on a real PostgreSQL server: `MFAGUARD_TEST_POSTGRES` (set by
//! `scripts/with-postgres.sh`). Each test gets a new database. Without the
//! variable the tests fail under CI and are skipped, with a notice, locally.

mod scenarios;
mod support;

#[test]
fn postgres_migrations_from_empty() {
    let Some(location) = support::postgres_location("migrations") else {
        return;
    };
    scenarios::migrations_from_empty(&location);
}

#[test]
fn postgres_three_scans_diff_and_time_to_remediate() {
    let Some(location) = support::postgres_location("three_scans") else {
        return;
    };
    scenarios::three_scans(&location);
}

#[test]
fn postgres_shards_add_up() {
    let Some(location) = support::postgres_location("shards") else {
        return;
    };
    scenarios::shards_add_up(&location);
}

#[test]
fn postgres_injected_failure_rolls_back() {
    let Some(location) = support::postgres_location("injected") else {
        return;
    };
    scenarios::injected_failure(&location);
}

#[test]
fn postgres_concurrent_writers() {
    let Some(location) = support::postgres_location("writers") else {
        return;
    };
    scenarios::concurrent_writers(&location, 8, 10);
}

#[test]
fn postgres_concurrent_migrations() {
    let Some(location) = support::postgres_location("migrate") else {
        return;
    };
    scenarios::concurrent_migrations(&location, 8);
}

#[test]
fn postgres_killed_writer_leaves_no_partial_scan() {
    let Some(location) = support::postgres_location("killed") else {
        return;
    };
    let mfaguard_store::Location::Postgres(url) = &location else {
        unreachable!()
    };
    let url = url.clone();
    scenarios::killed_writer(&location, &url);
}

#[test]
fn postgres_outbox() {
    let Some(location) = support::postgres_location("outbox") else {
        return;
    };
    scenarios::outbox(&location);
}

#[test]
fn postgres_alerts() {
    let Some(location) = support::postgres_location("alerts") else {
        return;
    };
    scenarios::alerts(&location);
}

#[test]
fn postgres_unreachable_server_is_a_clear_error() {
    if support::postgres_base().is_none() {
        return;
    }
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let location = mfaguard_store::Location::Postgres(format!(
        "postgres://mfaguard:secret@127.0.0.1:{port}/x?connect_timeout=5"
    ));
    let err = mfaguard_store::Store::open(&location)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("cannot open the store"), "{err}");
    assert!(!err.contains("secret"), "password shown: {err}");
}

/// Run in a child process by `postgres_killed_writer_leaves_no_partial_scan`.
#[test]
#[ignore = "run as a child process by another test"]
fn child_writer() {
    scenarios::child_writer();
}

#[test]
fn postgres_processed_events() {
    let Some(location) = support::postgres_location("processed_events") else {
        return;
    };
    scenarios::processed_events(&location);
}

#[test]
fn postgres_latest_per_account() {
    let Some(location) = support::postgres_location("latest_per_account") else {
        return;
    };
    scenarios::latest_per_account(&location);
}

#[test]
fn postgres_trail_kpis() {
    let Some(location) = support::postgres_location("trail_kpis") else {
        return;
    };
    scenarios::trail_kpis(&location);
}

#[test]
fn postgres_delta_records_read_as_full_ones() {
    let (Some(deltas), Some(full)) = (
        support::postgres_location("delta_records"),
        support::postgres_location("delta_records_full"),
    ) else {
        return;
    };
    scenarios::delta_records(&deltas, &full);
}
