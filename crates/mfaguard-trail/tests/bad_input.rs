//! Bad input is named with the file and the reason, the rest is read, and
//! every skipped file and record is counted: nothing is dropped silently.

use std::io::Write;
use std::path::Path;

use flate2::write::GzEncoder;
use mfaguard_core::Config;
use mfaguard_trail::reader::{read_bytes, ReadStats, RecordSink};
use mfaguard_trail::record::{FieldError, Record};
use mfaguard_trail::{analyze_folder, Knowledge, Window};
use proptest::prelude::*;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

const GOOD: &str = r#"{"Records": [
 {"eventTime": "2026-11-05T09:12:01Z", "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
  "recipientAccountId": "111122223333", "responseElements": {"ConsoleLogin": "Success"},
  "additionalEventData": {"MFAUsed": "No"},
  "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/erin", "accountId": "111122223333", "userName": "erin"}}
]}"#;

fn write(root: &Path, name: &str, bytes: &[u8]) -> String {
    let dir = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/05");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path.display().to_string()
}

#[test]
fn every_bad_file_and_record_is_named_and_the_rest_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    write(root, "good.json.gz", &gzip(GOOD.as_bytes()));
    let whole = gzip(GOOD.as_bytes());
    let truncated = write(root, "truncated.json.gz", &whole[..whole.len() / 2]);
    let not_json = write(
        root,
        "not-json.json",
        b"<html>503 Service Unavailable</html>",
    );
    let no_records = write(root, "no-records.json", br#"{"Events": []}"#);
    let not_array = write(
        root,
        "records-object.json",
        br#"{"Records": {"eventName": "x"}}"#,
    );
    let cut = write(root, "cut.json", &GOOD.as_bytes()[..GOOD.len() - 3]);
    let latin1 = write(
        root,
        "latin1.json",
        b"{\"Records\": [{\"eventName\": \"caf\xe9\"}]}",
    );
    let wrong_types = write(
        root,
        "wrong-types.json",
        br#"{"Records": [
            {"eventTime": 1730800000, "eventName": "ConsoleLogin", "eventSource": "signin.amazonaws.com", "userIdentity": {}},
            {"eventTime": "2026-11-05T09:00:00Z", "eventName": "ListUsers", "eventSource": "iam.amazonaws.com",
             "recipientAccountId": "111122223333",
             "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/erin",
                              "sessionContext": {"attributes": {"mfaAuthenticated": false}}}},
            "not a record",
            {"eventTime": "yesterday", "eventName": "x", "eventSource": "y"}
        ]}"#,
    );
    let digest_dir = root.join("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/11/05");
    std::fs::create_dir_all(&digest_dir).expect("mkdir");
    std::fs::write(
        digest_dir
            .join("111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20261105T100000Z.json.gz"),
        gzip(b"{}"),
    )
    .expect("digest");
    std::fs::write(root.join("README.txt"), b"exported logs").expect("readme");

    let knowledge = Knowledge::from_config(&Config::new());
    let now = "2026-11-22T12:00:00Z".parse().expect("time");
    let report = analyze_folder(root, &knowledge, Window::default(), 2, now).expect("report");
    let inputs = &report.inputs;
    assert!(inputs.is_partial());

    // The good file and the records before a cut are counted.
    let erin = report
        .identities
        .iter()
        .find(|identity| identity.name == "erin")
        .expect("erin");
    assert_eq!(erin.months[0].console_sign_ins.without_mfa, 2);

    let failed: Vec<(&str, &str)> = inputs
        .files_failed
        .iter()
        .map(|file| (file.path.as_str(), file.reason.as_str()))
        .collect();
    let reason = |path: &str| {
        failed
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, reason)| *reason)
            .unwrap_or_else(|| panic!("{path} is not named among {failed:?}"))
    };
    assert!(
        reason(&truncated).contains("not a complete gzip file"),
        "{}",
        reason(&truncated)
    );
    assert!(
        reason(&not_json).contains("not valid JSON"),
        "{}",
        reason(&not_json)
    );
    assert!(
        reason(&no_records).contains("no `Records` array"),
        "{}",
        reason(&no_records)
    );
    assert!(
        reason(&not_array).contains("array of event records"),
        "{}",
        reason(&not_array)
    );
    assert!(reason(&cut).contains("ends early"), "{}", reason(&cut));
    assert!(reason(&latin1).contains("not UTF-8"), "{}", reason(&latin1));
    assert_eq!(failed.len(), 6);
    // The cut file's one record was complete before the cut.
    let cut_file = inputs
        .files_failed
        .iter()
        .find(|f| f.path == cut)
        .expect("cut");
    assert_eq!(cut_file.records_before_error, 1);

    let skipped: Vec<(usize, &str)> = inputs
        .records_skipped_listed
        .iter()
        .filter(|record| record.path == wrong_types)
        .map(|record| (record.index, record.reason.as_str()))
        .collect();
    assert_eq!(
        skipped,
        [
            (0, "`eventTime` is a number, expected a string"),
            (1, "`userIdentity.sessionContext.attributes.mfaAuthenticated` is a boolean, expected a string"),
            (2, "the record is a string, not an object"),
            (3, "`eventTime` `yesterday` is not an RFC 3339 time such as 2026-11-05T09:12:01Z"),
        ]
    );
    assert_eq!(inputs.records_skipped, 4);
    // 1 (good) + 1 (cut, before the cut) + 4 (wrong types).
    assert_eq!(inputs.records, 6);
    assert_eq!(inputs.records_analysed, 2);

    assert_eq!(inputs.digest_files, 1);
    let not_read: Vec<&str> = inputs
        .files_skipped
        .iter()
        .map(|f| f.reason.as_str())
        .collect();
    assert_eq!(not_read.len(), 2);
    assert!(not_read.iter().any(|reason| reason.contains("digest file")));
    assert!(not_read
        .iter()
        .any(|reason| reason.contains("does not end in .json")));

    // The text report names them too.
    let text = report.to_text();
    assert!(text.contains(&format!("PARTIAL: {truncated}")));
    assert!(text.contains("skipped record 2 of"));
}

#[test]
fn a_missing_folder_is_an_error_naming_it() {
    let knowledge = Knowledge::from_config(&Config::new());
    let now = "2026-11-22T12:00:00Z".parse().expect("time");
    let err = analyze_folder(
        Path::new("/nonexistent/trail"),
        &knowledge,
        Window::default(),
        1,
        now,
    )
    .expect_err("missing");
    assert!(err.to_string().starts_with("/nonexistent/trail: "), "{err}");
}

/// Counts records, and reads every field the analysis reads.
struct Touch(u64);

impl RecordSink for Touch {
    fn record(&mut self, record: &Record<'_>) -> Result<(), FieldError> {
        record.event_time.get("eventTime")?;
        if let Some(identity) = record.user_identity.get("userIdentity")? {
            identity.kind.get("type")?;
            if let Some(context) = identity.session_context.get("sessionContext")? {
                context.attributes.get("attributes")?;
            }
        }
        self.0 += 1;
        Ok(())
    }
}

fn mutate(base: &[u8], cuts: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = base.to_vec();
    for (at, byte) in cuts {
        if !bytes.is_empty() {
            let i = at % bytes.len();
            bytes[i] = *byte;
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic, and every record is either analysed or
    /// counted as skipped.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut sink = Touch(0);
        let mut stats = ReadStats::default();
        read_bytes("fuzz.json", &bytes, &mut sink, &mut stats);
        prop_assert_eq!(stats.records, sink.0 + stats.records_skipped);
    }

    /// A real log with bytes replaced, plain or gzipped: no panic, and the
    /// counts add up.
    #[test]
    fn mutated_logs_never_panic(
        cuts in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        gzipped in any::<bool>(),
    ) {
        let text = mutate(GOOD.as_bytes(), &cuts);
        let bytes = if gzipped { mutate(&gzip(GOOD.as_bytes()), &cuts) } else { text };
        let mut sink = Touch(0);
        let mut stats = ReadStats::default();
        read_bytes("fuzz.json", &bytes, &mut sink, &mut stats);
        prop_assert_eq!(stats.records, sink.0 + stats.records_skipped);
        prop_assert!(stats.failed_files.len() <= 1);
    }
}
