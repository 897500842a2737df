//! Fuzzes the offline reader and the whole analysis: the input is split on
//! 0xFF bytes into the four AWS CLI exports of an account (credential report
//! CSV, authorization details, virtual MFA devices, account summary), written
//! to a folder, read with `offline::read_dir` and analysed. Bad input must
//! give an error, never a panic.
//!
//! Run with: `RUSTC_BOOTSTRAP=1 cargo fuzz run offline_account` from this
//! directory (or `cargo +nightly fuzz run ...`).
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use mfaguard_core::{analyze, offline, Config};

const FILES: [&str; 4] = [
    "credential-report.csv",
    "account-authorization-details.json",
    "virtual-mfa-devices.json",
    "account-summary.json",
];

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    for (name, part) in FILES.iter().zip(data.split(|byte| *byte == 0xFF)) {
        if std::fs::write(dir.path().join(name), part).is_err() {
            return;
        }
    }
    let Some(now) = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single() else {
        return;
    };
    if let Ok(snapshot) = offline::read_dir(dir.path(), now) {
        let _ = analyze(&[snapshot], &Config::new(), now);
    }
});
