//! Starts `scripts/fault_proxy.py` on 127.0.0.1 in front of a moto server,
//! with the fault rules of one test, and stops it on drop.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use super::moto::repo;

pub struct FaultProxy {
    child: Child,
    pub port: u16,
}

impl FaultProxy {
    pub fn start(python: &Path, upstream_port: u16, rules: &serde_json::Value) -> FaultProxy {
        let mut child = Command::new(python)
            .arg(repo().join("scripts/fault_proxy.py"))
            .arg(upstream_port.to_string())
            .arg(rules.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the fault proxy");
        let stdout = child.stdout.take().expect("proxy stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("proxy output");
        let port = line
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the fault proxy did not start: {line:?}"));
        FaultProxy { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Requests the proxy received, by action (every attempt).
    pub fn requests(&self) -> BTreeMap<String, u64> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to proxy");
        write!(
            stream,
            "GET /__proxy/requests HTTP/1.1\r\nHost: proxy\r\nConnection: close\r\n\r\n"
        )
        .expect("ask the proxy");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("proxy answer");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
        serde_json::from_str(body).unwrap_or_else(|err| panic!("proxy answer {answer:?}: {err}"))
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
