//! Fuzzes the configuration parser (TOML: break-glass users, exceptions,
//! scan settings). Errors must name the line; nothing may panic.
//!
//! Run with: `RUSTC_BOOTSTRAP=1 cargo fuzz run config` from this directory.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mfaguard_core::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Config::parse(Path::new("mfaguard.toml"), text);
    }
});
