//! Deliveries are durable: a post acknowledged before the server is killed
//! gets its outgoing-webhook call after a restart, even when the call was in
//! flight at the moment of death.

mod support;

use std::time::Duration;

use chathooks::store::{AnyStore, DeliveryFilter, DeliveryStore, JobStatus};
use support::{Receiver, Serve, channel_with_outgoing_hook, create_post, login};

#[tokio::test]
async fn a_call_in_flight_at_kill_9_is_made_again_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("chathooks.db").display());
    let http = reqwest::Client::new();
    let receiver = Receiver::start().await;
    // Short timeout and lease, so the restarted server may take the dead
    // one's job over within seconds.
    let env = [
        ("CHATHOOKS_CALLBACK_TIMEOUT_SECS", "2"),
        ("CHATHOOKS_DELIVERY_LEASE_SECS", "2"),
    ];

    let mut first = Serve::start(&database, &env);
    let token = login(&http, &first.base).await;
    let channel = channel_with_outgoing_hook(&http, &first.base, &token, &receiver.url()).await;
    receiver.set_hang(true);
    let post_id = create_post(&http, &first.base, &token, &channel, "deliver me").await;
    // The call is in flight (the receiver holds it): kill the server now.
    assert_eq!(
        receiver.wait_for(1, Duration::from_secs(10)).await,
        std::slice::from_ref(&post_id)
    );
    first.kill();

    receiver.set_hang(false);
    let _second = Serve::start(&database, &env);
    let received = receiver.wait_for(2, Duration::from_secs(30)).await;
    assert_eq!(received, [post_id.clone(), post_id], "the same post, delivered again");

    // The queue shows one job, delivered by the second server, and both
    // calls: the first server's, whose outcome died with it, then the second's.
    let store = AnyStore::connect(&database).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let job = loop {
        let jobs = store.list_deliveries(&DeliveryFilter::default(), 0, 10).await.unwrap();
        assert_eq!(jobs.len(), 1, "one job for one post and one callback URL");
        if jobs[0].status == JobStatus::Delivered {
            break jobs[0].clone();
        }
        assert!(tokio::time::Instant::now() < deadline, "job still {}", jobs[0].status);
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let attempts = store.list_attempts(&job.id).await.unwrap();
    assert_eq!(attempts.len(), 2, "{attempts:#?}");
    let (lost, made) = (&attempts[0], &attempts[1]);
    assert_eq!(lost.status_code, None);
    assert!(
        lost.error
            .as_deref()
            .unwrap_or_default()
            .contains("lost its lease during this call"),
        "{:?}",
        lost.error
    );
    assert_ne!(lost.instance, made.instance, "two instances made the call");
    assert_eq!(made.status_code, Some(200));
    assert_eq!(made.error, None);
    assert_eq!(made.url, receiver.url());
    assert!(made.request_body.contains("deliver me"), "{}", made.request_body);
    store.close().await;
}
