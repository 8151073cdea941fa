//! The real `baton` binary as a child process, for what the in-process
//! client cannot show: starting from the environment, listening on a socket,
//! slow connections, being killed mid-write. Plain blocking HTTP/1.1 over
//! `std::net`, one request a connection, keeps the helpers free of a client.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The key the in-process apps sign with, so that their tokens work here too.
pub const SECRET: &str = super::TEST_SECRET;

/// A running `baton serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub port: u16,
    output: Arc<Mutex<String>>,
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// A directory of its own under the system temp dir.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("baton-tests")
        .join(format!("{name}-{}", baton::config::random_hex(6)));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

impl Server {
    /// `baton serve` on `database_url` and a free port, in `dir`, with the
    /// given extra environment; waits until `/readyz` answers.
    pub fn start(database_url: &str, dir: &Path, env: &[(&str, &str)]) -> Server {
        let (command, port) = Server::command(database_url, dir, env);
        Server::spawn(command, port)
    }

    /// `baton --demo serve`, otherwise as [`Server::start`]. The demo
    /// organisation is loaded before the server listens, which takes a
    /// while in a debug build beside the other tests: it gets longer to
    /// answer.
    pub fn start_demo(database_url: &str, dir: &Path, env: &[(&str, &str)]) -> Server {
        let (mut command, port) = Server::command(database_url, dir, env);
        command.arg("--demo");
        Server::launch(command, port, Duration::from_secs(600))
    }

    /// The `baton` command configured by the environment alone, and the
    /// free port it will listen on.
    fn command(database_url: &str, dir: &Path, env: &[(&str, &str)]) -> (Command, u16) {
        let port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton"));
        command
            .current_dir(dir)
            .env("BATON_ADDRESS", "127.0.0.1")
            .env("BATON_PORT", port.to_string())
            .env("BATON_DATABASE_URL", database_url)
            .env("BATON_SECRET", SECRET)
            .env("BATON_LOG", "warn");
        for (name, value) in env {
            command.env(name, value);
        }
        (command, port)
    }

    /// Runs a prepared command that will listen on `port`.
    pub fn spawn(command: Command, port: u16) -> Server {
        Server::launch(command, port, Duration::from_secs(60))
    }

    /// Runs `command serve`, gathering what it writes, and waits up to
    /// `patience` for it to be ready.
    fn launch(mut command: Command, port: u16, patience: Duration) -> Server {
        command
            .arg("serve")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("baton starts");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(mut all) = output.lock() {
                        all.push_str(&line);
                        all.push('\n');
                    }
                }
            });
        }
        let mut server = Server {
            child,
            port,
            output,
        };
        server.wait_ready(patience);
        server
    }

    /// Waits until `/readyz` answers 200 (the server listens and its
    /// database answers); fails at once when the process exits.
    fn wait_ready(&mut self, patience: Duration) {
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("baton exited with {status}:\n{}", self.output());
            }
            if matches!(http(self.port, "GET", "/readyz", None, None), Ok((200, _))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "baton was not ready within {} s:\n{}",
            patience.as_secs(),
            self.output()
        );
    }

    /// Everything the process wrote so far, once it contains `expected`:
    /// the threads that gather the output may lag behind the server.
    pub fn output_with(&self, expected: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let output = self.output();
            if output.contains(expected) || Instant::now() > deadline {
                return output;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the process wrote so far, stdout and stderr.
    pub fn output(&self) -> String {
        self.output
            .lock()
            .map(|all| all.clone())
            .unwrap_or_default()
    }

    /// SIGKILL: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> std::io::Result<(u16, Value)> {
        http(self.port, "GET", path, token, None)
    }

    pub fn post(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> std::io::Result<(u16, Value)> {
        http(self.port, "POST", path, token, Some(body))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One HTTP/1.1 request on a connection of its own: status and JSON body
/// (a string when the body is not JSON).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut head = String::new();
    if !body.is_empty() {
        head.push_str("Content-Type: application/json\r\n");
    }
    if let Some(token) = token {
        head.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    let (status, payload) = exchange(port, method, path, &head, &body)?;
    let value = serde_json::from_str(&payload).unwrap_or(Value::String(payload));
    Ok((status, value))
}

/// A page as a browser signed in with `session` gets it: status and body.
pub fn page(port: u16, path: &str, session: &str) -> std::io::Result<(u16, String)> {
    exchange(
        port,
        "GET",
        path,
        &format!("Accept: text/html\r\nCookie: baton_session={session}\r\n"),
        "",
    )
}

/// Sends one request with the extra header lines `head` (each ending in
/// CRLF); the status and the body, unchunked.
fn exchange(
    port: u16,
    method: &str,
    path: &str,
    head: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n{head}\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    let (head, payload) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status line in {head:?}")))?;
    let payload = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunk(payload)
    } else {
        payload.to_owned()
    };
    Ok((status, payload))
}

fn unchunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}
