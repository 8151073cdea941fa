//! A real HTTP receiver inside the test, as a webhook's owner would run
//! one: it speaks enough HTTP/1.1 for a client to POST to it (one request
//! per connection, answered with `Connection: close`), keeps every call,
//! checks each call's `Baton-Signature` with the secret it was given,
//! independently of Baton's own code, and answers with the status it is
//! told to (200 unless told otherwise).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One call received.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub path: String,
    /// Names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The `t` of `Baton-Signature`.
    pub signed_at: Option<i64>,
    /// Whether `v1` is HMAC-SHA256 of `"<t>.<body>"` under the secret.
    pub signature_valid: bool,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

#[derive(Clone)]
pub struct Receiver {
    pub address: SocketAddr,
    calls: Arc<Mutex<Vec<Call>>>,
    status: Arc<AtomicU16>,
    secret: Arc<Mutex<String>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("receiver port");
        let receiver = Receiver {
            address: listener.local_addr().expect("receiver address"),
            calls: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            secret: Arc::default(),
        };
        let serving = receiver.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let session = serving.clone();
                tokio::spawn(async move {
                    let _ = session.serve(stream).await;
                });
            }
        });
        receiver
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// From now on, answer with `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// The secret signatures are checked with from now on.
    pub fn expect_secret(&self, secret: &str) {
        *self.secret.lock().expect("secret lock") = secret.to_owned();
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().expect("calls lock").clone()
    }

    /// The calls made to `path`.
    pub fn calls_to(&self, path: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|call| call.path == path)
            .collect()
    }

    async fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            line.clear();
            if reader.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let length: usize = headers
            .iter()
            .find(|(name, _)| name == "content-length")
            .and_then(|(_, value)| value.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; length];
        reader.read_exact(&mut body).await?;
        let body = String::from_utf8_lossy(&body).into_owned();
        let signature = headers
            .iter()
            .find(|(name, _)| name == "baton-signature")
            .map(|(_, value)| value.clone())
            .unwrap_or_default();
        let secret = self.secret.lock().expect("secret lock").clone();
        let (signed_at, signature_valid) = verify(&signature, &secret, &body);
        self.calls.lock().expect("calls lock").push(Call {
            method,
            path,
            headers,
            body,
            signed_at,
            signature_valid,
        });
        let status = self.status.load(Ordering::SeqCst);
        let text = if status < 300 {
            "thanks"
        } else {
            "receiver down"
        };
        let answer = format!(
            "HTTP/1.1 {status} Whatever\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{text}",
            text.len()
        );
        write.write_all(answer.as_bytes()).await?;
        write.shutdown().await
    }
}

/// `t=<t>,v1=<hex>` checked as a receiver would: the `t` it names, and
/// whether the hex is the HMAC of `"<t>.<body>"` under `secret`.
fn verify(header: &str, secret: &str, body: &str) -> (Option<i64>, bool) {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return (t, false);
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(format!("{t}.{body}").as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    (Some(t), !secret.is_empty() && expected == v1)
}
