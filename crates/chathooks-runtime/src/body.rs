//! Reading the request body in whichever media type the operation accepts.

use axum::body::{Body, Bytes};
use axum::extract::FromRequest;
use axum::http::{header, request::Parts};
use serde_json::{Map, Value};

use crate::error::{Location, RequestError, RequestErrorKind, ValidationIssue};
use crate::extract::coerce;
use crate::spec::{MediaKind, MediaSpec, OperationSpec, ParamKind};

/// A file part of a multipart body. Its field holds the file's name in the
/// parsed body (so the schema's `format: binary` string validates); the
/// contents are here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// The form field the part was sent as.
    pub field: String,
    /// The part's `filename`.
    pub filename: String,
    /// The part's Content-Type, if it had one.
    pub content_type: Option<String>,
    pub data: Bytes,
}

/// The most file parts one multipart body may carry: every part is a file
/// the server stores, so a body of many tiny parts costs far more than its
/// bytes. The server sets it as a request extension; without one,
/// [`MaxUploadFiles::DEFAULT`] applies. A body with more is refused as
/// invalid, at the first part past the limit (nothing more is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxUploadFiles(pub usize);

impl MaxUploadFiles {
    /// Ten: the most files one Mattermost post can carry (its `file_ids` are
    /// limited to 300 characters, ten ids; the web app also uploads at most
    /// ten at a time). Rocket.Chat takes one file per upload.
    pub const DEFAULT: Self = Self(10);
}

impl Default for MaxUploadFiles {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Read and parse the body. `Ok(None)` when the operation takes no body or
/// none was sent. File parts of a multipart body go to `files`.
pub(crate) async fn read(
    spec: &OperationSpec,
    parts: &Parts,
    body: Body,
    files: &mut Vec<UploadedFile>,
    binary: &mut Option<crate::Binary>,
) -> Result<Option<(usize, Value)>, RequestError> {
    let Some(body_spec) = &spec.body else {
        drain(body).await;
        return Ok(None);
    };
    let operation_id = spec.operation_id;
    let bytes = collect(parts, body)
        .await
        .map_err(|kind| RequestError { operation_id, kind })?;
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());

    if bytes.is_empty() && content_type.is_none() {
        return if body_spec.required {
            Err(RequestError::invalid(
                operation_id,
                vec![ValidationIssue::missing_body()],
            ))
        } else {
            Ok(None)
        };
    }

    let media_index = match content_type {
        Some(content_type) => select(body_spec.media, content_type).or_else(|| {
            body_spec
                .lenient_json
                .then(|| body_spec.media.iter().position(|m| m.kind == MediaKind::Json))
                .flatten()
        }),
        // No Content-Type: take JSON if the operation accepts it, else raw
        // bytes, else the first listed type.
        None => body_spec
            .media
            .iter()
            .position(|m| m.kind == MediaKind::Json)
            .or_else(|| body_spec.media.iter().position(|m| m.kind == MediaKind::Binary))
            .or(if body_spec.media.is_empty() { None } else { Some(0) }),
    };
    let Some(index) = media_index else {
        return Err(RequestError {
            operation_id,
            kind: RequestErrorKind::UnsupportedMediaType {
                content_type: content_type.unwrap_or("").to_owned(),
            },
        });
    };
    let media = &body_spec.media[index];
    let malformed = |message: String| {
        RequestError::invalid(operation_id, vec![ValidationIssue::malformed(Location::Body, message)])
    };
    let value = match media.kind {
        MediaKind::Json => {
            if bytes.iter().all(u8::is_ascii_whitespace) {
                if body_spec.required {
                    return Err(RequestError::invalid(
                        operation_id,
                        vec![ValidationIssue::missing_body()],
                    ));
                }
                return Ok(None);
            }
            serde_json::from_slice(&bytes).map_err(|e| malformed(format!("malformed JSON: {e}")))?
        }
        MediaKind::Form => {
            let pairs = form_urlencoded::parse(&bytes).into_owned();
            fields_to_object(media, pairs)
        }
        MediaKind::Multipart => {
            let boundary = multer::parse_boundary(content_type.unwrap_or_default())
                .map_err(|e| malformed(format!("malformed multipart body: {e}")))?;
            let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(bytes) });
            let mut multipart = multer::Multipart::new(stream, boundary);
            let max_files = parts.extensions.get::<MaxUploadFiles>().copied().unwrap_or_default().0;
            let mut pairs = Vec::new();
            loop {
                match multipart.next_field().await {
                    Ok(Some(field)) => {
                        let name = field.name().unwrap_or_default().to_owned();
                        if let Some(filename) = field.file_name().map(str::to_owned) {
                            if files.len() >= max_files {
                                return Err(too_many_files(operation_id, &name, max_files));
                            }
                            let content_type = field.content_type().map(ToString::to_string);
                            let data = field
                                .bytes()
                                .await
                                .map_err(|e| malformed(format!("malformed multipart body: {e}")))?;
                            pairs.push((name.clone(), filename.clone()));
                            files.push(UploadedFile {
                                field: name,
                                filename,
                                content_type,
                                data,
                            });
                            continue;
                        }
                        let text = field
                            .text()
                            .await
                            .map_err(|e| malformed(format!("malformed multipart body: {e}")))?;
                        pairs.push((name, text));
                    }
                    Ok(None) => break,
                    Err(e) => return Err(malformed(format!("malformed multipart body: {e}"))),
                }
            }
            fields_to_object(media, pairs.into_iter())
        }
        MediaKind::Text => {
            let text = String::from_utf8(bytes.to_vec())
                .map_err(|_| malformed("the text body is not valid UTF-8".to_owned()))?;
            Value::String(text)
        }
        // Handed over as they came, beside the (null) parsed body.
        MediaKind::Binary => {
            *binary = Some(crate::Binary {
                data: bytes,
                content_type: content_type.map(str::to_owned),
            });
            Value::Null
        }
    };
    Ok(Some((index, value)))
}

/// The refusal of a multipart body with more than `max` file parts.
fn too_many_files(operation_id: &'static str, field: &str, max: usize) -> RequestError {
    RequestError::invalid(
        operation_id,
        vec![ValidationIssue {
            location: Location::Body,
            name: String::new(),
            pointer: format!("/{}", field.replace('~', "~0").replace('/', "~1")),
            keyword: "maxItems".to_owned(),
            property: None,
            message: format!("too many files: at most {max} may be uploaded in one request"),
        }],
    )
}

async fn collect(parts: &Parts, body: Body) -> Result<Bytes, RequestErrorKind> {
    // Going through axum's `Bytes` extractor honours a `DefaultBodyLimit` layer.
    let request = axum::http::Request::from_parts(clone_head(parts), body);
    Bytes::from_request(request, &()).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            RequestErrorKind::PayloadTooLarge
        } else {
            RequestErrorKind::Invalid(vec![ValidationIssue::malformed(Location::Body, rejection.body_text())])
        }
    })
}

fn clone_head(parts: &Parts) -> Parts {
    let (mut head, ()) = axum::http::Request::new(()).into_parts();
    head.method = parts.method.clone();
    head.uri = parts.uri.clone();
    head.version = parts.version;
    head.headers = parts.headers.clone();
    head.extensions = parts.extensions.clone();
    head
}

/// Pick the first listed media type that matches the request's Content-Type.
fn select(media: &[MediaSpec], content_type: &str) -> Option<usize> {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let (kind, sub) = essence.split_once('/')?;
    media.iter().position(|m| {
        let listed = m.content_type.to_ascii_lowercase();
        let Some((lk, ls)) = listed.split_once('/') else {
            return false;
        };
        (lk == "*" || lk == kind) && (ls == "*" || ls == sub)
            || (m.kind == MediaKind::Json && kind == "application" && sub.ends_with("+json"))
    })
}

/// Form and multipart fields become a JSON object, each field coerced to the
/// type its property declares. Repeated fields of array properties collect.
fn fields_to_object(media: &MediaSpec, pairs: impl Iterator<Item = (String, String)>) -> Value {
    let mut object = Map::new();
    for (name, text) in pairs {
        let kind = media
            .fields
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, kind)| *kind);
        match kind {
            Some(ParamKind::Array(item)) => {
                let entry = object.entry(name).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    items.push(coerce(*item, &text));
                }
            }
            Some(kind) => {
                object.insert(name, coerce(kind, &text));
            }
            None => {
                object.insert(name, Value::String(text));
            }
        }
    }
    Value::Object(object)
}

/// Most of an unread body [`drain`] reads, and how long it waits for it.
const DRAIN_LIMIT: usize = 1024 * 1024;
const DRAIN_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Read and discard a request body that the answer does not need, so the
/// connection can serve the client's next request.
///
/// hyper keeps a connection alive only when the request's body was read to
/// its end. For a body found unread, it makes one attempt to read the rest.
/// If that attempt comes after the answer's head is written (an answer made
/// at once, such as a redirect) and the rest has not arrived yet, hyper
/// closes the connection after an answer it sent as keep-alive. A client
/// that reuses the connection meanwhile gets no answer at all. Python's
/// urllib3 sends headers and body in separate writes, and mattermostdriver
/// sends `{}` with every GET.
///
/// Bounded by [`DRAIN_LIMIT`] and [`DRAIN_WAIT`]: past those the connection
/// is given up, as hyper would.
pub async fn drain(body: Body) {
    let _ = tokio::time::timeout(DRAIN_WAIT, axum::body::to_bytes(body, DRAIN_LIMIT)).await;
}
