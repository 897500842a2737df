//! `trail --store`: records each log file's KPIs in the history.

use anyhow::{Context, Result};
use mfaguard_store::{Location, Store};
use mfaguard_trail::kpi::FileReading;

/// Records the readings (see `mfaguard_store::trail` for what replaces
/// what) and says what was done on standard error.
pub fn record(location: &Location, readings: &[FileReading]) -> Result<()> {
    let mut store = Store::open(location)?;
    let done = store
        .record_trail(readings, false, &|_| Vec::new())
        .with_context(|| format!("cannot record the trail figures in {}", location.display()))?;
    let mut line = format!(
        "recorded the figures of {} in {}",
        mfaguard_core::words::count(done.recorded, "log file", "log files"),
        location.display()
    );
    if done.kept > 0 {
        line.push_str(&format!(
            "; {} cut by --since/--until kept the complete figures recorded before",
            mfaguard_core::words::count(done.kept, "file", "files")
        ));
    }
    if done.failed > 0 {
        line.push_str(&format!(
            "; {} not read to the end not recorded (read again next time)",
            mfaguard_core::words::count(done.failed, "file", "files")
        ));
    }
    eprintln!("{line}");
    Ok(())
}
