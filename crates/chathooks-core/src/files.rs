//! Uploaded files: stored through the store (a SQLite blob or a PostgreSQL
//! `bytea`, so a stand-in keeps everything in its one database), then
//! carried by a post that lists their ids.

use crate::Core;
use crate::events::Event;
use crate::ids::new_id;
use crate::store::{Channel, ContentStore, FileInfo, StoreResult, User, now_ms};

/// Longest file name kept (Mattermost trims longer ones the same way).
const MAX_NAME_CHARS: usize = 256;

/// The name a file is stored under: the last path segment of what the
/// client sent, so `../../etc/passwd` is `passwd`, trimmed to a sane length.
pub fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default().trim();
    let base = if base.is_empty() || base == "." || base == ".." {
        "file"
    } else {
        base
    };
    base.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect()
}

/// Describe `data` uploaded as `name`: extension, MIME type (from the name,
/// else what the client said, else `application/octet-stream`) and, for
/// images, width and height.
pub fn describe(name: &str, claimed_type: Option<&str>, data: &[u8]) -> (String, String, i64, i64) {
    let extension = name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| !ext.is_empty() && ext.len() <= 16)
        .unwrap_or_default();
    // The name's type, unless it says no more than "bytes" and the client
    // said better.
    const BYTES: &str = "application/octet-stream";
    let claimed = claimed_type.filter(|t| !t.is_empty() && *t != BYTES);
    let mime = mime_guess::from_path(name)
        .first_raw()
        .filter(|guess| *guess != BYTES)
        .or(claimed)
        .unwrap_or(BYTES)
        .to_owned();
    let (width, height) = if mime.starts_with("image/") {
        imagesize::blob_size(data)
            .map(|size| (size.width as i64, size.height as i64))
            .unwrap_or((0, 0))
    } else {
        (0, 0)
    };
    (extension, mime, width, height)
}

/// Store a file `user` uploads into `channel` and announce it.
pub async fn upload(
    core: &Core,
    user: &User,
    channel: &Channel,
    name: &str,
    claimed_type: Option<&str>,
    data: &[u8],
) -> StoreResult<FileInfo> {
    let name = clean_name(name);
    let (extension, mime_type, width, height) = describe(&name, claimed_type, data);
    let now = now_ms();
    let info = FileInfo {
        id: new_id(),
        user_id: user.id.clone(),
        channel_id: channel.id.clone(),
        post_id: String::new(),
        create_at: now,
        update_at: now,
        delete_at: 0,
        name,
        extension,
        size: i64::try_from(data.len()).unwrap_or(i64::MAX),
        mime_type,
        width,
        height,
    };
    let stored = core.store.create_file(&info, data).await?;
    core.emit(Event::FileUploaded {
        file: stored.clone(),
        channel: channel.clone(),
        user: user.clone(),
    })
    .await;
    Ok(stored)
}

/// Mark the files `ids` that no post carries yet as carried by `post_id`
/// (at `at`); ids that are unknown or taken are left alone.
pub async fn attach_files(core: &Core, post_id: &str, ids: &[String], at: i64) -> StoreResult<()> {
    core.store.attach_files(post_id, ids, at).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_directories() {
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("C:\\Users\\me\\report.pdf"), "report.pdf");
        assert_eq!(clean_name("dir/"), "file");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name("a\u{0}b.txt"), "ab.txt");
        assert_eq!(clean_name(&"x".repeat(300)).len(), MAX_NAME_CHARS);
    }

    #[test]
    fn types_and_image_sizes() {
        // A 3x2 PNG header is enough for its size.
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(3u32.to_be_bytes());
        png.extend(2u32.to_be_bytes());
        png.extend([8, 6, 0, 0, 0]);
        assert_eq!(
            describe("Pic.PNG", None, &png),
            ("png".into(), "image/png".into(), 3, 2)
        );
        assert_eq!(
            describe("notes.txt", Some("application/x-custom"), b"hi").1,
            "text/plain"
        );
        assert_eq!(
            describe("blob", Some("application/x-custom"), b"hi").1,
            "application/x-custom"
        );
        assert_eq!(
            describe("blob", None, b"hi"),
            (String::new(), "application/octet-stream".into(), 0, 0)
        );
        // A file named like an image that is not one has no size.
        assert_eq!(describe("fake.png", None, b"nope").2, 0);
    }
}
