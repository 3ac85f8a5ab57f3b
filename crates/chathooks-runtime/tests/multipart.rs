//! Multipart bodies: file parts reach the implementation, and a body with
//! more file parts than the limit is refused before any of them is kept.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use chathooks_runtime::{
    self as runtime, BodySpec, Endpoint, MaxUploadFiles, MediaKind, MediaSpec, OperationSpec, Prepared, RequestError,
    axum,
};
use tower::ServiceExt;

struct Api;

/// Refusals answered 400 with their text, so tests see what was said.
fn refuse(_: &Api, error: RequestError) -> Response {
    runtime::raw_response(StatusCode::BAD_REQUEST, "text/plain", error.to_string())
}

struct Upload {
    names: Vec<String>,
}

impl Endpoint<Api> for Upload {
    type Security = runtime::Anonymous;

    const SPEC: &'static OperationSpec = &OperationSpec {
        operation_id: "upload",
        method: "POST",
        path: "/files",
        params: &[],
        body: Some(BodySpec {
            media: &[MediaSpec {
                content_type: "multipart/form-data",
                kind: MediaKind::Multipart,
                fields: &[],
                schema: r#"{"type":"object"}"#,
            }],
            ..BodySpec::REQUIRED
        }),
        security: &[],
    };

    fn request(prepared: &mut Prepared) -> runtime::Result<Self> {
        let names = prepared.take_files().into_iter().map(|f| f.filename).collect();
        Ok(Self { names })
    }

    async fn call(_: &Api, _: (), request: Self) -> impl IntoResponse {
        runtime::raw_response(200u16, "text/plain", request.names.join(","))
    }
}

/// A multipart body of a `channel_id` field and `count` one-byte files.
fn body(count: usize) -> String {
    let mut body = String::from("--b\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\nc1\r\n");
    for n in 0..count {
        body.push_str(&format!(
            "--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"f{n}.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nx\r\n"
        ));
    }
    body.push_str("--b--\r\n");
    body
}

async fn upload(count: usize, limit: Option<MaxUploadFiles>) -> (StatusCode, String) {
    let router = runtime::Router::new(Arc::new(Api), "{}", refuse)
        .serve::<Upload>()
        .finish();
    let mut request = Request::post("/files")
        .header("content-type", "multipart/form-data; boundary=b")
        .body(Body::from(body(count)))
        .unwrap();
    if let Some(limit) = limit {
        request.extensions_mut().insert(limit);
    }
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let text = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(text.to_vec()).unwrap())
}

#[tokio::test]
async fn file_parts_up_to_the_default_limit_are_taken() {
    let (status, names) = upload(MaxUploadFiles::DEFAULT.0, None).await;
    assert_eq!(status, StatusCode::OK, "{names}");
    assert_eq!(names.split(',').count(), MaxUploadFiles::DEFAULT.0);
}

#[tokio::test]
async fn more_file_parts_than_the_limit_are_refused() {
    let (status, text) = upload(2_000, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        text,
        "invalid request: body at /files: too many files: at most 10 may be uploaded in one request"
    );
    // The server's own limit, set as a request extension.
    assert_eq!(upload(3, Some(MaxUploadFiles(3))).await.0, StatusCode::OK);
    let (status, text) = upload(4, Some(MaxUploadFiles(3))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(text.ends_with("at most 3 may be uploaded in one request"), "{text}");
}
