//! Files (`/api/v4/files`): uploads, as multipart parts named `files` or as a
//! raw body, stored through the core; downloads and metadata.

use chathooks_mattermost_server::ops::{get_file, get_file_info, upload_file};
use chathooks_mattermost_types as types;
use chathooks_runtime::Binary;

use super::auth::{Caller, can_read_channel};
use super::channels::live_channel;
use super::error::{ApiError, ApiResult};
use super::posts::may_post;
use chathooks_core::Core;
use chathooks_core::ids::is_valid_id;
use chathooks_core::store::FileInfo;

pub(crate) fn file_info(info: &FileInfo) -> types::FileInfo {
    types::FileInfo {
        id: info.id.clone(),
        user_id: info.user_id.clone(),
        post_id: info.post_id.clone(),
        channel_id: info.channel_id.clone(),
        create_at: info.create_at,
        update_at: info.update_at,
        delete_at: info.delete_at,
        name: info.name.clone(),
        extension: info.extension.clone(),
        size: info.size,
        mime_type: info.mime_type.clone(),
        width: info.width,
        height: info.height,
        has_preview_image: false,
    }
}

fn no_files() -> ApiError {
    ApiError::bad_request(
        "api.file.upload_file.incorrect_number_of_files.app_error",
        "Unable to upload files. Incorrect number of files specified.",
    )
}

/// One file to store: its name, the type the client claimed, its bytes.
struct Incoming {
    name: String,
    content_type: Option<String>,
    data: chathooks_runtime::Bytes,
}

pub(crate) async fn upload_file(
    state: &Core,
    caller: Caller,
    request: upload_file::Request,
) -> ApiResult<upload_file::Response> {
    let (channel_id, client_ids, incoming) = match request.body {
        upload_file::Body::Multipart(form) => {
            let channel_id = form.channel_id.or(request.channel_id);
            let files = request
                .files
                .into_iter()
                .filter(|f| f.field == "files")
                .map(|f| Incoming {
                    name: f.filename,
                    content_type: f.content_type,
                    data: f.data,
                })
                .collect::<Vec<_>>();
            (channel_id, form.client_ids, files)
        }
        upload_file::Body::Binary(Binary { data, content_type })
        | upload_file::Body::Binary2(Binary { data, content_type }) => {
            let Some(name) = request.filename.filter(|n| !n.trim().is_empty()) else {
                return Err(ApiError::invalid_url_param("filename"));
            };
            let file = Incoming {
                name,
                content_type,
                data,
            };
            (request.channel_id, Vec::new(), vec![file])
        }
    };
    let channel_id = channel_id
        .filter(|id| is_valid_id(id))
        .ok_or_else(|| ApiError::invalid_url_param("channel_id"))?;
    if incoming.is_empty() {
        return Err(no_files());
    }
    let channel = live_channel(state, &channel_id).await?;
    if !may_post(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    let mut infos = Vec::with_capacity(incoming.len());
    for file in incoming {
        let info = chathooks_core::files::upload(
            state,
            &caller.user,
            &channel,
            &file.name,
            file.content_type.as_deref(),
            &file.data,
        )
        .await?;
        infos.push(file_info(&info));
    }
    Ok(upload_file::Response::Created(types::FileUploadResponse {
        file_infos: infos,
        client_ids,
    }))
}

/// A live file whose channel the caller can read.
async fn readable_file(state: &Core, caller: &Caller, file_id: &str) -> ApiResult<FileInfo> {
    if !is_valid_id(file_id) {
        return Err(ApiError::invalid_url_param("file_id"));
    }
    let not_found = || ApiError::not_found("app.file_info.get.app_error", "Unable to get the file info.");
    let info = state.read().get_file_info(file_id).await?.ok_or_else(not_found)?;
    let channel = state
        .read()
        .get_channel(&info.channel_id)
        .await?
        .ok_or_else(not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    Ok(info)
}

pub(crate) async fn get_file(
    state: &Core,
    caller: Caller,
    request: get_file::Request,
) -> ApiResult<get_file::Response> {
    let info = readable_file(state, &caller, &request.file_id).await?;
    let data = state
        .read()
        .get_file_data(&info.id)
        .await?
        .ok_or_else(|| ApiError::not_found("app.file.get.app_error", "Unable to get the file."))?;
    let served = ServedType::of(&info.mime_type, &data);
    Ok(get_file::Response::Ok(
        Binary::new(data, served.content_type),
        get_file::OkHeaders {
            content_disposition: Some(content_disposition(served.disposition, &info.name)),
            x_content_type_options: Some("nosniff".into()),
            x_frame_options: Some("DENY".into()),
            content_security_policy: Some(DOWNLOAD_CSP.into()),
        },
    ))
}

/// Sent with every download: should a browser open the file, as a page or
/// in a frame, it runs no script, loads nothing and shares no origin with
/// the server (which holds the session cookie).
const DOWNLOAD_CSP: &str = "sandbox; default-src 'none'; frame-ancestors 'none'";

/// Types sent as `text/plain` instead (Mattermost's `UnsafeContentTypes`):
/// served as themselves, they would run in the server's origin.
const UNSAFE_TYPES: [&str; 6] = [
    "application/javascript",
    "application/ecmascript",
    "text/javascript",
    "text/ecmascript",
    "application/x-javascript",
    "text/html",
];

/// Types shown `inline` (Mattermost's `MediaContentTypes`): a browser
/// displays them without running anything. Everything else (SVG, XHTML and
/// XML among them, which can carry scripts) is an `attachment`.
const MEDIA_TYPES: [&str; 11] = [
    "image/jpeg",
    "image/png",
    "image/bmp",
    "image/gif",
    "image/tiff",
    "image/webp",
    "video/avi",
    "video/mpeg",
    "video/mp4",
    "audio/mpeg",
    "audio/wav",
];

/// Whether a (lowercase) media type promises text a client may decode.
fn is_textual(lower: &str) -> bool {
    let essence = lower.split(';').next().unwrap_or_default().trim();
    essence.starts_with("text/")
        || is_json(essence)
        || essence.ends_with("xml")
        || essence.ends_with("yaml")
        || essence == "application/x-www-form-urlencoded"
        || UNSAFE_TYPES.iter().any(|unsafe_type| essence.starts_with(unsafe_type))
}

/// Whether a (lowercased) MIME type is JSON's: `application/json` or a
/// `+json` type.
fn is_json(lower: &str) -> bool {
    lower.split(';').next().unwrap_or_default().trim().ends_with("json")
}

/// How a download is sent, as Mattermost's `web.WriteFileResponse` decides.
#[derive(Debug, PartialEq, Eq)]
struct ServedType {
    content_type: String,
    disposition: &'static str,
}

impl ServedType {
    /// From the stored MIME type. Prefixes are compared (as Mattermost
    /// does) without case, so `text/html; charset=utf-8` and `Text/HTML`
    /// are HTML. One departure from Mattermost: a file whose type (by its
    /// name) promises text (`text/*`, JSON, XML, YAML, scripts) but whose
    /// bytes are not UTF-8, or whose type promises JSON and whose bytes
    /// (an empty file among them) are no JSON document, goes as
    /// `application/octet-stream`, the type its bytes have; sent as
    /// promised, clients that decode such types (the schemathesis fuzzer
    /// among them) fail on it.
    fn of(mime_type: &str, data: &[u8]) -> Self {
        let lower = mime_type.trim().to_ascii_lowercase();
        let served_as_text = is_textual(&lower);
        let broken_promise = served_as_text
            && (std::str::from_utf8(data).is_err()
                || is_json(&lower) && serde_json::from_slice::<serde::de::IgnoredAny>(data).is_err());
        let content_type = if lower.is_empty() || broken_promise {
            "application/octet-stream".to_owned()
        } else if UNSAFE_TYPES.iter().any(|unsafe_type| lower.starts_with(unsafe_type)) {
            "text/plain".to_owned()
        } else {
            mime_type.trim().to_owned()
        };
        let media = MEDIA_TYPES.iter().any(|media| lower.starts_with(media));
        Self {
            content_type,
            disposition: if media { "inline" } else { "attachment" },
        }
    }
}

pub(crate) async fn get_file_info(
    state: &Core,
    caller: Caller,
    request: get_file_info::Request,
) -> ApiResult<get_file_info::Response> {
    let info = readable_file(state, &caller, &request.file_id).await?;
    Ok(get_file_info::Response::Ok(file_info(&info)))
}

/// `disposition` (`inline` or `attachment`) with the name twice: quoted
/// ASCII for old clients, and RFC 5987 UTF-8 for the rest.
fn content_disposition(disposition: &str, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC);
    format!("{disposition}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_disposition_quotes_safely() {
        assert_eq!(
            super::content_disposition("attachment", "a \"b\".txt"),
            "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22%2Etxt"
        );
        assert!(
            super::content_disposition("attachment", "é.png")
                .starts_with("attachment; filename=\"_.png\"; filename*=UTF-8''%C3%A9%2Epng")
        );
    }

    #[test]
    fn active_types_are_neither_run_nor_shown() {
        use super::ServedType;
        let served = |mime: &str| {
            let ServedType {
                content_type,
                disposition,
            } = ServedType::of(mime, b"text");
            (content_type, disposition)
        };
        assert_eq!(served("text/html"), ("text/plain".into(), "attachment"));
        assert_eq!(served("Text/HTML; charset=utf-8"), ("text/plain".into(), "attachment"));
        assert_eq!(served("application/javascript"), ("text/plain".into(), "attachment"));
        assert_eq!(served("image/svg+xml"), ("image/svg+xml".into(), "attachment"));
        assert_eq!(
            served("application/xhtml+xml"),
            ("application/xhtml+xml".into(), "attachment")
        );
        assert_eq!(served("text/xml"), ("text/xml".into(), "attachment"));
        assert_eq!(served(""), ("application/octet-stream".into(), "attachment"));
        assert_eq!(served("image/png"), ("image/png".into(), "inline"));
        assert_eq!(served("video/mp4"), ("video/mp4".into(), "inline"));
        assert_eq!(served("application/pdf"), ("application/pdf".into(), "attachment"));
    }

    #[test]
    fn text_that_is_not_utf8_goes_as_bytes() {
        use super::ServedType;
        let png = b"\x89PNG\r\n";
        assert_eq!(
            ServedType::of("text/html", png).content_type,
            "application/octet-stream"
        );
        assert_eq!(
            ServedType::of("text/plain", png).content_type,
            "application/octet-stream"
        );
        assert_eq!(ServedType::of("text/plain", "é".as_bytes()).content_type, "text/plain");
        assert_eq!(ServedType::of("image/png", png).content_type, "image/png");
        assert_eq!(
            ServedType::of("application/json", png).content_type,
            "application/octet-stream"
        );
        assert_eq!(
            ServedType::of("image/svg+xml", png).content_type,
            "application/octet-stream"
        );
        assert_eq!(
            ServedType::of("application/json", b"{}").content_type,
            "application/json"
        );
        // Promised JSON, but no JSON document: an empty file, plain text.
        for bytes in [&b""[..], b"not json", b"{"] {
            assert_eq!(
                ServedType::of("application/json", bytes).content_type,
                "application/octet-stream",
                "{bytes:?}"
            );
        }
        assert_eq!(ServedType::of("text/plain", b"").content_type, "text/plain");
    }
}
