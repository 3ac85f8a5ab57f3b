//! Load generator: the running server against a trivial axum handler that
//! answers the same routes with canned bodies of the same size, measured in
//! the same run on the same machine.
//!
//! `cargo bench -p chathooks-tests --bench load` prints, per scenario,
//! requests per second and p50/p99 latency, and the ratio to the baseline;
//! then p99 at half the measured maximum rate, and the fan-out latency.
//! The maximum load is measured in [`ROUNDS`] alternating rounds (chathooks,
//! trivial, chathooks, ...) and the round with the median ratio is reported,
//! with the range: on a shared machine whose speed drifts (CPU steal), two
//! measurements taken side by side compare better than two taken in a row.
//! With `wrk` on PATH (Debian's package) the maximum load comes from it, one
//! thread and 32 connections, in its own process; otherwise from an
//! in-process reqwest generator. `CHATHOOKS_TEST_BACKEND=postgres` runs it on
//! PostgreSQL. Nothing here asserts on time: the figures are for the notes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use chathooks::store::{IncomingHook, OutgoingHook};
use chathooks_tests::{TestServer, World};
use serde_json::json;

/// The chathooks binary's allocator, so the in-process server performs as the binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CONCURRENCY: usize = 32;
const REQUESTS: usize = 20_000;
/// Alternating rounds of maximum load per scenario, each `ROUND_SECS` long.
const ROUNDS: usize = 3;
const ROUND_SECS: &str = "4s";

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

/// Print the round with the median ratio of `rounds` (chathooks, trivial), and the range.
fn report(name: &str, mut rounds: Vec<(Figures, Figures)>) {
    let ratio = |(server, baseline): &(Figures, Figures)| 100.0 * server.per_second / baseline.per_second;
    rounds.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
    let (low, high) = (ratio(&rounds[0]), ratio(&rounds[rounds.len() - 1]));
    let (server, baseline) = &rounds[rounds.len() / 2];
    println!(
        "{name}: chathooks {:.0} req/s, p50 {:.2?}, p99 {:.2?}, max {:.2?} | trivial axum {:.0} req/s, p50 {:.2?}, p99 {:.2?} | chathooks at {:.1}% of trivial",
        server.per_second,
        server.p50,
        server.p99,
        server.max,
        baseline.per_second,
        baseline.p50,
        baseline.p99,
        100.0 * server.per_second / baseline.per_second,
    );
    println!(
        "  over {} alternating rounds the ratio ranged {low:.1}% to {high:.1}%",
        rounds.len()
    );
}

/// The baseline: a trivial axum server answering the same routes with the
/// real answers' bodies, canned.
async fn trivial(hooks_body: String, me_body: String) -> SocketAddr {
    let json = |body: String| ([(axum::http::header::CONTENT_TYPE, "application/json")], body);
    let app = axum::Router::new()
        .route("/hooks/{id}", post(|| async { "ok" }))
        .route(
            "/api/v4/hooks/incoming",
            get(move || std::future::ready(json(hooks_body.clone()))),
        )
        .route(
            "/api/v4/users/me",
            get(move || std::future::ready(json(me_body.clone()))),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// One request of a scenario, for either load generator.
#[derive(Clone)]
struct Request {
    method: &'static str,
    url: String,
    token: Option<String>,
    json_body: Option<String>,
}

impl Request {
    fn build(&self, http: &reqwest::Client) -> reqwest::RequestBuilder {
        let mut request = match self.method {
            "POST" => http.post(&self.url),
            _ => http.get(&self.url),
        };
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = &self.json_body {
            request = request.header("content-type", "application/json").body(body.clone());
        }
        request
    }
}

/// Maximum load: wrk when it is installed, else the in-process generator.
async fn max_load(request: &Request) -> Figures {
    match wrk(request).await {
        Some(figures) => figures,
        None => {
            let request = request.clone();
            load(move |http| request.build(http)).await
        }
    }
}

/// `wrk -t1 -c32 -d<ROUND_SECS> --latency`, its figures parsed; `None` without wrk.
async fn wrk(request: &Request) -> Option<Figures> {
    let dir = tempfile::tempdir().ok()?;
    let script = dir.path().join("request.lua");
    let mut lua = format!("wrk.method = \"{}\"\n", request.method);
    if let Some(body) = &request.json_body {
        lua.push_str(&format!(
            "wrk.body = [[{body}]]\nwrk.headers[\"Content-Type\"] = \"application/json\"\n"
        ));
    }
    if let Some(token) = &request.token {
        lua.push_str(&format!("wrk.headers[\"Authorization\"] = \"Bearer {token}\"\n"));
    }
    std::fs::write(&script, lua).ok()?;
    let output = tokio::process::Command::new("wrk")
        .args(["-t1", "-c32", "-d", ROUND_SECS, "--latency", "-s"])
        .arg(&script)
        .arg(&request.url)
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let per_second = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))?
        .trim()
        .parse()
        .ok()?;
    let percentile = |p: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .and_then(|v| parse_wrk_duration(v.trim()))
            .unwrap_or_default()
    };
    Some(Figures {
        per_second,
        p50: percentile("50%"),
        p99: percentile("99%"),
        max: text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Latency"))
            .and_then(|v| v.split_whitespace().nth(2))
            .and_then(parse_wrk_duration)
            .unwrap_or_default(),
    })
}

/// wrk's `1.23ms`, `456.00us`, `1.02s`.
fn parse_wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

/// p50/p99 when sending at `rate` requests per second (spread over
/// `CONCURRENCY` paced workers, for 5 s): latency at a load the server can take.
async fn paced(request: &Request, rate: f64) -> Figures {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let per_worker = Duration::from_secs_f64(CONCURRENCY as f64 / rate.max(1.0));
    let count = ((rate * 5.0) as usize / CONCURRENCY).max(1);
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|n| {
            let (http, request) = (http.clone(), request.clone());
            tokio::spawn(async move {
                // Stagger the workers over one period.
                tokio::time::sleep(per_worker.mul_f64(n as f64 / CONCURRENCY as f64)).await;
                let mut ticks = tokio::time::interval(per_worker);
                let mut latencies = Vec::with_capacity(count);
                for _ in 0..count {
                    ticks.tick().await;
                    let sent = Instant::now();
                    let response = request.build(&http).send().await.expect("request");
                    assert!(response.status().is_success(), "{}", response.status());
                    let _ = response.bytes().await;
                    latencies.push(sent.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
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
    let core = &world.server.state.core;
    let hook = chathooks::hooks::create_incoming(core, &incoming(&world, 0))
        .await
        .unwrap();
    for n in 1..1000 {
        chathooks::hooks::create_incoming(core, &incoming(&world, n))
            .await
            .unwrap();
    }
    let token = world.admin.token.clone();
    let list_path = format!("/api/v4/hooks/incoming?team_id={}", world.team.id);
    let http = reqwest::Client::new();
    let real = |path: &str| {
        let request = http.get(format!("{}{path}", world.server.base)).bearer_auth(&token);
        async move { request.send().await.unwrap().text().await.unwrap() }
    };
    let baseline = trivial(real(&list_path).await, real("/api/v4/users/me").await).await;
    println!(
        "backend: {}; load generator: {}",
        if chathooks_tests::postgres_backend() {
            "PostgreSQL"
        } else {
            "SQLite file"
        },
        if wrk(&Request {
            method: "GET",
            url: format!("http://{baseline}/api/v4/users/me"),
            token: None,
            json_body: None
        })
        .await
        .is_some()
        {
            "wrk -t1 -c32"
        } else {
            "in-process reqwest, 32 workers"
        }
    );

    let scenarios = [
        (
            "POST /hooks/{id}",
            "POST",
            format!("/hooks/{}", hook.id),
            Some(r#"{"text":"load test"}"#.to_owned()),
        ),
        (
            "GET /api/v4/hooks/incoming (1,000 stored, 60 per page)",
            "GET",
            list_path.clone(),
            None,
        ),
        ("GET /api/v4/users/me", "GET", "/api/v4/users/me".to_owned(), None),
    ];
    for (name, method, path, json_body) in scenarios {
        let server = Request {
            method,
            url: format!("{}{path}", world.server.base),
            token: Some(token.clone()),
            json_body: json_body.clone(),
        };
        let base = Request {
            url: format!("http://{baseline}{path}"),
            ..server.clone()
        };
        let mut rounds = Vec::with_capacity(ROUNDS);
        for _ in 0..ROUNDS {
            rounds.push((max_load(&server).await, max_load(&base).await));
        }
        // The best round is the measured maximum.
        let most = rounds.iter().map(|(s, _)| s.per_second).fold(0.0, f64::max);
        report(name, rounds);
        let half = paced(&server, most / 2.0).await;
        println!(
            "  at half that ({:.0} req/s offered, {:.0} served): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
            most / 2.0,
            half.per_second,
            half.p50,
            half.p99,
            half.max
        );
    }

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
        chathooks::hooks::create_outgoing(
            core,
            &OutgoingHook {
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
            },
        )
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
