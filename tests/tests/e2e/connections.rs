//! Connection limits with real sockets on 127.0.0.1: slow request heads and
//! idle connections are closed, connections past the cap are answered 503,
//! and shutdown closes what is left after its deadline. Waits are bounded;
//! nothing asserts how fast.

use std::time::Duration;

use chathooks_tests::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Longest any test waits for the server to act; the limits under test are
/// a second or two.
const PATIENCE: Duration = Duration::from_secs(30);

/// Read until the server closes the connection (or resets it); what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "the server did not close the connection in {PATIENCE:?}"
    );
    String::from_utf8_lossy(&received).into_owned()
}

/// A connection that sent half a request head.
async fn half_sent(server: &TestServer) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /api/v4/system/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

#[tokio::test]
async fn half_sent_request_heads_are_closed_after_the_header_timeout() {
    let server = TestServer::start_with(|config| {
        config.connections.header_timeout = Duration::from_secs(1);
    })
    .await;
    let mut streams = Vec::new();
    for _ in 0..50 {
        streams.push(half_sent(&server).await);
    }
    for stream in &mut streams {
        read_until_closed(stream).await;
    }
    // The server still answers.
    let ping = reqwest::get(format!("{}/api/v4/system/ping", server.base))
        .await
        .unwrap();
    assert_eq!(ping.status(), 200);
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let server = TestServer::start_with(|config| {
        config.connections.idle_timeout = Duration::from_secs(1);
    })
    .await;
    // Never sends anything.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // Kept alive after an answer, then silent.
    let mut kept = TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET /api/v4/system/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let answered = read_until_closed(&mut kept).await;
    assert!(answered.starts_with("HTTP/1.1 200"), "{answered}");
    read_until_closed(&mut silent).await;
}

#[tokio::test]
async fn a_long_answer_is_not_cut_by_the_idle_timeout() {
    let server = TestServer::start_with(|config| {
        config.connections.idle_timeout = Duration::from_secs(1);
        config.connections.header_timeout = Duration::from_secs(1);
    })
    .await;
    // The test API's long poll: no byte either way for longer than both.
    let response = reqwest::get(format!(
        "{}/_chathooks/api/v1/messages/wait?timeout_ms=2500&text=never-posted",
        server.base
    ))
    .await
    .expect("answered, not closed");
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["timed_out"], true, "the wait ran to its end: {body}");
}

#[tokio::test]
async fn connections_past_the_cap_are_answered_503() {
    let server = TestServer::start_with(|config| {
        config.connections.max_connections = 3;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        // A whole exchange, so the server has surely accepted it.
        stream
            .write_all(b"GET /api/v4/system/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut buffer = [0u8; 1024];
        let n = tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(buffer[..n].starts_with(b"HTTP/1.1 200"));
        held.push(stream);
    }
    let mut extra = TcpStream::connect(server.addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /api/v4/system/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await;
    let answer = read_until_closed(&mut extra).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.contains("--max-connections") && answer.to_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
    // Once one closes, new connections are served again.
    drop(held.pop());
    let served = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Ok(response) = reqwest::get(format!("{}/api/v4/system/ping", server.base)).await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(served.is_ok(), "served again after a connection closed");
}

#[tokio::test]
async fn shutdown_closes_half_sent_requests_after_its_deadline() {
    let server = TestServer::start_with(|config| {
        config.connections.header_timeout = Duration::from_secs(600);
        config.connections.shutdown_timeout = Duration::from_secs(1);
    })
    .await;
    let mut stream = half_sent(&server).await;
    // Let the server read it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(PATIENCE, server.shutdown())
        .await
        .expect("the server stopped although a request was half sent");
    read_until_closed(&mut stream).await;
}
