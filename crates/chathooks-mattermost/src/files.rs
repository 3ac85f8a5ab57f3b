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
use chathooks_core::store::{ContentStore, FileInfo, Store};

pub fn file_info(info: &FileInfo) -> types::FileInfo {
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

pub async fn upload_file(
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
    let info = state.store.get_file_info(file_id).await?.ok_or_else(not_found)?;
    let channel = state.store.get_channel(&info.channel_id).await?.ok_or_else(not_found)?;
    if !can_read_channel(state, &caller.user, &channel).await? {
        return Err(ApiError::forbidden());
    }
    Ok(info)
}

pub async fn get_file(state: &Core, caller: Caller, request: get_file::Request) -> ApiResult<get_file::Response> {
    let info = readable_file(state, &caller, &request.file_id).await?;
    let data = state
        .store
        .get_file_data(&info.id)
        .await?
        .ok_or_else(|| ApiError::not_found("app.file.get.app_error", "Unable to get the file."))?;
    Ok(get_file::Response::Ok(
        Binary::new(data, info.mime_type.clone()),
        get_file::OkHeaders {
            content_disposition: Some(content_disposition(&info.name)),
        },
    ))
}

pub async fn get_file_info(
    state: &Core,
    caller: Caller,
    request: get_file_info::Request,
) -> ApiResult<get_file_info::Response> {
    let info = readable_file(state, &caller, &request.file_id).await?;
    Ok(get_file_info::Response::Ok(file_info(&info)))
}

/// `attachment` with the name twice: quoted ASCII for old clients, and
/// RFC 5987 UTF-8 for the rest.
fn content_disposition(name: &str) -> String {
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
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_disposition_quotes_safely() {
        assert_eq!(
            super::content_disposition("a \"b\".txt"),
            "attachment; filename=\"a _b_.txt\"; filename*=UTF-8''a%20%22b%22%2Etxt"
        );
        assert!(
            super::content_disposition("é.png")
                .starts_with("attachment; filename=\"_.png\"; filename*=UTF-8''%C3%A9%2Epng")
        );
    }
}
