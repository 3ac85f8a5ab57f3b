//! The generic handler and router on hand-written endpoints, as a generated
//! server crate writes them: two methods on one path, a parameter taken by
//! index, a required credential, and refusals going through the hook.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::{IntoResponse, Response};
use chathooks_runtime::{
    self as runtime, Credential, Endpoint, OperationSpec, ParamKind, ParamSpec, Prepared, RequestError,
    RequestErrorKind, SchemeSpec, Security, axum,
};
use tower::ServiceExt;

struct Api;

/// The error hook: refusals answered 418 with the kind, so tests see them.
fn refuse(_: &Api, error: RequestError) -> Response {
    let kind = match error.kind {
        RequestErrorKind::Unauthenticated => "unauthenticated",
        RequestErrorKind::Invalid(_) => "invalid",
        _ => "other",
    };
    runtime::raw_response(StatusCode::IM_A_TEAPOT, "text/plain", kind)
}

struct Bearer;

impl Security for Bearer {
    type Credentials = String;

    fn credentials(credential: Option<Credential>) -> Option<String> {
        credential?.values.into_iter().next()
    }
}

struct GetThing {
    id: String,
    limit: i64,
}

impl Endpoint<Api> for GetThing {
    type Security = runtime::Anonymous;

    const SPEC: &'static OperationSpec = &OperationSpec {
        operation_id: "getThing",
        method: "GET",
        path: "/things/{id}",
        params: &[
            ParamSpec::path("id"),
            ParamSpec::query("limit")
                .kind(ParamKind::Integer)
                .default("10")
                .schema(r#"{"default":10,"type":"integer","maximum":100}"#),
        ],
        body: None,
        security: &[],
    };

    fn request(prepared: &mut Prepared) -> runtime::Result<Self> {
        Ok(Self {
            id: prepared.required(0)?,
            limit: prepared.required(1)?,
        })
    }

    async fn call(_: &Api, _: (), request: Self) -> impl IntoResponse {
        runtime::raw_response(200u16, "text/plain", format!("get {} {}", request.id, request.limit))
    }
}

struct DeleteThing {
    id: String,
}

impl Endpoint<Api> for DeleteThing {
    type Security = Bearer;

    const SPEC: &'static OperationSpec = &OperationSpec {
        operation_id: "deleteThing",
        method: "DELETE",
        path: "/things/{id}",
        params: &[ParamSpec::path("id")],
        body: None,
        security: &[&[SchemeSpec::Http { scheme: "bearer" }]],
    };

    fn request(prepared: &mut Prepared) -> runtime::Result<Self> {
        Ok(Self {
            id: prepared.required(0)?,
        })
    }

    async fn call(_: &Api, token: String, request: Self) -> impl IntoResponse {
        runtime::raw_response(200u16, "text/plain", format!("delete {} by {token}", request.id))
    }
}

fn router() -> axum::Router {
    runtime::Router::new(Arc::new(Api), "{}", refuse)
        .serve::<GetThing>()
        .serve::<DeleteThing>()
        .finish()
}

async fn send(method: &str, uri: &str, authorization: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = router().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn both_methods_of_a_path_are_served() {
    assert_eq!(
        send("GET", "/things/a", None).await,
        (StatusCode::OK, "get a 10".into())
    );
    assert_eq!(
        send("GET", "/things/a?limit=5", None).await,
        (StatusCode::OK, "get a 5".into())
    );
    assert_eq!(
        send("DELETE", "/things/b", Some("Bearer t0k")).await,
        (StatusCode::OK, "delete b by t0k".into())
    );
    assert_eq!(send("PUT", "/things/b", None).await.0, StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn refusals_go_through_the_hook() {
    assert_eq!(
        send("DELETE", "/things/b", None).await,
        (StatusCode::IM_A_TEAPOT, "unauthenticated".into())
    );
    assert_eq!(
        send("GET", "/things/a?limit=500", None).await,
        (StatusCode::IM_A_TEAPOT, "invalid".into())
    );
}
