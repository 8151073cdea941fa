//! The front door: Baton's own listener before Rocket's, for the one limit
//! Rocket 0.5 cannot set — how long a request may take to arrive.
//!
//! Rocket 0.5 serves HTTP/1 with hyper's header read timeout switched off
//! and no timer, and takes no listener from outside, so a client that opens
//! a connection and sends nothing (or half a request line, a byte a minute)
//! holds a connection and a task for ever; enough of them exhaust file
//! descriptors. So the public address is ours: each connection must deliver
//! its complete request head (request line and headers, at most 64 KiB)
//! within `request_header_timeout_seconds`, or it is answered 408 and
//! closed. A complete head goes on to Rocket, listening on loopback only,
//! and the two sockets are spliced.
//!
//! Rocket then serves one request per connection (keep-alive off), so that
//! every request passes this check and carries the header below; the cost
//! is a TCP handshake per request on loopback and to the client. The
//! client's address would otherwise be lost behind the splice: the front
//! adds it as `X-Baton-Peer` (dropping any the client sent) and Rocket reads
//! the client address from that header only in this arrangement.
//!
//! `request_header_timeout_seconds = 0` turns the front off (Rocket listens
//! itself, keep-alive on) for installations whose reverse proxy bounds it
//! instead, e.g. nginx `client_header_timeout`. Bodies are bounded in size
//! (1 MiB) but not in time here; the reverse proxy's body timeout covers
//! those (nginx `client_body_timeout`).

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use rocket::fairing::AdHoc;
use rocket::{Build, Rocket};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// The header in which the front tells Rocket the client's address.
pub const PEER_HEADER: &str = "X-Baton-Peer";

/// Largest request head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

const REQUEST_TIMEOUT: &[u8] =
    b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
const HEAD_TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/// `rocket` moved behind the front: on an ephemeral loopback port, one
/// request a connection, reading the client's address from [`PEER_HEADER`];
/// it tells `port` where it listens once it does.
pub fn behind(rocket: Rocket<Build>, port: oneshot::Sender<u16>) -> Rocket<Build> {
    let figment = rocket
        .figment()
        .clone()
        .merge(("address", IpAddr::from([127, 0, 0, 1])))
        .merge(("port", 0))
        .merge(("keep_alive", 0))
        .merge(("ip_header", PEER_HEADER));
    let port = std::sync::Mutex::new(Some(port));
    rocket
        .configure(figment)
        .attach(AdHoc::on_liftoff("front door", move |rocket| {
            let listening = rocket.config().port;
            Box::pin(async move {
                if let Some(port) = port.lock().ok().and_then(|mut slot| slot.take()) {
                    port.send(listening).ok();
                }
            })
        }))
}

/// Accepts on `public` for ever, once Rocket says where it listens.
pub async fn serve(public: TcpListener, rocket_port: oneshot::Receiver<u16>, limit: Duration) {
    let Ok(port) = rocket_port.await else {
        tracing::error!("the server never started listening; the front stays closed");
        return;
    };
    let inner = SocketAddr::from(([127, 0, 0, 1], port));
    loop {
        match public.accept().await {
            Ok((client, peer)) => {
                tokio::spawn(async move {
                    if let Err(error) = relay(client, peer.ip(), inner, limit).await {
                        tracing::debug!(%error, %peer, "connection ended with an error");
                    }
                });
            }
            Err(error) => {
                // Out of file descriptors, say: wait a little rather than spin.
                tracing::warn!(%error, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn relay(
    mut client: TcpStream,
    peer: IpAddr,
    inner: SocketAddr,
    limit: Duration,
) -> std::io::Result<()> {
    client.set_nodelay(true)?;
    let (head, rest) = match tokio::time::timeout(limit, read_head(&mut client)).await {
        Err(_elapsed) => {
            client.write_all(REQUEST_TIMEOUT).await.ok();
            return client.shutdown().await;
        }
        Ok(Err(error)) => return Err(error),
        Ok(Ok(Head::Closed)) => return Ok(()),
        Ok(Ok(Head::TooLarge)) => {
            client.write_all(HEAD_TOO_LARGE).await.ok();
            return client.shutdown().await;
        }
        Ok(Ok(Head::Complete { head, rest })) => (head, rest),
    };
    let Some(head) = with_peer(&head, peer) else {
        // Not an HTTP/1 request head (an HTTP/2 preface, say): nothing to serve.
        return client.shutdown().await;
    };
    let mut server = TcpStream::connect(inner).await?;
    server.set_nodelay(true)?;
    server.write_all(&head).await?;
    server.write_all(&rest).await?;
    let (mut from_client, mut to_client) = client.split();
    let (mut from_server, mut to_server) = server.split();
    let upstream = async {
        tokio::io::copy(&mut from_client, &mut to_server).await.ok();
        to_server.shutdown().await.ok();
        // Once the client is done sending, wait for the answer to finish.
        std::future::pending::<()>().await;
    };
    let downstream = async {
        tokio::io::copy(&mut from_server, &mut to_client).await.ok();
        to_client.shutdown().await.ok();
    };
    // The connection ends with the answer: Rocket closes after one request.
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
    Ok(())
}

enum Head {
    /// The head up to and including its blank line, and what followed it.
    Complete {
        head: Vec<u8>,
        rest: Vec<u8>,
    },
    Closed,
    TooLarge,
}

async fn read_head(client: &mut TcpStream) -> std::io::Result<Head> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let read = client.read(&mut chunk).await?;
        if read == 0 {
            return Ok(Head::Closed);
        }
        let searched_from = buffer.len().saturating_sub(3);
        buffer.extend_from_slice(&chunk[..read]);
        if let Some(at) = find_blank_line(&buffer[searched_from..]) {
            let end = searched_from + at + 4;
            let rest = buffer.split_off(end);
            return Ok(Head::Complete { head: buffer, rest });
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Ok(Head::TooLarge);
        }
    }
}

fn find_blank_line(bytes: &[u8]) -> Option<usize> {
    bytes.windows(4).position(|window| window == b"\r\n\r\n")
}

/// The head with `X-Baton-Peer: <peer>` in place of any the client sent;
/// `None` when it is not an HTTP/1 request head.
fn with_peer(head: &[u8], peer: IpAddr) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(head).ok()?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next()?;
    if !request_line.ends_with("HTTP/1.1") && !request_line.ends_with("HTTP/1.0") {
        return None;
    }
    let mut out = String::with_capacity(head.len() + 40);
    out.push_str(request_line);
    out.push_str("\r\n");
    for line in lines.filter(|line| !line.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim();
        if !name.eq_ignore_ascii_case(PEER_HEADER) {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("{PEER_HEADER}: {peer}\r\n\r\n"));
    Some(out.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_header_replaces_any_the_client_sent() {
        let head = b"GET / HTTP/1.1\r\nHost: x\r\nx-baton-peer: 6.6.6.6\r\n\r\n";
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let out = String::from_utf8(with_peer(head, peer).unwrap()).unwrap();
        assert_eq!(
            out,
            "GET / HTTP/1.1\r\nHost: x\r\nX-Baton-Peer: 203.0.113.9\r\n\r\n"
        );
        assert!(with_peer(b"PRI * HTTP/2.0\r\n\r\n", peer).is_none());
    }
}
