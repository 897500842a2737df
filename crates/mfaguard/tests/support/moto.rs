//! Starts moto (a real implementation of the IAM, STS and Organizations HTTP
//! APIs) on 127.0.0.1 through `scripts/moto_server.py`, and stops it on drop.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python that has moto installed (`scripts/install-test-tools.sh`).
pub fn python() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MFAGUARD_TEST_PYTHON") {
        return Some(PathBuf::from(path));
    }
    let venv = repo().join(".tools/venv/bin/python");
    venv.is_file().then_some(venv)
}

/// `None` (with a notice) when moto is not installed locally; under CI a
/// missing moto is a failure, never a silent skip.
pub fn python_or_skip(test: &str) -> Option<PathBuf> {
    match python() {
        Some(python) => Some(python),
        None if std::env::var_os("CI").is_some()
            || std::env::var("MFAGUARD_REQUIRE_TOOLS").as_deref() == Ok("1") =>
        {
            panic!("moto is not installed: run scripts/install-test-tools.sh")
        }
        None => {
            eprintln!("skipping {test}: moto not installed (run scripts/install-test-tools.sh)");
            None
        }
    }
}

pub struct Moto {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Moto {
    /// `roots` is the launcher's JSON of root users by account;
    /// `env` is extra environment for the server (e.g. auth settings).
    pub fn start(python: &Path, roots: &serde_json::Value, env: &[(&str, &str)]) -> Moto {
        let dir = tempfile::tempdir().expect("temp dir");
        let roots_path = dir.path().join("roots.json");
        std::fs::write(&roots_path, roots.to_string()).expect("write roots");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("free port");
        let mut command = Command::new(python);
        command
            .arg(repo().join("scripts/moto_server.py"))
            .arg(port.to_string())
            .arg(&roots_path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("start moto");
        let stdout = child.stdout.take().expect("moto stdout");
        let mut line = String::new();
        let started = Instant::now();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("moto output");
        assert!(
            line.contains("moto listening"),
            "moto did not start: {line:?}"
        );
        // The server thread may need a moment after printing.
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto not reachable"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Moto {
            child,
            port,
            _dir: dir,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An SDK config for seeding, with the given static credentials.
    pub async fn sdk_config(
        &self,
        key: &str,
        secret: &str,
        token: Option<&str>,
    ) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_credential_types::Credentials::new(
                key,
                secret,
                token.map(str::to_string),
                None,
                "test",
            ))
            .load()
            .await
    }

    /// Environment for running mfaguard or the AWS CLI against this server
    /// with the given credentials, isolated from the user's AWS files.
    pub fn env(&self, key: &str, secret: &str) -> Vec<(String, String)> {
        vec![
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
            ("AWS_ACCESS_KEY_ID".into(), key.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), secret.into()),
            ("AWS_DEFAULT_REGION".into(), "us-east-1".into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_CONFIG_FILE".into(), "/dev/null".into()),
            ("AWS_SHARED_CREDENTIALS_FILE".into(), "/dev/null".into()),
            ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
            ("NO_COLOR".into(), "1".into()),
            ("MFAGUARD_STORE".into(), "none".into()),
        ]
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates the organisation (all features) as the management account
/// `config` speaks for, with one member account per name; returns the
/// members' IDs in that order.
#[allow(dead_code)] // the organisation tests only
pub async fn create_organization(config: &aws_config::SdkConfig, names: &[&str]) -> Vec<String> {
    let orgs = aws_sdk_organizations::Client::new(config);
    orgs.create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await
        .expect("organisation");
    let mut members = Vec::new();
    for name in names {
        let created = orgs
            .create_account()
            .account_name(*name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .expect("account");
        let id = created
            .create_account_status()
            .and_then(|status| status.account_id())
            .expect("account id");
        members.push(id.to_string());
    }
    members
}

/// A runtime for the SDK calls that seed moto.
#[allow(dead_code)] // not every test file seeds moto itself
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs mfaguard with `env` (moto's endpoint and credentials), never
/// recording into the developer's history.
#[allow(dead_code)] // not every test file runs it this way
pub fn mfaguard(env: &[(String, String)], args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mfaguard"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("MFAGUARD_STORE", "none")
        .output()
        .expect("run mfaguard")
}
