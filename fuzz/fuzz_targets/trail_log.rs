//! Fuzzes the CloudTrail log reader and the analysis of its records: any
//! bytes (gzipped or not) must be read or named as bad, never panic, and
//! every record must be either analysed or counted as skipped.
//!
//! Run with: `RUSTC_BOOTSTRAP=1 cargo fuzz run trail_log` from this directory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfaguard_trail::activity::Activity;
use mfaguard_trail::reader::{read_bytes, ReadStats};
use mfaguard_trail::{Knowledge, Window};

fuzz_target!(|data: &[u8]| {
    let knowledge = Knowledge::from_config(&mfaguard_core::Config::new());
    let mut activity = Activity::new(&knowledge, Window::default());
    let mut stats = ReadStats::default();
    read_bytes("fuzz.json", data, &mut activity, &mut stats);
    assert_eq!(
        stats.records,
        activity.records_analysed + activity.records_outside_window + stats.records_skipped
    );
});
