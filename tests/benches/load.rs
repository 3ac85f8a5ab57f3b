//! Load generator: the running server against a trivial axum handler
//! measured in the same run on the same machine.
//!
//! `cargo bench -p chathooks-tests --bench load` prints, per scenario,
//! requests per second and p50/p99 latency, and the ratio to the baseline.
//! Nothing here asserts on time: the figures are for the notes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use chathooks::store::{IncomingHook, OutgoingHook, Store};
use chathooks_tests::{TestServer, World};
use serde_json::json;

const CONCURRENCY: usize = 32;
const REQUESTS: usize = 20_000;

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

/// Send `REQUESTS` requests from `CONCURRENCY` workers; `make` builds each.
async fn load(make: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder + Send + Sync + 'static) -> Figures {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let make = Arc::new(make);
    let started = Instant::now();
    // Collected, so every worker is spawned before any is awaited.
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, make) = (http.clone(), make.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(REQUESTS / CONCURRENCY);
                for _ in 0..REQUESTS / CONCURRENCY {
                    let sent = Instant::now();
                    let response = make(&http).send().await.expect("request");
                    assert!(response.status().is_success(), "{}", response.status());
                    let _ = response.bytes().await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies: Vec<Duration> = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: latencies[latencies.len() / 2],
        p99: latencies[latencies.len() * 99 / 100],
        max: latencies[latencies.len() - 1],
    }
}

fn report(name: &str, server: &Figures, baseline: &Figures) {
    println!(
        "{name}: chathooks {:.0} req/s, p50 {:.2?}, p99 {:.2?}, max {:.2?} | trivial axum {:.0} req/s, p50 {:.2?}, p99 {:.2?} | throughput ratio {:.2}",
        server.per_second,
        server.p50,
        server.p99,
        server.max,
        baseline.per_second,
        baseline.p50,
        baseline.p99,
        baseline.per_second / server.per_second,
    );
}

/// The baseline: a trivial axum server answering like the real endpoints.
async fn trivial() -> SocketAddr {
    let app = axum::Router::new()
        .route("/hooks/{id}", post(|| async { "ok" }))
        .route("/api/v4/hooks/incoming", get(|| async { "[]" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn incoming(world: &World, n: usize) -> IncomingHook {
    IncomingHook {
        id: chathooks::ids::new_id(),
        create_at: n as i64,
        update_at: n as i64,
        delete_at: 0,
        user_id: world.member.user.id.clone(),
        channel_id: world.open_channel.id.clone(),
        team_id: world.team.id.clone(),
        display_name: format!("hook {n}"),
        description: String::new(),
        username: String::new(),
        icon_url: String::new(),
        channel_locked: false,
    }
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    // A SQLite file, or PostgreSQL with CHATHOOKS_TEST_BACKEND=postgres.
    let database = chathooks_tests::persistent_database(dir.path());
    let server = TestServer::start_with(|config| {
        config.database = database;
        config.allow_internal_callbacks = "127.0.0.1".parse().unwrap();
    })
    .await;
    let world = World::build(server).await;
    let baseline = trivial().await;
    let store = &world.server.state.store;

    // 1. Incoming webhook execution.
    let hook = store.create_incoming(&incoming(&world, 0)).await.unwrap();
    let url = format!("{}/hooks/{}", world.server.base, hook.id);
    let figures = load(move |http| http.post(&url).json(&json!({"text": "load test"}))).await;
    let base_url = format!("http://{baseline}/hooks/{}", hook.id);
    let base = load(move |http| http.post(&base_url).json(&json!({"text": "load test"}))).await;
    report("POST /hooks/{id}", &figures, &base);

    // 2. Listing incoming hooks with 1,000 stored.
    for n in 1..1000 {
        store.create_incoming(&incoming(&world, n)).await.unwrap();
    }
    let url = format!("{}/api/v4/hooks/incoming?team_id={}", world.server.base, world.team.id);
    let token = world.admin.token.clone();
    let figures = load(move |http| http.get(&url).bearer_auth(&token)).await;
    let base_url = format!("http://{baseline}/api/v4/hooks/incoming");
    let base = load(move |http| http.get(&base_url)).await;
    report(
        "GET /api/v4/hooks/incoming (1,000 stored, 60 per page)",
        &figures,
        &base,
    );

    // 3. Fan-out: post creation to receipt of the 10th callback, 10 hooks.
    let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<Instant>();
    let app = axum::Router::new().route(
        "/callback",
        post(move || {
            let sender = sender.clone();
            async move {
                let _ = sender.send(Instant::now());
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    for n in 0..10 {
        store
            .create_outgoing(&OutgoingHook {
                id: chathooks::ids::new_id(),
                token: chathooks::ids::new_id(),
                create_at: n,
                update_at: n,
                delete_at: 0,
                creator_id: world.member.user.id.clone(),
                channel_id: world.open_channel.id.clone(),
                team_id: world.team.id.clone(),
                trigger_words: Vec::new(),
                trigger_when: 0,
                callback_urls: vec![format!("http://{receiver_addr}/callback")],
                display_name: format!("out {n}"),
                description: String::new(),
                content_type: "application/json".into(),
                username: String::new(),
                icon_url: String::new(),
            })
            .await
            .unwrap();
    }
    let http = reqwest::Client::new();
    let mut fanout = Vec::new();
    for _ in 0..200 {
        let sent = Instant::now();
        let response = http
            .post(format!("{}/api/v4/posts", world.server.base))
            .bearer_auth(&world.member.token)
            .json(&json!({"channel_id": world.open_channel.id, "message": "fan out"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let mut last = sent;
        for _ in 0..10 {
            last = tokio::time::timeout(Duration::from_secs(30), receiver.recv())
                .await
                .unwrap()
                .unwrap();
        }
        fanout.push(last - sent);
    }
    fanout.sort();
    println!(
        "fan-out, post creation to the 10th callback (10 hooks, 200 posts): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        fanout[fanout.len() / 2],
        fanout[fanout.len() * 99 / 100],
        fanout[fanout.len() - 1]
    );
    world.server.shutdown().await;
}
