//! `--security-hub` against moto (a real implementation of the Security
//! Hub HTTP API, started on 127.0.0.1 by the test): the demo's findings go
//! in batches of 100 with the official SDK and are read back with
//! GetFindings; findings Security Hub rejects are reported by id with the
//! reason.

mod support {
    pub mod moto;
}

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::moto::{mfaguard, python_or_skip, runtime, Moto};

const NOW: &str = "2026-11-22T12:00:00Z";

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/demo-account")
}

/// Every finding Security Hub holds, page by page.
async fn read_back(
    config: &aws_config::SdkConfig,
) -> Vec<aws_sdk_securityhub::types::AwsSecurityFinding> {
    let client = aws_sdk_securityhub::Client::new(config);
    let mut findings = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..100 {
        let page = client
            .get_findings()
            .max_results(100)
            .set_next_token(token.clone())
            .send()
            .await
            .expect("GetFindings");
        findings.extend(page.findings().iter().cloned());
        token = page
            .next_token()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if token.is_none() {
            break;
        }
    }
    findings
}

#[test]
fn the_demo_is_pushed_in_batches_and_read_back() {
    let Some(python) = python_or_skip("the_demo_is_pushed_in_batches_and_read_back") else {
        return;
    };
    let moto = Moto::start(&python, &json!({}), &[]);
    let env = moto.env("testing", "testing");
    let demo_dir = demo();
    let config = demo().join("mfaguard.toml");
    let output = mfaguard(
        &env,
        &[
            "scan",
            "--from",
            demo_dir.to_str().expect("path"),
            "--config",
            config.to_str().expect("path"),
            "--now",
            NOW,
            "--format",
            "asff",
            "--security-hub",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let written: Vec<Value> = serde_json::from_slice(&output.stdout).expect("ASFF");
    assert!(written.len() > 100, "more than one batch");
    assert!(
        stderr.contains(&format!(
            "Security Hub (us-east-1): {0} of {0} findings imported in 2 calls",
            written.len()
        )),
        "{stderr}"
    );
    // The SDK's finding type is large: a debug build needs more than the
    // test thread's stack to decode a page of them.
    let endpoint_moto = &moto;
    let stored = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn_scoped(scope, || {
                runtime().block_on(async {
                    let config = endpoint_moto.sdk_config("testing", "testing", None).await;
                    read_back(&config).await
                })
            })
            .expect("thread")
            .join()
            .expect("read back")
    });
    let stored: BTreeMap<&str, _> = stored
        .iter()
        .map(|finding| (finding.id().unwrap_or_default(), finding))
        .collect();
    assert_eq!(stored.len(), written.len(), "every finding once");
    for finding in &written {
        let id = finding["Id"].as_str().expect("id");
        let back = stored
            .get(id)
            .unwrap_or_else(|| panic!("{id} not read back"));
        assert_eq!(back.product_arn(), finding["ProductArn"].as_str());
        assert!(back
            .product_arn()
            .is_some_and(|arn| arn.starts_with("arn:aws:securityhub:us-east-1:111122223333:")));
        assert_eq!(back.title(), finding["Title"].as_str());
        assert_eq!(back.aws_account_id(), finding["AwsAccountId"].as_str());
        assert_eq!(
            back.severity().and_then(|s| s.label()).map(|l| l.as_str()),
            finding["Severity"]["Label"].as_str()
        );
        assert_eq!(
            back.compliance()
                .and_then(|c| c.status())
                .map(|s| s.as_str()),
            finding["Compliance"]["Status"].as_str()
        );
        let requirements: Vec<&str> = back
            .compliance()
            .map(|c| {
                c.related_requirements()
                    .iter()
                    .map(String::as_str)
                    .collect()
            })
            .unwrap_or_default();
        let expected: Vec<&str> = finding["Compliance"]["RelatedRequirements"]
            .as_array()
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(requirements, expected, "{id}");
        let resource = &back.resources()[0];
        assert_eq!(resource.r#type(), finding["Resources"][0]["Type"].as_str());
        assert_eq!(resource.id(), finding["Resources"][0]["Id"].as_str());
        assert_eq!(
            back.workflow().and_then(|w| w.status()).map(|s| s.as_str()),
            finding["Workflow"]["Status"].as_str()
        );
    }
}

#[test]
fn rejected_findings_are_reported_by_id_with_the_reason() {
    let Some(python) = python_or_skip("rejected_findings_are_reported_by_id_with_the_reason")
    else {
        return;
    };
    let moto = Moto::start(&python, &json!({}), &[]);
    // 150 findings, three of them without a resource (Security Hub
    // requires one): two batches, three rejected, the rest imported.
    let template: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/demo.asff.json"),
        )
        .expect("golden ASFF"),
    )
    .expect("JSON");
    let template = template[0].clone();
    let findings: Vec<Value> = (0..150)
        .map(|n| {
            let mut finding = template.clone();
            finding["Id"] = Value::from(format!("mfaguard/test/{n}"));
            if [7, 99, 120].contains(&n) {
                finding["Resources"] = json!([]);
            }
            finding
        })
        .collect();
    let outcome = runtime().block_on(async {
        let config = moto.sdk_config("testing", "testing", None).await;
        mfaguard_aws::import_findings(&config, &findings, 3).await
    });
    let outcome = outcome.expect("the calls succeed");
    assert_eq!(outcome.calls, 2);
    assert_eq!(outcome.imported, 147);
    let ids: Vec<&str> = outcome.rejected.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        ["mfaguard/test/7", "mfaguard/test/99", "mfaguard/test/120"]
    );
    for rejected in &outcome.rejected {
        assert_eq!(rejected.code, "InvalidInput");
        assert!(
            rejected.message.contains("at least one resource"),
            "{}",
            rejected.message
        );
    }
}

#[test]
fn an_unreachable_security_hub_is_an_error() {
    // A closed port: the push fails in plain words and the exit code is 2.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("port");
    let env: Vec<(String, String)> = [
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "eu-west-1".into()),
        ("AWS_CONFIG_FILE", "/dev/null".into()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    // One attempt per call, from the configuration (live flags do not go
    // with --from).
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("mfaguard.toml");
    std::fs::write(&config, "[live]\nmax_attempts = 1\n").expect("config");
    let demo_dir = demo();
    let output = mfaguard(
        &env,
        &[
            "scan",
            "--from",
            demo_dir.to_str().expect("path"),
            "--config",
            config.to_str().expect("path"),
            "--now",
            NOW,
            "--format",
            "json",
            "--security-hub",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Security Hub"), "{stderr}");
    assert!(
        stderr.contains("securityhub:BatchImportFindings"),
        "{stderr}"
    );
}
