//! Requests in, responses out: routing, the token rule and the security
//! headers, independent of the HTTP server that carries them.

use chrono::Utc;
use percent_encoding::percent_decode_str;
use serde::Serialize;
use subtle::ConstantTimeEq;

use mfaguard_report::html::{SCRIPT, STYLESHEET};
use mfaguard_store::{Store, StoreError};

use crate::{data, pages};

/// The cookie the sign-in form sets.
pub const COOKIE: &str = "mfaguard_token";

/// The Content-Security-Policy of every response: nothing inline, nothing
/// from elsewhere, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers every response carries.
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cache-Control", "no-store"),
];

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    /// Path and query, as received.
    pub url: String,
    pub authorization: Option<String>,
    pub cookie: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        let mut headers: Vec<(String, String)> = SECURITY_HEADERS
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        headers.push(("Content-Type".to_string(), content_type.to_string()));
        Response {
            status,
            content_type,
            headers,
            body: body.into(),
        }
    }

    fn html(status: u16, body: String) -> Response {
        Response::new(status, "text/html; charset=utf-8", body)
    }

    fn json(status: u16, value: &impl Serialize) -> Response {
        let text = serde_json::to_string_pretty(value)
            .unwrap_or_else(|err| format!("{{\"error\": \"{err}\"}}"));
        // Markup characters only occur inside strings: written as escapes
        // they stay the same data, and the body can never read as HTML.
        let body = text
            .replace('&', "\\u0026")
            .replace('<', "\\u003c")
            .replace('>', "\\u003e");
        Response::new(status, "application/json", body)
    }

    fn header(mut self, name: &str, value: String) -> Response {
        self.headers.push((name.to_string(), value));
        self
    }
}

#[derive(Serialize)]
struct ApiError<'a> {
    error: &'a str,
}

/// How requests are authorised.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Every request but the sign-in form and the static assets must carry
    /// it (`Authorization: Bearer` or the sign-in cookie) when set.
    pub token: Option<String>,
}

fn same_token(expected: &str, given: &str) -> bool {
    // Constant time over the token's bytes (a different length is refused
    // without comparing, which tells only the length).
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

fn authorised(settings: &Settings, request: &Request) -> bool {
    let Some(token) = &settings.token else {
        return true;
    };
    let bearer = request
        .authorization
        .as_deref()
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|given| same_token(token, given.trim()));
    let cookie = request.cookie.as_deref().is_some_and(|cookies| {
        cookies
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .any(|(name, value)| name == COOKIE && same_token(token, value))
    });
    bearer || cookie
}

/// The value of `name` in a query string or form body.
fn param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| {
            percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Answers one request.
pub fn handle(store: &mut Store, settings: &Settings, request: &Request) -> Response {
    let (path, query) = request.url.split_once('?').unwrap_or((&request.url, ""));
    let api = path.starts_with("/api/");
    match (request.method.as_str(), path) {
        ("GET", "/assets/mfaguard.css") => {
            return Response::new(200, "text/css; charset=utf-8", STYLESHEET)
        }
        ("GET", "/assets/mfaguard.js") => {
            return Response::new(200, "text/javascript; charset=utf-8", SCRIPT)
        }
        // Browsers ask for it on their own; there is none.
        ("GET", "/favicon.ico") => return Response::new(204, "image/x-icon", Vec::new()),
        ("GET", "/login") => return Response::html(200, pages::login(false)),
        ("POST", "/login") => {
            let body = String::from_utf8_lossy(&request.body);
            let given = param(&body, "token").unwrap_or_default();
            return match &settings.token {
                Some(token) if same_token(token, given.trim()) => {
                    Response::html(303, String::new())
                        .header("Location", "/".to_string())
                        .header(
                            "Set-Cookie",
                            format!(
                                "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                                given.trim()
                            ),
                        )
                }
                Some(_) => Response::html(401, pages::login(true)),
                None => Response::html(303, String::new()).header("Location", "/".to_string()),
            };
        }
        _ => {}
    }
    if !authorised(settings, request) {
        let response = if api {
            Response::json(
                401,
                &ApiError {
                    error: "a token is required: Authorization: Bearer TOKEN",
                },
            )
        } else {
            Response::html(401, pages::login(false))
        };
        return response.header("WWW-Authenticate", "Bearer".to_string());
    }
    if request.method != "GET" {
        return Response::new(405, "text/plain; charset=utf-8", "read-only: GET only")
            .header("Allow", "GET".to_string());
    }
    match route(store, path.strip_prefix("/api").unwrap_or(path), query, api) {
        Ok(response) => response,
        Err(err) => {
            let message = format!("the history could not be read: {err}");
            if api {
                Response::json(500, &ApiError { error: &message })
            } else {
                Response::html(500, pages::not_found(&message))
            }
        }
    }
}

fn page_or_json<T: Serialize>(api: bool, value: &T, page: impl Fn(&T) -> String) -> Response {
    if api {
        Response::json(200, value)
    } else {
        Response::html(200, page(value))
    }
}

fn missing(api: bool, what: &str) -> Response {
    if api {
        Response::json(404, &ApiError { error: what })
    } else {
        Response::html(404, pages::not_found(what))
    }
}

fn route(store: &mut Store, path: &str, query: &str, api: bool) -> Result<Response, StoreError> {
    let now = Utc::now();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    Ok(match segments.as_slice() {
        [""] | ["overview"] => page_or_json(api, &data::overview(store, now)?, pages::overview),
        ["exceptions"] => page_or_json(api, &data::exceptions(store, now)?, pages::exceptions),
        ["accounts", account] => match data::account(store, &decode(account), now)? {
            Some(page) => page_or_json(api, &page, pages::account),
            None => missing(api, "no recorded scan covers this account"),
        },
        ["accounts", account, "diff"] => {
            let scan = |name| param(query, name).and_then(|v| v.parse::<i64>().ok());
            match data::diff(store, &decode(account), scan("from"), scan("to")) {
                Ok(Some(page)) => page_or_json(api, &page, pages::diff),
                Ok(None) => missing(api, "the account has fewer than two recorded scans"),
                Err(StoreError::NoSuchScan(id)) => missing(api, &format!("there is no scan {id}")),
                Err(err) => return Err(err),
            }
        }
        ["accounts", account, "identity"] => {
            let account = decode(account);
            let arn = param(query, "arn").unwrap_or_default();
            match data::identity(store, &account, &arn)? {
                Some(page) => page_or_json(api, &page, |page| pages::identity(&account, page)),
                None => missing(api, "no such identity in the account's latest scan"),
            }
        }
        _ => missing(api, "no such page"),
    })
}
