//! Built and run by `compile.rs` in its temporary workspace, next to the
//! generated `multipart` fixture crates: the generated client uploads files
//! to a bare TCP listener, which checks what arrives on the wire.

use chathooks_multipart_client::{Client, multipart};
use reqwest::multipart::Part;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Read one HTTP request (headers, then a Content-Length body or up to the
/// closing multipart boundary) and answer it with `answer`.
async fn serve_once(listener: tokio::net::TcpListener, answer: &'static str) -> String {
    let (mut socket, _) = listener.accept().await.expect("accept");
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let n = socket.read(&mut buffer).await.expect("read");
        if n == 0 {
            break;
        }
        received.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&received);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                });
            let complete = match length {
                Some(length) => received.len() >= end + 4 + length,
                None => text.ends_with("--\r\n"),
            };
            if complete {
                break;
            }
        }
    }
    let response = format!(
        "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
        answer.len()
    );
    socket.write_all(response.as_bytes()).await.expect("write");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let address = listener.local_addr().expect("address");
    let server = tokio::spawn(serve_once(
        listener,
        r#"{"file_infos":[{"id":"f1","name":"a.txt","size":5}],"client_ids":["c1"]}"#,
    ));
    let client = Client::new(&format!("http://{address}"));
    let answer = client
        .upload_file(
            Some("ch1".into()),
            Some("req-7".into()),
            multipart::UploadFile {
                files: vec![
                    Part::bytes(b"hello".to_vec()).file_name("a.txt"),
                    Part::bytes(b"second file".to_vec()).file_name("b.txt"),
                ],
                channel_id: "ch1".into(),
                client_ids: vec!["c1".into()],
            },
        )
        .await
        .expect("the upload succeeds");
    assert_eq!(answer.status().as_u16(), 201);
    let answer = answer.into_inner();
    assert_eq!(answer.file_infos.len(), 1);
    assert_eq!(answer.file_infos[0].name, "a.txt");

    let request = server.await.expect("the listener answered");
    let lower = request.to_ascii_lowercase();
    assert!(request.starts_with("POST /api/v4/files?channel_id=ch1 HTTP/1.1\r\n"), "{request}");
    assert!(lower.contains("content-type: multipart/form-data; boundary="), "{request}");
    assert!(lower.contains("x-request-id: req-7"), "{request}");
    for expected in [
        "name=\"files\"; filename=\"a.txt\"",
        "hello",
        "name=\"files\"; filename=\"b.txt\"",
        "second file",
        "name=\"channel_id\"\r\n\r\nch1\r\n",
        "name=\"client_ids\"\r\n\r\nc1\r\n",
    ] {
        assert!(request.contains(expected), "`{expected}` not in the request:\n{request}");
    }
    println!("upload-check: the generated client uploaded two files and two fields");
}
