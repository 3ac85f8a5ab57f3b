//! Several `chathooks serve` processes on one PostgreSQL database behave as
//! one server: a session from one works on the others, and every delivery
//! job is made by exactly one of them, also when one is killed mid-run.
//! Skipped (one printed line) without PostgreSQL, unless CI is set.

mod support;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chathooks::store::{AnyStore, DeliveryFilter, DeliveryStore, JobStatus};
use support::{Receiver, Serve, channel_with_outgoing_hook, login};
use tokio::sync::Semaphore;

/// Short timeout and lease: a dead instance's jobs are taken over within seconds.
const ENV: [(&str, &str); 2] = [
    ("CHATHOOKS_CALLBACK_TIMEOUT_SECS", "2"),
    ("CHATHOOKS_DELIVERY_LEASE_SECS", "2"),
];
/// The same timeout with a lease no live instance loses, however loaded the
/// machine: where no instance dies, a 2 s lease could run out on a live
/// instance starved of CPU (CI runs both backends' suites side by side),
/// and a job taken over from a live instance may rightly be called twice.
const ENV_ALL_LIVE: [(&str, &str); 2] = [
    ("CHATHOOKS_CALLBACK_TIMEOUT_SECS", "2"),
    ("CHATHOOKS_DELIVERY_LEASE_SECS", "15"),
];
const POSTS: usize = 1_000;
/// Posts in flight at once, over all instances.
const CONCURRENCY: usize = 24;

/// Three instances on a fresh database, started one after the other (each
/// makes sure the admin exists before it listens).
fn three_instances(database: &str, env: &[(&str, &str)]) -> Vec<Serve> {
    (0..3).map(|_| Serve::start(database, env)).collect()
}

/// Post `POSTS` messages, the i-th through `pick(i)`'s base URL; the ids of
/// those acknowledged with 201.
async fn post_all(
    http: &reqwest::Client,
    token: &str,
    channel: &str,
    pick: impl Fn(usize) -> String,
    on_posted: impl Fn(usize) + Send + Sync + 'static,
) -> Vec<String> {
    let slots = Arc::new(Semaphore::new(CONCURRENCY));
    let on_posted = Arc::new(on_posted);
    let mut tasks = Vec::with_capacity(POSTS);
    for i in 0..POSTS {
        let permit = Arc::clone(&slots).acquire_owned().await.unwrap();
        let (http, token, channel, base) = (http.clone(), token.to_owned(), channel.to_owned(), pick(i));
        let on_posted = Arc::clone(&on_posted);
        tasks.push(tokio::spawn(async move {
            let sent = http
                .post(format!("{base}/api/v4/posts"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"channel_id": channel, "message": format!("post {i}")}))
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            drop(permit);
            on_posted(i);
            let response = sent.ok().filter(|r| r.status() == 201)?;
            let post: serde_json::Value = response.json().await.ok()?;
            post["id"].as_str().map(str::to_owned)
        }));
    }
    let mut acknowledged = Vec::new();
    for task in tasks {
        if let Some(id) = task.await.unwrap() {
            acknowledged.push(id);
        }
    }
    acknowledged
}

fn counts(received: &[String]) -> HashMap<&str, usize> {
    let mut counts = HashMap::new();
    for id in received {
        *counts.entry(id.as_str()).or_insert(0) += 1;
    }
    counts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_make_every_callback_exactly_once() {
    let Some(database) = chathooks_testdb::fresh_database() else {
        return;
    };
    let http = reqwest::Client::new();
    let receiver = Receiver::start().await;
    let servers = three_instances(&database, &ENV_ALL_LIVE);
    // One login, on the first instance; its token is used on all three.
    let token = login(&http, &servers[0].base).await;
    let channel = channel_with_outgoing_hook(&http, &servers[1].base, &token, &receiver.url()).await;
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();

    let posted = post_all(&http, &token, &channel, |i| bases[i % 3].clone(), |_| {}).await;
    assert_eq!(
        posted.len(),
        POSTS,
        "every post is acknowledged, whichever instance took it"
    );
    receiver.wait_for(POSTS, Duration::from_secs(120)).await;
    // Anything more (a duplicate) would come right after: give it the time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received();
    let counts = counts(&received);
    let expected: HashSet<&str> = posted.iter().map(String::as_str).collect();
    assert_eq!(counts.keys().copied().collect::<HashSet<_>>(), expected);
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "callbacks made twice: {repeated:?}");

    // The work was shared: more than one instance made calls.
    let store = AnyStore::connect(&database).await.unwrap();
    let jobs = store
        .list_deliveries(&DeliveryFilter::default(), 0, 2 * POSTS as u32)
        .await
        .unwrap();
    assert_eq!(jobs.len(), POSTS);
    let mut instances = HashSet::new();
    for job in jobs.iter().take(100) {
        for attempt in store.list_attempts(&job.id).await.unwrap() {
            instances.insert(attempt.instance);
        }
    }
    assert!(instances.len() > 1, "one instance made every call: {instances:?}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_killed_mid_run_loses_no_callback() {
    let Some(database) = chathooks_testdb::fresh_database() else {
        return;
    };
    let http = reqwest::Client::new();
    let receiver = Receiver::start().await;
    let mut servers = three_instances(&database, &ENV);
    let token = login(&http, &servers[0].base).await;
    let channel = channel_with_outgoing_hook(&http, &servers[0].base, &token, &receiver.url()).await;
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();

    // Kill the third instance with SIGKILL once a third of the posts are sent;
    // posts keep going to all three (those sent to the dead one fail and are
    // not acknowledged, so nothing is expected of them).
    let victim = servers.pop().unwrap();
    let victim = Arc::new(std::sync::Mutex::new(Some(victim)));
    let killer = Arc::clone(&victim);
    let posted = post_all(
        &http,
        &token,
        &channel,
        |i| bases[i % 3].clone(),
        move |i| {
            if i == POSTS / 3
                && let Some(mut serve) = killer.lock().unwrap().take()
            {
                serve.kill();
            }
        },
    )
    .await;
    assert!(victim.lock().unwrap().is_none(), "the third instance was killed");
    assert!(posted.len() >= POSTS / 2, "only {} posts acknowledged", posted.len());

    // Every acknowledged post's callback arrives, the dead instance's jobs
    // included (taken over once their leases ran out).
    let expected: HashSet<&str> = posted.iter().map(String::as_str).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let received = receiver.received();
        let seen: HashSet<&str> = received.iter().map(String::as_str).collect();
        let missing = expected.difference(&seen).count();
        if missing == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{missing} of {} acknowledged posts never got their callback",
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received = receiver.received();
    let counts = counts(&received);

    // A callback made twice is one that was in flight when the instance died,
    // and the history shows both calls. A callback arrives before its
    // attempt is recorded: wait for every job to end first.
    let store = AnyStore::connect(&database).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let jobs = loop {
        let jobs = store
            .list_deliveries(&DeliveryFilter::default(), 0, 2 * POSTS as u32)
            .await
            .unwrap();
        let open = jobs
            .iter()
            .filter(|job| matches!(job.status, JobStatus::Pending | JobStatus::Running))
            .count();
        if open == 0 {
            break jobs;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{open} jobs still open a minute after every callback arrived"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let taken_over: HashSet<String> = jobs
        .iter()
        .filter(|job| job.previous_owner.is_some())
        .map(|job| job.id.clone())
        .collect();
    let repeated = counts.values().filter(|n| **n > 1).count();
    assert!(
        repeated <= taken_over.len(),
        "{repeated} callbacks made twice, but only {} jobs were taken over",
        taken_over.len()
    );
    // Each taken-over job shows the call its previous owner may have made
    // (and, had that owner lived to finish it, that owner's own record too).
    for job in jobs.iter().filter(|job| taken_over.contains(&job.id)) {
        let attempts = store.list_attempts(&job.id).await.unwrap();
        assert!(attempts.len() >= 2, "job {}: {attempts:?}", job.id);
        assert!(
            attempts.iter().any(|a| Some(&a.instance) == job.previous_owner.as_ref()
                && a.status_code.is_none()
                && a.error
                    .as_deref()
                    .unwrap_or_default()
                    .contains("lost its lease during this call")),
            "{attempts:?}"
        );
    }
    store.close().await;
}
