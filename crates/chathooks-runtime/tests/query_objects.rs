//! Object-valued query parameters over a real socket: gathered from their
//! keys in each style, coerced by their properties' kinds, validated, and a
//! malformed one refused with a 400 that names it.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chathooks_runtime::{
    self as runtime, Endpoint, ObjectSpec, ObjectStyle, OperationSpec, ParamKind, ParamSpec, Prepared, RequestError,
    SchemeSpec, axum, serde_json::Value,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Api;

/// Refusals answered 400 with their text, so tests see what was said.
fn refuse(_: &Api, error: RequestError) -> Response {
    runtime::raw_response(StatusCode::BAD_REQUEST, "text/plain", error.to_string())
}

/// Answers the objects it was handed, as JSON.
struct Objects(Vec<Value>);

impl Objects {
    fn take(prepared: &mut Prepared, count: usize) -> runtime::Result<Self> {
        (0..count)
            .map(|index| {
                prepared
                    .optional(index)
                    .map(|v: Option<Value>| v.unwrap_or(Value::Null))
            })
            .collect::<runtime::Result<Vec<_>>>()
            .map(Self)
    }

    fn answer(self) -> Response {
        runtime::json_response(200u16, &self.0)
    }
}

/// `filter` as deepObject (typed properties, an array, extra keys as
/// integers), beside a plain `q`.
struct Deep(Objects);

impl Endpoint<Api> for Deep {
    type Security = runtime::Anonymous;

    const SPEC: &'static OperationSpec = &OperationSpec {
        operation_id: "deep",
        method: "GET",
        path: "/deep",
        params: &[
            ParamSpec::query("filter")
                .required(true)
                .object(&ObjectSpec {
                    style: ObjectStyle::DeepObject,
                    properties: &[
                        ("status", ParamKind::String),
                        ("limit", ParamKind::Integer),
                        ("tags", ParamKind::Array(&ParamKind::String)),
                    ],
                    rest: Some(ParamKind::Integer),
                })
                .schema(
                    r#"{"type":"object","required":["status"],"properties":{"status":{"enum":["open","archived"]},"limit":{"type":"integer","maximum":100},"tags":{"type":"array"}},"additionalProperties":{"type":"integer"}}"#,
                ),
            ParamSpec::query("q"),
        ],
        body: None,
        security: &[],
    };

    fn request(prepared: &mut Prepared) -> runtime::Result<Self> {
        Objects::take(prepared, 2).map(Self)
    }

    async fn call(_: &Api, _: (), request: Self) -> impl IntoResponse {
        request.0.answer()
    }
}

/// `paging` as exploded form (its properties are keys of the query), and
/// `extra` as an exploded form map taking every other key but `q` and the
/// API key.
struct Exploded(Objects);

impl Endpoint<Api> for Exploded {
    type Security = runtime::Anonymous;

    const SPEC: &'static OperationSpec = &OperationSpec {
        operation_id: "exploded",
        method: "GET",
        path: "/exploded",
        params: &[
            ParamSpec::query("paging")
                .object(&ObjectSpec {
                    style: ObjectStyle::FormExploded,
                    properties: &[("page", ParamKind::Integer), ("per_page", ParamKind::Integer)],
                    rest: None,
                })
                .schema(r#"{"type":"object","properties":{"per_page":{"type":"integer","minimum":1}}}"#),
            ParamSpec::query("q"),
            ParamSpec::query("extra")
                .object(&ObjectSpec {
                    style: ObjectStyle::FormExploded,
                    properties: &[],
                    rest: Some(ParamKind::Boolean),
                })
                .schema(r#"{"type":"object","additionalProperties":{"type":"boolean"}}"#),
        ],
        body: None,
        security: &[
            &[],
            &[SchemeSpec::ApiKey {
                location: runtime::Location::Query,
                name: "api_key",
            }],
        ],
    };

    fn request(prepared: &mut Prepared) -> runtime::Result<Self> {
        Objects::take(prepared, 3).map(Self)
    }

    async fn call(_: &Api, _: (), request: Self) -> impl IntoResponse {
        request.0.answer()
    }
}

/// `color` as form, not exploded: `color=R,100,G,200`.
struct Plain(Objects);

impl Endpoint<Api> for Plain {
    type Security = runtime::Anonymous;

    const SPEC: &'static OperationSpec = &OperationSpec {
        operation_id: "plain",
        method: "GET",
        path: "/plain",
        params: &[ParamSpec::query("color")
            .explode(false)
            .object(&ObjectSpec {
                style: ObjectStyle::Form,
                properties: &[("R", ParamKind::Integer), ("G", ParamKind::Integer)],
                rest: Some(ParamKind::String),
            })
            .schema(r#"{"type":"object","properties":{"R":{"type":"integer"},"G":{"type":"integer"}}}"#)],
        body: None,
        security: &[],
    };

    fn request(prepared: &mut Prepared) -> runtime::Result<Self> {
        Objects::take(prepared, 1).map(Self)
    }

    async fn call(_: &Api, _: (), request: Self) -> impl IntoResponse {
        request.0.answer()
    }
}

/// A server on a real socket; its address.
async fn serve() -> std::net::SocketAddr {
    let app = runtime::Router::new(Arc::new(Api), "{}", refuse)
        .serve::<Deep>()
        .serve::<Exploded>()
        .serve::<Plain>()
        .finish();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// One GET over HTTP/1.1: the status and the body.
async fn get(address: std::net::SocketAddr, target: &str) -> (u16, String) {
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nhost: test\r\nconnection: close\r\n\r\n");
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn each_style_is_gathered_into_an_object() {
    let address = serve().await;
    assert_eq!(
        get(
            address,
            "/deep?filter%5Bstatus%5D=open&filter[limit]=3&filter[tags]=a&filter[tags]=b%20c&filter[x]=7&q=hi"
        )
        .await,
        (
            200,
            r#"[{"status":"open","limit":3,"tags":["a","b c"],"x":7},"hi"]"#.into()
        )
    );
    // The last of a repeated scalar counts, as for any parameter.
    assert_eq!(
        get(address, "/deep?filter[status]=open&filter[status]=archived").await,
        (200, r#"[{"status":"archived"},null]"#.into())
    );
    // Exploded form: declared keys to `paging`, every other key but `q` and
    // the API key to the map `extra`.
    assert_eq!(
        get(address, "/exploded?page=2&per_page=50&q=x&q[y]=z&api_key=k&seen=true").await,
        (200, r#"[{"page":2,"per_page":50},"x",{"seen":true}]"#.into())
    );
    assert_eq!(get(address, "/exploded?q=x").await, (200, r#"[null,"x",null]"#.into()));
    assert_eq!(
        get(address, "/plain?color=R,100,G,200,name,teal").await,
        (200, r#"[{"R":100,"G":200,"name":"teal"}]"#.into())
    );
    assert_eq!(get(address, "/plain?color=").await, (200, "[{}]".into()));
}

#[tokio::test]
async fn malformed_objects_are_refused_with_what_is_wrong() {
    let address = serve().await;
    for (target, expected) in [
        ("/deep?filter[limit]=3", "query parameter 'filter'"),
        (
            "/deep?filter[status]=open&filter[limit]=many",
            "query parameter 'filter' at /limit",
        ),
        (
            "/deep?filter[status]=open&filter[limit]=500",
            "query parameter 'filter' at /limit",
        ),
        ("/deep?filter[status]=shut", "query parameter 'filter' at /status"),
        (
            "/deep?filter[status]=open&filter[x]=y",
            "query parameter 'filter' at /x",
        ),
        (
            "/deep?filter[status]=open&filter[a][b]=1",
            "expected `filter[property]`",
        ),
        ("/deep?filter[status]=open&filter[]=1", "expected `filter[property]`"),
        ("/deep?filter=open", "missing required query parameter 'filter'"),
        ("/exploded?per_page=0", "query parameter 'paging' at /per_page"),
        ("/exploded?seen=maybe", "query parameter 'extra' at /seen"),
        ("/plain?color=R,100,G", "name,value"),
        ("/plain?color=R,red", "query parameter 'color' at /R"),
    ] {
        let (status, body) = get(address, target).await;
        assert_eq!(status, 400, "{target}: {body}");
        assert!(body.contains(expected), "{target}: `{expected}` not in {body}");
    }
}
