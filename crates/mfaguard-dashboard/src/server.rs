//! The HTTP server: tiny_http (synchronous, like the store), a few worker
//! threads each with its own connection to the history.

use std::net::SocketAddr;
use std::sync::Arc;

use mfaguard_store::{Location, Store};

use crate::error::DashboardError;
use crate::http::{handle, Request, Settings};

/// Worker threads, each with its own store connection.
const WORKERS: usize = 4;
/// Largest request body read (the sign-in form).
const MAX_BODY: u64 = 16 * 1024;

pub struct ServeOptions {
    pub listen: SocketAddr,
    pub token: Option<String>,
}

/// Reads the token from `path`: its first line, trimmed; it must be at
/// least 16 characters of the cookie-safe set `A-Z a-z 0-9 - . _ ~ + / =`.
pub fn read_token(path: &std::path::Path) -> Result<String, DashboardError> {
    let error = |message: String| DashboardError::Token {
        path: path.display().to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|err| error(err.to_string()))?;
    let token = text.lines().next().unwrap_or("").trim().to_string();
    if token.len() < 16 {
        return Err(error(format!(
            "line 1: the token is {} characters long; use at least 16 (e.g. `openssl rand -base64 32`)",
            token.len()
        )));
    }
    if let Some(bad) = token
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~+/=".contains(*c)))
    {
        return Err(error(format!(
            "line 1: `{bad}` is not allowed in a token (letters, digits and - . _ ~ + / = only)"
        )));
    }
    Ok(token)
}

/// A dashboard bound to its address, ready to serve.
pub struct Dashboard {
    server: Arc<tiny_http::Server>,
    location: Location,
    settings: Settings,
}

impl Dashboard {
    /// Checks the token rule, opens the history once (so that a missing or
    /// damaged store is an error before listening) and binds.
    pub fn bind(location: Location, options: ServeOptions) -> Result<Dashboard, DashboardError> {
        if !options.listen.ip().is_loopback() && options.token.is_none() {
            return Err(DashboardError::TokenRequired {
                listen: options.listen.to_string(),
            });
        }
        Store::open_existing(&location)?;
        let server =
            tiny_http::Server::http(options.listen).map_err(|err| DashboardError::Listen {
                listen: options.listen.to_string(),
                message: err.to_string(),
            })?;
        Ok(Dashboard {
            server: Arc::new(server),
            location,
            settings: Settings {
                token: options.token,
            },
        })
    }

    /// The address it listens on (the port chosen when 0 was asked for).
    pub fn address(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    /// Serves until the process ends.
    pub fn run(self) -> Result<(), DashboardError> {
        let mut workers = Vec::new();
        for _ in 0..WORKERS {
            // Checked once by `bind`.
            let mut store = Store::open(&self.location)?;
            let server = Arc::clone(&self.server);
            let settings = self.settings.clone();
            workers.push(std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    serve_one(&mut store, &settings, request);
                }
            }));
        }
        for worker in workers {
            // A worker ends only when the server does.
            let _ = worker.join();
        }
        Ok(())
    }
}

fn header(request: &tiny_http::Request, name: &'static str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|header| header.field.equiv(name))
        .map(|header| header.value.as_str().to_string())
}

fn serve_one(store: &mut Store, settings: &Settings, mut incoming: tiny_http::Request) {
    let mut body = Vec::new();
    if incoming.method() == &tiny_http::Method::Post {
        use std::io::Read;
        let _ = incoming.as_reader().take(MAX_BODY).read_to_end(&mut body);
    }
    let request = Request {
        method: incoming.method().as_str().to_string(),
        url: incoming.url().to_string(),
        authorization: header(&incoming, "Authorization"),
        cookie: header(&incoming, "Cookie"),
        body,
    };
    let response = handle(store, settings, &request);
    let mut reply = tiny_http::Response::from_data(response.body).with_status_code(response.status);
    for (name, value) in &response.headers {
        if let Ok(header) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
            reply.add_header(header);
        }
    }
    // The client may have gone; nothing to do then.
    let _ = incoming.respond(reply);
}
