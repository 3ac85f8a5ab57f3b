//! The Mattermost surface bots and notifiers use beyond webhooks, through the
//! generated client: tokens, logout, lookups by name, direct channels, post
//! edits and threads, reactions, files, ping and ephemeral posts.

use chathooks_mattermost_types as types;
use chathooks_tests::{Session, TestServer, World, app_error, create_user};
use serde_json::{Value, json};

const PERMISSIONS: &str = "api.context.permissions.app_error";

async fn post(session: &Session, channel_id: &str, message: &str, root_id: Option<&str>) -> types::Post {
    session
        .client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: channel_id.into(),
            message: message.into(),
            root_id: root_id.map(str::to_owned),
            props: Default::default(),
            file_ids: Vec::new(),
        })
        .send()
        .await
        .unwrap_or_else(|e| panic!("post {message}: {e}"))
        .into_inner()
}

#[tokio::test]
async fn personal_access_tokens_work_like_sessions_until_revoked() {
    let world = World::new().await;
    let server = &world.server;
    let created = world
        .admin
        .client
        .create_user_access_token()
        .user_id("me")
        .body(types::CreateUserAccessTokenBody {
            description: "ci bot".into(),
        })
        .send()
        .await
        .expect("token created")
        .into_inner();
    assert_eq!(
        (created.user_id.as_str(), created.is_active),
        (world.admin.user.id.as_str(), true)
    );
    assert_eq!(created.token.len(), 26);
    let bot = server.client_with_token(&created.token);
    assert_eq!(
        bot.get_me().send().await.expect("token works").into_inner().id,
        world.admin.user.id
    );

    // Listed without the secret.
    let listed = world
        .admin
        .client
        .get_user_access_tokens_for_user()
        .user_id(&world.admin.user.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].description.as_str()),
        (created.id.as_str(), "ci bot")
    );
    let raw = reqwest::Client::new()
        .get(format!("{}/api/v4/users/me/tokens", server.base))
        .bearer_auth(&world.admin.token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(raw[0].get("token").is_none(), "{raw}");

    let by_id = || types::TokenIdRequest {
        token_id: created.id.clone(),
    };
    world
        .admin
        .client
        .disable_user_access_token()
        .body(by_id())
        .send()
        .await
        .unwrap();
    assert_eq!(app_error(bot.get_me().send().await).0, 401);
    world
        .admin
        .client
        .enable_user_access_token()
        .body(by_id())
        .send()
        .await
        .unwrap();
    bot.get_me().send().await.expect("enabled again");
    world
        .admin
        .client
        .revoke_user_access_token()
        .body(by_id())
        .send()
        .await
        .unwrap();
    let (status, error) = app_error(bot.get_me().send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (401, "api.context.session_expired.app_error")
    );
    let (status, error) = app_error(world.admin.client.revoke_user_access_token().body(by_id()).send().await);
    assert_eq!(
        (status, error.id.as_str()),
        (404, "app.user_access_token.get.app_error")
    );

    // Ordinary users lack create_user_access_token; admins may make one for them.
    let (status, error) = app_error(
        world
            .member
            .client
            .create_user_access_token()
            .user_id("me")
            .body(types::CreateUserAccessTokenBody {
                description: "mine".into(),
            })
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    let for_member = world
        .admin
        .client
        .create_user_access_token()
        .user_id(&world.member.user.id)
        .body(types::CreateUserAccessTokenBody {
            description: "for alice".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let as_member = server.client_with_token(&for_member.token);
    assert_eq!(as_member.get_me().send().await.unwrap().into_inner().username, "alice");
    // ...but she may not list or revoke the admin's.
    let (status, _) = app_error(
        world
            .member
            .client
            .get_user_access_tokens_for_user()
            .user_id(&world.admin.user.id)
            .send()
            .await,
    );
    assert_eq!(status, 403);

    let (status, error) = app_error(
        world
            .admin
            .client
            .create_user_access_token()
            .user_id("me")
            .body(types::CreateUserAccessTokenBody {
                description: " ".into(),
            })
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_body_param.app_error")
    );
}

#[tokio::test]
async fn logout_ends_only_that_session() {
    let server = TestServer::start().await;
    let first = server.admin().await;
    let second = server.admin().await;
    first.client.logout().send().await.expect("logged out");
    assert_eq!(app_error(first.client.get_me().send().await).0, 401);
    second.client.get_me().send().await.expect("the other session lives");
    // Logging out without a session is not an error.
    server.anonymous().logout().send().await.expect("nothing to end");
}

#[tokio::test]
async fn users_teams_and_channels_by_name() {
    let world = World::new().await;
    let user = world
        .outsider
        .client
        .get_user_by_username()
        .username("ALICE")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(user.id, world.member.user.id);
    let (status, error) = app_error(
        world
            .member
            .client
            .get_user_by_username()
            .username("nobody")
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (404, "app.user.missing_account.const"));

    let teams = world
        .member
        .client
        .get_teams_for_user()
        .user_id("me")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        teams.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["engineering"]
    );
    assert!(
        world
            .outsider
            .client
            .get_teams_for_user()
            .user_id("me")
            .send()
            .await
            .unwrap()
            .into_inner()
            .is_empty()
    );
    assert_eq!(
        app_error(
            world
                .member
                .client
                .get_teams_for_user()
                .user_id(&world.admin.user.id)
                .send()
                .await
        )
        .0,
        403
    );
    world
        .admin
        .client
        .get_teams_for_user()
        .user_id(&world.member.user.id)
        .send()
        .await
        .expect("admins see anyone's");

    // An invite-only team is listed to its members and admins only.
    world
        .admin
        .client
        .create_team()
        .body(types::CreateTeamBody {
            name: "hidden".into(),
            display_name: "Hidden".into(),
            type_: types::CreateTeamBodyType::I,
            description: None,
        })
        .send()
        .await
        .unwrap();
    let names = |teams: Vec<types::Team>| teams.into_iter().map(|t| t.name).collect::<Vec<_>>();
    let all = world.admin.client.get_all_teams().send().await.unwrap().into_inner();
    // `rocketchat` holds Rocket.Chat's `#general`, made on every fresh server.
    assert_eq!(names(all), ["engineering", "hidden", "rocketchat"]);
    let seen = world.outsider.client.get_all_teams().send().await.unwrap().into_inner();
    assert_eq!(names(seen), ["engineering", "rocketchat"]);
    let paged = world
        .admin
        .client
        .get_all_teams()
        .page(1)
        .per_page(1)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(names(paged), ["hidden"]);

    let channel = world
        .member
        .client
        .get_channel_by_name_for_team_name()
        .name("engineering")
        .channel_name("secret")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(channel.id, world.private_channel.id);
    let by_names = |team: &str, channel: &str| {
        world
            .outsider
            .client
            .get_channel_by_name_for_team_name()
            .name(team.to_owned())
            .channel_name(channel.to_owned())
            .send()
    };
    assert_eq!(app_error(by_names("engineering", "secret").await).0, 403);
    let (status, error) = app_error(by_names("nope", "secret").await);
    assert_eq!(
        (status, error.id.as_str()),
        (404, "app.team.get_by_name.missing.app_error")
    );
    let (status, error) = app_error(by_names("engineering", "nope").await);
    assert_eq!(
        (status, error.id.as_str()),
        (404, "app.channel.get_by_name.missing.app_error")
    );

    let members = world
        .member
        .client
        .get_channel_members()
        .channel_id(&world.private_channel.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let mut ids: Vec<_> = members.iter().map(|m| m.user_id.clone()).collect();
    let mut expected = vec![
        world.admin.user.id.clone(),
        world.member.user.id.clone(),
        world.other_member.user.id.clone(),
    ];
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(
        app_error(
            world
                .outsider
                .client
                .get_channel_members()
                .channel_id(&world.private_channel.id)
                .send()
                .await
        )
        .0,
        403
    );
}

#[tokio::test]
async fn direct_channels_are_opened_once() {
    let world = World::new().await;
    let pair = vec![world.member.user.id.clone(), world.outsider.user.id.clone()];
    let first = world
        .member
        .client
        .create_direct_channel()
        .body(pair.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.type_, types::ChannelType::D);
    let reversed: Vec<String> = pair.iter().rev().cloned().collect();
    let again = world
        .outsider
        .client
        .create_direct_channel()
        .body(reversed)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.id, first.id);
    // Both may post there; a third user may not even open it.
    post(&world.outsider, &first.id, "hi alice", None).await;
    let (status, _) = app_error(
        world
            .other_member
            .client
            .create_direct_channel()
            .body(pair)
            .send()
            .await,
    );
    assert_eq!(status, 403);
    let (status, error) = app_error(
        world
            .member
            .client
            .create_direct_channel()
            .body(vec![world.member.user.id.clone(), "a".repeat(26)])
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_body_param.app_error")
    );
}

#[tokio::test]
async fn posts_are_edited_patched_deleted_and_threaded() {
    let world = World::new().await;
    let channel = &world.open_channel.id;
    let root = post(&world.member, channel, "root", None).await;
    let reply = post(&world.other_member, channel, "reply", Some(&root.id)).await;
    let second = post(&world.member, channel, "second reply", Some(&root.id)).await;

    let thread = world.outsider.client.get_post_thread().post_id(&reply.id).send().await;
    assert_eq!(app_error(thread).0, 403, "outsiders cannot read the team's channels");
    let thread = world
        .other_member
        .client
        .get_post_thread()
        .post_id(&reply.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(thread.order, [second.id.clone(), reply.id.clone(), root.id.clone()]);
    assert_eq!(thread.posts[&reply.id].root_id, root.id);

    let patched = world
        .member
        .client
        .patch_post()
        .post_id(&root.id)
        .body(types::PatchPostBody {
            message: Some("root, edited".into()),
            is_pinned: Some(true),
            props: None,
            file_ids: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((patched.message.as_str(), patched.is_pinned), ("root, edited", true));
    assert!(patched.edit_at >= root.create_at && patched.edit_at > 0);
    let fetched = world
        .other_member
        .client
        .get_post()
        .post_id(&root.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.message, "root, edited");

    let update = |id: Option<String>, message: &str| types::UpdatePostBody {
        id,
        message: message.into(),
        is_pinned: None,
        props: Some(serde_json::Map::from_iter([("k".to_owned(), json!("v"))])),
        file_ids: None,
    };
    // Someone else's post: 403 for members, fine for system admins.
    let (status, error) = app_error(
        world
            .other_member
            .client
            .update_post()
            .post_id(&root.id)
            .body(update(None, "hijack"))
            .send()
            .await,
    );
    assert_eq!((status, error.id.as_str()), (403, PERMISSIONS));
    let updated = world
        .admin
        .client
        .update_post()
        .post_id(&root.id)
        .body(update(Some(root.id.clone()), "moderated"))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (updated.message.as_str(), updated.props["k"].as_str()),
        ("moderated", Some("v"))
    );
    let (status, error) = app_error(
        world
            .member
            .client
            .update_post()
            .post_id(&root.id)
            .body(update(Some(reply.id.clone()), "x"))
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (400, "api.context.invalid_body_param.app_error")
    );

    // Deleting the root takes its replies.
    assert_eq!(
        app_error(world.other_member.client.delete_post().post_id(&root.id).send().await).0,
        403
    );
    world
        .member
        .client
        .delete_post()
        .post_id(&root.id)
        .send()
        .await
        .expect("deleted");
    for id in [&root.id, &reply.id, &second.id] {
        let (status, error) = app_error(world.member.client.get_post().post_id(id).send().await);
        assert_eq!((status, error.id.as_str()), (404, "app.post.get.app_error"), "{id}");
    }
    let left = world
        .member
        .client
        .get_posts_for_channel()
        .channel_id(channel)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(left.order.is_empty(), "{:?}", left.order);
    let (status, _) = app_error(world.member.client.get_post().post_id("not-an-id").send().await);
    assert_eq!(status, 400);
}

#[tokio::test]
async fn reactions_are_added_once_listed_and_taken_back() {
    let world = World::new().await;
    let target = post(&world.member, &world.open_channel.id, "react to me", None).await;
    fn react<'a>(
        session: &'a Session,
        target: &types::Post,
        user_id: &str,
        emoji: &str,
    ) -> chathooks_mattermost_client::builder::SaveReaction<'a> {
        session.client.save_reaction().body(types::SaveReactionBody {
            user_id: user_id.into(),
            post_id: target.id.clone(),
            emoji_name: emoji.into(),
            create_at: None,
        })
    }
    let first = react(&world.member, &target, &world.member.user.id, "thumbsup")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (first.emoji_name.as_str(), first.user_id.as_str()),
        ("thumbsup", world.member.user.id.as_str())
    );
    let twice = react(&world.member, &target, &world.member.user.id, "thumbsup")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(twice.create_at, first.create_at, "the same reaction");
    react(&world.other_member, &target, &world.other_member.user.id, "+1")
        .send()
        .await
        .unwrap();

    let (status, error) = app_error(
        react(&world.member, &target, &world.other_member.user.id, "tada")
            .send()
            .await,
    );
    assert_eq!(
        (status, error.id.as_str()),
        (403, "api.reaction.save_reaction.user_id.app_error")
    );
    let (status, _) = app_error(
        react(&world.member, &target, &world.member.user.id, ":smile:")
            .send()
            .await,
    );
    assert_eq!(status, 400);
    let (status, _) = app_error(
        react(&world.outsider, &target, &world.outsider.user.id, "tada")
            .send()
            .await,
    );
    assert_eq!(status, 403);

    let listed = world.outsider.client.get_reactions().post_id(&target.id).send().await;
    assert_eq!(app_error(listed).0, 403);
    let listed = world
        .other_member
        .client
        .get_reactions()
        .post_id(&target.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed.iter().map(|r| r.emoji_name.as_str()).collect::<Vec<_>>(),
        ["thumbsup", "+1"]
    );

    let refused = world
        .member
        .client
        .delete_reaction()
        .user_id(&world.other_member.user.id)
        .post_id(&target.id)
        .emoji_name("+1")
        .send()
        .await;
    assert_eq!(app_error(refused).0, 403);
    world
        .other_member
        .client
        .delete_reaction()
        .user_id("me")
        .post_id(&target.id)
        .emoji_name("+1")
        .send()
        .await
        .expect("taken back");
    let listed = world
        .member
        .client
        .get_reactions()
        .post_id(&target.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn files_upload_in_both_forms_download_and_ride_on_posts() {
    let world = World::new().await;
    let http = reqwest::Client::new();
    let base = &world.server.base;
    let png: Vec<u8> = {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(4u32.to_be_bytes());
        png.extend(3u32.to_be_bytes());
        png.extend([8, 6, 0, 0, 0]);
        png
    };
    // Multipart, as mattermostdriver and Client4 send it.
    let form = reqwest::multipart::Form::new()
        .text("channel_id", world.open_channel.id.clone())
        .text("client_ids", "c1")
        .part(
            "files",
            reqwest::multipart::Part::bytes(png.clone()).file_name("pixel.png"),
        )
        .part(
            "files",
            reqwest::multipart::Part::bytes(b"hello\x00world".to_vec())
                .file_name("notes.bin")
                .mime_str("application/x-custom")
                .unwrap(),
        );
    let response = http
        .post(format!("{base}/api/v4/files"))
        .bearer_auth(&world.member.token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let uploaded: types::FileUploadResponse = response.json().await.unwrap();
    assert_eq!(uploaded.client_ids, ["c1"]);
    let [image, blob] = uploaded.file_infos.as_slice() else {
        panic!("two files: {:?}", uploaded.file_infos);
    };
    assert_eq!(
        (
            image.name.as_str(),
            image.extension.as_str(),
            image.mime_type.as_str(),
            image.width,
            image.height
        ),
        ("pixel.png", "png", "image/png", 4, 3)
    );
    assert_eq!((blob.size, blob.mime_type.as_str()), (11, "application/x-custom"));

    // Raw, through the generated client.
    let raw = world
        .member
        .client
        .upload_file()
        .channel_id(world.open_channel.id.clone())
        .filename("report.txt")
        .body(b"quarterly".to_vec())
        .send()
        .await
        .unwrap()
        .into_inner();
    let report = &raw.file_infos[0];
    assert_eq!(
        (report.name.as_str(), report.mime_type.as_str(), report.size),
        ("report.txt", "text/plain", 9)
    );

    let download = http
        .get(format!("{base}/api/v4/files/{}", blob.id))
        .bearer_auth(&world.other_member.token)
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/x-custom");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("notes.bin")
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"hello\x00world");
    let mut stream = world
        .member
        .client
        .get_file()
        .file_id(&image.id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .into_inner();
    let mut downloaded = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
        downloaded.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(downloaded, png);

    let outsider = world.outsider.client.get_file_info().file_id(&image.id).send().await;
    assert_eq!(app_error(outsider).0, 403);
    let missing = world.member.client.get_file_info().file_id("a".repeat(26)).send().await;
    assert_eq!(app_error(missing).0, 404);

    // A post carries the caller's files; someone else's are dropped.
    let others = world
        .other_member
        .client
        .upload_file()
        .channel_id(world.open_channel.id.clone())
        .filename("bobs.txt")
        .body(b"bob".to_vec())
        .send()
        .await
        .unwrap()
        .into_inner();
    let with_files = world
        .member
        .client
        .create_post()
        .body(types::CreatePostBody {
            channel_id: world.open_channel.id.clone(),
            message: "see attached".into(),
            root_id: None,
            props: Default::default(),
            file_ids: vec![image.id.clone(), others.file_infos[0].id.clone(), report.id.clone()],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(with_files.file_ids, [image.id.clone(), report.id.clone()]);
    let info = world
        .member
        .client
        .get_file_info()
        .file_id(&image.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(info.post_id, with_files.id);

    // Errors: no file, no channel, someone else's channel.
    let empty = reqwest::multipart::Form::new().text("channel_id", world.open_channel.id.clone());
    let response = http
        .post(format!("{base}/api/v4/files"))
        .bearer_auth(&world.member.token)
        .multipart(empty)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["id"], "api.file.upload_file.incorrect_number_of_files.app_error");
    let refused = world
        .outsider
        .client
        .upload_file()
        .channel_id(world.private_channel.id.clone())
        .filename("x.txt")
        .body(b"x".to_vec())
        .send()
        .await;
    assert_eq!(app_error(refused).0, 403);
}

/// Downloads never run in the server's origin: HTML and scripts come back
/// as text, SVG and XML as attachments, every answer with `nosniff` and a
/// sandboxing CSP; pictures stay inline (as Mattermost serves them).
#[tokio::test]
async fn downloads_of_active_types_cannot_run_in_the_servers_origin() {
    let world = World::new().await;
    let http = reqwest::Client::new();
    let base = &world.server.base;
    let script = b"<script>fetch('/api/v4/users/me')</script>".to_vec();
    let files = [
        ("page.html", script.clone(), "text/plain", "attachment"),
        (
            "drawing.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            "image/svg+xml",
            "attachment",
        ),
        ("page.xhtml", script.clone(), "application/xhtml+xml", "attachment"),
        ("feed.xml", script.clone(), "text/xml", "attachment"),
        ("app.js", script, "text/plain", "attachment"),
        (
            "pixel.gif",
            b"GIF89a\x01\0\x01\0\0\0\0;".to_vec(),
            "image/gif",
            "inline",
        ),
    ];
    for (name, bytes, served_as, disposition) in files {
        let form = reqwest::multipart::Form::new()
            .text("channel_id", world.open_channel.id.clone())
            .part("files", reqwest::multipart::Part::bytes(bytes).file_name(name));
        let uploaded: types::FileUploadResponse = http
            .post(format!("{base}/api/v4/files"))
            .bearer_auth(&world.member.token)
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = &uploaded.file_infos[0].id;
        let download = http
            .get(format!("{base}/api/v4/files/{id}"))
            .bearer_auth(&world.member.token)
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200, "{name}");
        let headers = download.headers();
        let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some(served_as), "{name}");
        assert!(
            header("content-disposition").is_some_and(|value| value.starts_with(&format!("{disposition};"))),
            "{name}: {headers:?}"
        );
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{name}");
        assert_eq!(header("x-frame-options").as_deref(), Some("DENY"), "{name}");
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("sandbox") && csp.contains("default-src 'none'"),
            "{name}: {csp:?}"
        );
    }
}

#[tokio::test]
async fn uploads_over_the_file_limit_are_413() {
    let server = TestServer::start_with(|config| {
        config.max_file_bytes = 1024;
        config.max_body_bytes = 512;
    })
    .await;
    let admin = server.admin().await;
    let team = admin
        .client
        .create_team()
        .body(types::CreateTeamBody {
            name: "files".into(),
            display_name: "Files".into(),
            type_: types::CreateTeamBodyType::O,
            description: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let channel = chathooks_tests::create_channel(&admin, &team.id, "uploads", types::CreateChannelBodyType::O).await;
    let upload = |size: usize| {
        admin
            .client
            .upload_file()
            .channel_id(channel.id.clone())
            .filename("big.bin")
            .body(vec![7u8; size])
            .send()
    };
    // Larger than the body limit but within the file limit: fine.
    upload(1000).await.expect("within the file limit");
    let (status, error) = app_error(upload(200_000).await);
    assert_eq!(
        (status, error.id.as_str()),
        (413, "api.file.upload_file.too_large_detailed.app_error")
    );
}

#[tokio::test]
async fn ping_and_ephemeral_posts() {
    let world = World::new().await;
    let ping = world.server.anonymous().get_ping().send().await.unwrap().into_inner();
    assert_eq!(ping.status, "OK");

    let body = |user_id: &str| types::CreatePostEphemeralBody {
        user_id: user_id.into(),
        post: types::CreatePostEphemeralBodyPost {
            channel_id: world.open_channel.id.clone(),
            message: "only you can see this".into(),
            props: Default::default(),
        },
    };
    let shown = world
        .admin
        .client
        .create_post_ephemeral()
        .body(body(&world.member.user.id))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (shown.type_.as_str(), shown.message.as_str()),
        ("system_ephemeral", "only you can see this")
    );
    // Never stored.
    assert_eq!(
        app_error(world.admin.client.get_post().post_id(&shown.id).send().await).0,
        404
    );
    let refused = world
        .member
        .client
        .create_post_ephemeral()
        .body(body(&world.other_member.user.id))
        .send()
        .await;
    assert_eq!(app_error(refused).0, 403);
}

#[tokio::test]
async fn a_user_made_for_tokens_can_be_a_bot() {
    // A bot account: created by the admin, given a token, posting with it.
    let world = World::new().await;
    let bot = create_user(&world.server, &world.admin, "deploy-bot").await;
    let token = world
        .admin
        .client
        .create_user_access_token()
        .user_id(&bot.user.id)
        .body(types::CreateUserAccessTokenBody {
            description: "deployments".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    world
        .admin
        .client
        .add_team_member()
        .team_id(&world.team.id)
        .body(types::AddTeamMemberBody {
            team_id: world.team.id.clone(),
            user_id: bot.user.id.clone(),
        })
        .send()
        .await
        .unwrap();
    let as_bot = Session {
        client: world.server.client_with_token(&token.token),
        token: token.token.clone(),
        user: bot.user.clone(),
    };
    let posted = post(&as_bot, &world.open_channel.id, "deployed", None).await;
    assert_eq!(posted.user_id, bot.user.id);
}
