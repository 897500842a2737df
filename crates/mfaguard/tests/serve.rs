//! `mfaguard serve` over real HTTP: security headers on every response,
//! the token rule, the JSON API behind each page, the diff, and values from
//! the inputs that stay text.

use std::process::Command;

use serde_json::Value;

#[path = "support/dashboard.rs"]
mod dashboard;
#[path = "support/hostile.rs"]
mod hostile;
#[path = "../../mfaguard-store/tests/support/mod.rs"]
mod store_support;

use dashboard::{record_two_scans, serve};

const BIN: &str = env!("CARGO_BIN_EXE_mfaguard");
const TOKEN: &str = "s3cret-token-for-tests-0123456789";

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into()
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }
}

fn answer(mut response: ureq::http::Response<ureq::Body>) -> Answer {
    Answer {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

fn get(url: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = agent().get(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    answer(request.call().expect("HTTP request"))
}

fn assert_security_headers(answer: &Answer, url: &str) {
    let csp = answer.header("Content-Security-Policy").unwrap_or("");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{url}: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{url}");
    assert_eq!(
        answer.header("X-Content-Type-Options"),
        Some("nosniff"),
        "{url}"
    );
    assert_eq!(answer.header("X-Frame-Options"), Some("DENY"), "{url}");
    assert_eq!(
        answer.header("Referrer-Policy"),
        Some("no-referrer"),
        "{url}"
    );
}

const ACCOUNT: &str = "111122223333";

#[test]
fn pages_and_api_answer_with_security_headers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("history.sqlite");
    record_two_scans(BIN, &store, dir.path());
    let served = serve(BIN, &store, &["--listen", "127.0.0.1:0"]);
    let alice = "arn:aws:iam::111122223333:user/alice";
    let identity = format!(
        "/accounts/{ACCOUNT}/identity?arn={}",
        alice.replace(':', "%3A").replace('/', "%2F")
    );
    for (path, status) in [
        ("/".to_string(), 200),
        ("/api/overview".to_string(), 200),
        (format!("/accounts/{ACCOUNT}"), 200),
        (format!("/api/accounts/{ACCOUNT}"), 200),
        (format!("/accounts/{ACCOUNT}/diff"), 200),
        (format!("/api/accounts/{ACCOUNT}/diff?from=1&to=2"), 200),
        ("/exceptions".to_string(), 200),
        ("/api/exceptions".to_string(), 200),
        (identity.clone(), 200),
        (format!("/api{identity}"), 200),
        ("/assets/mfaguard.js".to_string(), 200),
        ("/assets/mfaguard.css".to_string(), 200),
        ("/accounts/999999999999".to_string(), 404),
        ("/api/accounts/999999999999".to_string(), 404),
        (format!("/api/accounts/{ACCOUNT}/diff?from=1&to=77"), 404),
        ("/nowhere".to_string(), 404),
    ] {
        let url = format!("{}{path}", served.base);
        let answer = get(&url, &[]);
        assert_eq!(answer.status, status, "{url}: {}", answer.body);
        assert_security_headers(&answer, &url);
        if path.starts_with("/api/") {
            assert_eq!(
                answer.header("Content-Type"),
                Some("application/json"),
                "{url}"
            );
            answer.json();
        } else if !path.starts_with("/assets/") {
            // Pages carry no inline script: only the served file.
            assert!(
                answer
                    .body
                    .contains("<script src=\"/assets/mfaguard.js\" defer></script>"),
                "{url}"
            );
            assert_eq!(answer.body.matches("<script").count(), 1, "{url}");
        }
    }

    // The API's shapes.
    let overview = get(&format!("{}/api/overview", served.base), &[]).json();
    assert_eq!(overview["scans"], 2);
    assert_eq!(overview["accounts"][0]["account_id"], ACCOUNT);
    assert!(overview["accounts"][0]["posture"].is_f64());
    assert!(
        overview["coverage"]["console_users_with_mfa_by_tier"]["privileged"]["percent"].is_f64()
    );
    let failing = overview["worst_findings"].as_array().expect("findings");
    assert!(!failing.is_empty() && failing.iter().all(|f| f["status"] == "fail"));
    assert_eq!(failing[0]["severity"], "critical");
    let account = get(&format!("{}/api/accounts/{ACCOUNT}", served.base), &[]).json();
    assert_eq!(account["kpis"]["trend"].as_array().map(Vec::len), Some(2));
    assert_eq!(account["scans"].as_array().map(Vec::len), Some(2));
    assert!(account["identities"]
        .as_array()
        .is_some_and(|list| list.len() > 10));
    let diff = get(
        &format!("{}/api/accounts/{ACCOUNT}/diff?from=1&to=2", served.base),
        &[],
    )
    .json();
    assert_eq!(diff["diff"]["from"]["id"], 1);
    assert_eq!(diff["diff"]["to"]["id"], 2);
    assert!(diff["diff"]["newly_failing"].is_array());
    let exceptions = get(&format!("{}/api/exceptions", served.base), &[]).json();
    assert_eq!(exceptions["exceptions"].as_array().map(Vec::len), Some(3));
    assert!(exceptions["due"].as_u64().is_some_and(|due| due >= 2));
    let alice_page = get(&format!("{}/api{identity}", served.base), &[]).json();
    assert_eq!(alice_page["identity"]["arn"], alice);
    assert!(alice_page["enforcement_reasons"]
        .as_array()
        .is_some_and(|r| !r.is_empty()));
    // The account page draws its two-scan trend.
    let page = get(&format!("{}/accounts/{ACCOUNT}", served.base), &[]).body;
    assert!(page.contains("<polyline"), "trend chart");
    // A write is refused: the dashboard is read-only.
    let post = answer(
        agent()
            .post(format!("{}/", served.base))
            .send("x")
            .expect("POST"),
    );
    assert_eq!(post.status, 405);
    assert_security_headers(&post, "POST /");
}

#[test]
fn a_network_address_needs_a_token_and_then_every_request_carries_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("history.sqlite");
    record_two_scans(BIN, &store, dir.path());
    // Refused without a token.
    let output = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--store"])
        .arg(&store)
        .output()
        .expect("run mfaguard");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs a token (--token-file)"), "{stderr}");
    // A short token is refused, naming the file.
    let short = dir.path().join("short-token");
    std::fs::write(&short, "abc\n").expect("write");
    let output = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--token-file"])
        .arg(&short)
        .arg("--store")
        .arg(&store)
        .output()
        .expect("run mfaguard");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("short-token: line 1"));

    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("write");
    let served = serve(
        BIN,
        &store,
        &[
            "--listen",
            "0.0.0.0:0",
            "--token-file",
            token_file.to_str().expect("path"),
        ],
    );
    let base = served.base.replace("0.0.0.0", "127.0.0.1");
    for path in [
        "/",
        "/api/overview",
        "/exceptions",
        "/api/exceptions",
        "/accounts/111122223333",
    ] {
        let url = format!("{base}{path}");
        let none = get(&url, &[]);
        assert_eq!(none.status, 401, "{url}");
        assert_security_headers(&none, &url);
        assert!(
            !none.body.contains(ACCOUNT)
                || path.contains(ACCOUNT) && !none.body.contains("posture"),
            "{url} leaks data"
        );
        let wrong = get(
            &url,
            &[("Authorization", "Bearer s3cret-token-for-tests-0123456780")],
        );
        assert_eq!(wrong.status, 401, "{url}");
        let right = get(&url, &[("Authorization", &format!("Bearer {TOKEN}"))]);
        assert_eq!(right.status, 200, "{url}");
        assert_security_headers(&right, &url);
        let cookie = get(
            &url,
            &[("Cookie", &format!("theme=dark; mfaguard_token={TOKEN}"))],
        );
        assert_eq!(cookie.status, 200, "{url}");
    }
    // The sign-in form sets the cookie for the right token only.
    let login = |token: &str| {
        answer(
            agent()
                .post(format!("{base}/login"))
                .content_type("application/x-www-form-urlencoded")
                .send(format!("token={token}"))
                .expect("POST /login"),
        )
    };
    let refused = login("guess-guess-guess-guess");
    assert_eq!(refused.status, 401);
    assert!(refused.header("Set-Cookie").is_none());
    let accepted = login(TOKEN);
    assert_eq!(accepted.status, 303);
    let cookie = accepted.header("Set-Cookie").unwrap_or("");
    assert!(
        cookie.starts_with(&format!("mfaguard_token={TOKEN};")) && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[test]
fn markup_from_the_inputs_stays_text_in_pages_and_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = dir.path().join("history.sqlite");
    let snapshot = hostile::hostile_snapshot(BIN, dir.path());
    let output = Command::new(BIN)
        .args(["scan", "--snapshot"])
        .arg(&snapshot)
        .args([
            "--now",
            "2026-11-22T12:00:00Z",
            "--format",
            "json",
            "--output",
        ])
        .arg(dir.path().join("report.json"))
        .arg("--store")
        .arg(&store)
        .output()
        .expect("run mfaguard");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let served = serve(BIN, &store, &["--listen", "127.0.0.1:0"]);
    let quinn = format!("arn:aws:iam::111122223333:user/q{}", hostile::PAYLOADS[0]);
    let encoded: String = quinn
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut pages = vec![
        "/".to_string(),
        format!("/accounts/{ACCOUNT}"),
        format!("/accounts/{ACCOUNT}/identity?arn={encoded}"),
    ];
    pages.push(format!("/api{}", pages[2]));
    for path in &pages {
        let page = get(&format!("{}{path}", served.base), &[]);
        assert_eq!(page.status, 200, "{path}");
        for payload in hostile::PAYLOADS {
            assert!(!page.body.contains(payload), "{path}: {payload} unescaped");
        }
        assert!(!page.body.contains("<img"), "{path}");
    }
    let identity = get(&format!("{}{}", served.base, pages[2]), &[]);
    assert!(identity
        .body
        .contains("q&lt;script&gt;alert(1)&lt;/script&gt;"));
    let api = get(&format!("{}{}", served.base, pages[3]), &[]).json();
    // The API returns the value itself, as JSON data (markup characters
    // written as \\u escapes).
    assert_eq!(api["identity"]["arn"], quinn);
}

#[test]
fn serves_a_postgres_history() {
    let Some(mfaguard_store::Location::Postgres(url)) = store_support::postgres_location("serve")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    record_two_scans(BIN, &url, dir.path());
    let served = serve(BIN, &url, &["--listen", "127.0.0.1:0"]);
    let overview = get(&format!("{}/api/overview", served.base), &[]).json();
    assert_eq!(overview["scans"], 2);
    let account = get(&format!("{}/api/accounts/{ACCOUNT}", served.base), &[]).json();
    assert_eq!(account["kpis"]["trend"].as_array().map(Vec::len), Some(2));
    let diff = get(&format!("{}/accounts/{ACCOUNT}/diff", served.base), &[]);
    assert_eq!(diff.status, 200);
    assert_security_headers(&diff, "diff");
}
