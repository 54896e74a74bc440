//! A stand-in for github.com and api.github.com on 127.0.0.1 (nothing in
//! the tests reaches GitHub). A test gives it a route: a function from the
//! request to the answer. It records every request, serves one at a time,
//! and stops by itself after two minutes or as soon as the test drops it.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as the stand-in received it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The request line, e.g. `GET /user HTTP/1.1`.
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn method(&self) -> &str {
        self.line.split(' ').next().unwrap_or_default()
    }

    /// The path without its query.
    pub fn path(&self) -> &str {
        let target = self.line.split(' ').nth(1).unwrap_or_default();
        target.split('?').next().unwrap_or_default()
    }

    /// `METHOD PATH`, the usual thing a route matches on.
    pub fn route(&self) -> String {
        format!("{} {}", self.method(), self.path())
    }

    /// The body as JSON (panics on anything else: bscred sends JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} sent a body that is not JSON ({e}): {}",
                self.line, self.body
            )
        })
    }

    /// The body as `application/x-www-form-urlencoded` pairs, decoded.
    pub fn form(&self) -> Vec<(String, String)> {
        self.body
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The stand-in's answer to one request.
#[derive(Debug, Clone)]
pub struct Response {
    /// e.g. `200 OK`.
    pub status: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (a dropped stand-in cuts it short):
    /// the answer itself is late, not the test.
    pub delay: Duration,
}

impl Response {
    /// A JSON answer with GitHub's content type.
    pub fn json(status: &str, body: impl Into<String>) -> Response {
        Response {
            status: status.to_string(),
            headers: vec![(
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string(),
            )],
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    /// 404 with GitHub's body, for any route a test did not expect.
    pub fn not_found() -> Response {
        Response::json(
            "404 Not Found",
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
        )
    }

    pub fn delayed(mut self, delay: Duration) -> Response {
        self.delay = delay;
        self
    }
}

type Route = dyn Fn(&Request) -> Response + Send + Sync;

/// The running stand-in: its base URL and what it has received.
pub struct GitHubStandIn {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    // Dropping it disconnects the thread's receiver: the thread ends, and a
    // delayed answer in progress is cut short.
    _stop: mpsc::Sender<()>,
}

impl GitHubStandIn {
    pub fn start(route: impl Fn(&Request) -> Response + Send + Sync + 'static) -> GitHubStandIn {
        let route: Arc<Route> = Arc::new(route);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("addr").port()
        );
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = mpsc::channel::<()>();
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        if !serve(stream, &*route, &seen, &stopped) {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        // Wait for the next connection, or for the test to end.
                        match stopped.recv_timeout(Duration::from_millis(5)) {
                            Err(RecvTimeoutError::Timeout) => {}
                            _ => break,
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        GitHubStandIn {
            url,
            requests,
            _stop: stop,
        }
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().expect("lock").clone()
    }

    /// The one request the test expected.
    pub fn only_request(&self) -> Request {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        requests[0].clone()
    }

    /// The requests whose `METHOD PATH` is `route`.
    pub fn requests_to(&self, route: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.route() == route)
            .collect()
    }
}

/// An address where nothing listens.
pub fn unreachable_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// Serves one connection; false once the test has dropped the stand-in.
fn serve(
    mut stream: TcpStream,
    route: &Route,
    seen: &Mutex<Vec<Request>>,
    stopped: &mpsc::Receiver<()>,
) -> bool {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let end = head
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(head.len(), |at| at + 4);
    let text = String::from_utf8_lossy(&head[..end]).into_owned();
    let mut lines = text.split("\r\n");
    let line = lines.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = head[end..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    let request = Request {
        line,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let response = route(&request);
    seen.lock().expect("lock").push(request);
    if !response.delay.is_zero() {
        match stopped.recv_timeout(response.delay) {
            Err(RecvTimeoutError::Timeout) => {}
            _ => return false,
        }
    }
    let mut text = format!("HTTP/1.1 {}\r\nServer: github.com\r\n", response.status);
    for (name, value) in &response.headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{}",
        response.body.len(),
        response.body
    ));
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
    true
}
