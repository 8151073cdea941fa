//! A deliberately small HTTP/1.1 client over [`tokio::net::TcpStream`] for
//! the benchmarks that drive the real server: enough for Rocket's answers
//! (`content-length` or chunked bodies), adding next to nothing to the
//! measured latency.

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// An HTTP answer: the status and the body bytes.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) body: Vec<u8>,
}

impl Answer {
    pub(super) fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|error| {
            format!(
                "the answer is not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// A minimal HTTP/1.1 client on one keep-alive connection, reconnecting
/// when the server closed it.
pub(super) struct HttpClient {
    addr: SocketAddr,
    host: String,
    connection: Option<BufReader<TcpStream>>,
    request: Vec<u8>,
    line: String,
}

impl HttpClient {
    pub(super) fn new(addr: SocketAddr) -> HttpClient {
        HttpClient {
            addr,
            host: addr.to_string(),
            connection: None,
            request: Vec::with_capacity(1024),
            line: String::with_capacity(256),
        }
    }

    /// Sends `body` as JSON and checks the status; returns the JSON answer.
    pub(super) async fn expect(
        &mut self,
        status: u16,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Value, String> {
        let text = body.to_string();
        let answer = self
            .send(method, path, token, Some(text.as_bytes()))
            .await?;
        if answer.status != status {
            return Err(format!(
                "{method} {path} answered {} instead of {status}: {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            ));
        }
        answer.json()
    }

    /// One request and its answer. On any error the connection is dropped,
    /// so the next call starts on a fresh one.
    pub(super) async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        let result = self.exchange(method, path, token, body).await;
        if result.is_err() {
            self.connection = None;
        }
        result
    }

    async fn exchange(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&[u8]>,
    ) -> Result<Answer, String> {
        use std::fmt::Write as _;

        let mut head = String::with_capacity(256);
        // Writing into a String cannot fail.
        let _ = write!(
            head,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: keep-alive\r\nAccept: application/json\r\n",
            self.host
        );
        // The API takes the token as a bearer; the pages, as a browser
        // sends it, in the session cookie.
        match token {
            Some(token) if path.starts_with("/api/") => {
                let _ = write!(head, "Authorization: Bearer {token}\r\n");
            }
            Some(token) => {
                let _ = write!(head, "Cookie: baton_session={token}\r\n");
            }
            None => {}
        }
        if let Some(body) = body {
            let _ = write!(
                head,
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            );
        }
        head.push_str("\r\n");
        self.request.clear();
        self.request.extend_from_slice(head.as_bytes());
        if let Some(body) = body {
            self.request.extend_from_slice(body);
        }

        let connection = match &mut self.connection {
            Some(connection) => connection,
            slot => {
                let stream = TcpStream::connect(self.addr)
                    .await
                    .map_err(|error| format!("cannot connect to {}: {error}", self.addr))?;
                stream
                    .set_nodelay(true)
                    .map_err(|error| format!("cannot set TCP_NODELAY: {error}"))?;
                slot.insert(BufReader::new(stream))
            }
        };
        connection
            .get_mut()
            .write_all(&self.request)
            .await
            .map_err(|error| format!("cannot send {method} {path}: {error}"))?;
        let (answer, keep_alive) = read_answer(connection, &mut self.line, method).await?;
        if !keep_alive {
            self.connection = None;
        }
        Ok(answer)
    }
}

/// Reads one answer: status line, headers, then a `content-length`,
/// chunked, or close-delimited body. Also says whether the connection may
/// be reused.
async fn read_answer(
    reader: &mut BufReader<TcpStream>,
    line: &mut String,
    method: &str,
) -> Result<(Answer, bool), String> {
    let io = |error: std::io::Error| format!("reading the answer: {error}");
    line.clear();
    if reader.read_line(line).await.map_err(io)? == 0 {
        return Err("the server closed the connection before answering".into());
    }
    let mut parts = line.split_ascii_whitespace();
    let version = parts.next().unwrap_or_default();
    let status: u16 = parts
        .next()
        .and_then(|code| code.parse().ok())
        .filter(|_| version.starts_with("HTTP/1."))
        .ok_or_else(|| format!("not an HTTP status line: {line:?}"))?;
    let mut keep_alive = version == "HTTP/1.1";
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(line).await.map_err(io)? == 0 {
            return Err("the connection closed inside the headers".into());
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(format!("malformed header line: {header:?}"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse()
                    .map_err(|_| format!("bad content-length: {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                keep_alive = false;
            } else if value.contains("keep-alive") {
                keep_alive = true;
            }
        }
    }

    let mut body = Vec::new();
    let bodiless = method == "HEAD" || status == 204 || status == 304 || status < 200;
    if bodiless {
        // No body follows, whatever the headers say.
    } else if chunked {
        read_chunked(reader, line, &mut body).await?;
    } else if let Some(length) = content_length {
        body.resize(length, 0);
        reader.read_exact(&mut body).await.map_err(io)?;
    } else {
        reader.read_to_end(&mut body).await.map_err(io)?;
        keep_alive = false;
    }
    Ok((Answer { status, body }, keep_alive))
}

async fn read_chunked(
    reader: &mut BufReader<TcpStream>,
    line: &mut String,
    body: &mut Vec<u8>,
) -> Result<(), String> {
    let io = |error: std::io::Error| format!("reading a chunked body: {error}");
    loop {
        line.clear();
        if reader.read_line(line).await.map_err(io)? == 0 {
            return Err("the connection closed inside a chunked body".into());
        }
        let size_text = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| format!("bad chunk size: {size_text:?}"))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(line).await.map_err(io)? == 0 || line.trim().is_empty() {
                    return Ok(());
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await.map_err(io)?;
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).await.map_err(io)?;
    }
}
