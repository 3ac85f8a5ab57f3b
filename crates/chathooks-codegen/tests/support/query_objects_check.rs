//! Built and run by `compile.rs` in its temporary workspace, next to the
//! generated `query-objects` fixture crates: the generated client calls the
//! generated server over HTTP on a real socket with an object query
//! parameter in each style, and the server must hand the implementation
//! the same objects; then malformed queries, sent by hand, get a 400 that
//! names the parameter.

use std::collections::HashMap;
use std::num::NonZeroU64;
use std::sync::{Arc, Mutex};

use chathooks_query_objects_client::Client;
use chathooks_query_objects_server::{Api, ops, router, runtime::axum};
use chathooks_query_objects_types as types;

/// Records every object it was handed, as JSON.
#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
}

impl Recorder {
    fn record(&self, value: impl serde::Serialize) {
        self.seen.lock().unwrap().push(serde_json::to_string(&value).unwrap());
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.seen.lock().unwrap())
    }
}

impl Api for Recorder {
    async fn list_users(&self, _: ops::list_users::Request) -> ops::list_users::Response {
        ops::list_users::Response::Ok(Vec::new())
    }

    async fn autocomplete_rooms(&self, _: ops::autocomplete_rooms::Request) -> ops::autocomplete_rooms::Response {
        ops::autocomplete_rooms::Response::Ok
    }

    async fn filter_channels(&self, request: ops::filter_channels::Request) -> ops::filter_channels::Response {
        self.record(&request.filter);
        self.record(&request.labels);
        ops::filter_channels::Response::Ok(Vec::new())
    }

    async fn search_posts(&self, request: ops::search_posts::Request) -> ops::search_posts::Response {
        self.record(&request.terms);
        self.record(&request.paging);
        ops::search_posts::Response::Ok
    }

    async fn pick_color(&self, request: ops::pick_color::Request) -> ops::pick_color::Response {
        self.record(&request.color);
        ops::pick_color::Response::Ok
    }

    async fn upload_file(&self, request: ops::upload_file::Request) -> ops::upload_file::Response {
        self.record(&request.meta);
        ops::upload_file::Response::Created
    }
}

/// A GET sent by hand: its status and body.
async fn get(base: &str, path_and_query: &str) -> (u16, String) {
    let response = reqwest::get(format!("{base}{path_and_query}")).await.expect("the server answers");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let recorder = Arc::new(Recorder::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = router(recorder.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let client = Client::new(&base);

    // deepObject: typed properties, an array, and a map of extra keys.
    client
        .filter_channels()
        .filter(types::FilterChannelsFilter {
            status: types::FilterChannelsFilterStatus::Open,
            limit: Some(3),
            tags: vec!["a b".into(), "c&d".into()],
            unread: Some(true),
        })
        .labels(types::Labels(HashMap::from([("x".to_owned(), 7)])))
        .send()
        .await
        .expect("deepObject: the server takes what the client sends");
    assert_eq!(
        recorder.take(),
        [
            r#"{"limit":3,"status":"open","tags":["a b","c&d"],"unread":true}"#,
            r#"{"x":7}"#
        ]
    );

    // form, exploded: the properties are keys of the query beside `terms`.
    client
        .search_posts()
        .terms("hello")
        .paging(types::Paging {
            page: Some(2),
            per_page: NonZeroU64::new(50),
        })
        .send()
        .await
        .expect("exploded form: the server takes what the client sends");
    assert_eq!(recorder.take(), [r#""hello""#, r#"{"page":2,"per_page":50}"#]);

    // form, not exploded: `color=B,3,G,2,R,1`.
    client
        .pick_color()
        .color(types::PickColorColor {
            r: Some(1),
            g: Some(2),
            b: Some(3),
        })
        .send()
        .await
        .expect("form: the server takes what the client sends");
    assert_eq!(recorder.take(), [r#"{"B":3,"G":2,"R":1}"#]);

    // deepObject beside a multipart body (the client's own method).
    client
        .upload_file(
            Some(types::UploadFileMeta {
                channel: Some("town".into()),
                pinned: Some(false),
            }),
            chathooks_query_objects_client::multipart::UploadFile {
                file: Some(reqwest::multipart::Part::bytes(b"hi".to_vec()).file_name("a.txt")),
            },
        )
        .await
        .expect("multipart: the server takes what the client sends");
    assert_eq!(recorder.take(), [r#"{"channel":"town","pinned":false}"#]);

    // By hand: what the spec's styles look like on the wire is read as well.
    assert_eq!(get(&base, "/channels.filter?filter[status]=archived&filter[tags]=x").await.0, 200);
    assert_eq!(recorder.take()[0], r#"{"status":"archived","tags":["x"]}"#);
    assert_eq!(get(&base, "/colors?color=R,100,G,200,B,150").await.0, 200);
    assert_eq!(recorder.take(), [r#"{"B":150,"G":200,"R":100}"#]);

    // Malformed objects: 400, naming the parameter (and where it is wrong).
    for (query, expected) in [
        ("/channels.filter?filter[status]=open&filter[limit]=many", "query parameter 'filter' at /limit"),
        ("/channels.filter?filter[status]=closed", "query parameter 'filter' at /status"),
        ("/channels.filter?filter[limit]=3", "query parameter 'filter'"),
        ("/channels.filter?filter[status]=open&filter[color]=red", "query parameter 'filter'"),
        ("/channels.filter?filter[status]=open&filter[a][b]=1", "expected `filter[property]`"),
        ("/channels.filter", "missing required query parameter 'filter'"),
        ("/channels.filter?filter[status]=open&labels[x]=seven", "query parameter 'labels' at /x"),
        ("/posts.search?terms=a&per_page=0", "query parameter 'paging' at /per_page"),
        ("/colors?color=R,100,G", "query parameter 'color'"),
        ("/colors?color=R,red", "query parameter 'color' at /R"),
    ] {
        let (status, body) = get(&base, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(expected), "{query}: `{expected}` not in {body}");
    }
    assert!(recorder.take().is_empty(), "a malformed request reached the implementation");
    println!("query-objects-check: deepObject, exploded and plain form objects went from client to server");
}
