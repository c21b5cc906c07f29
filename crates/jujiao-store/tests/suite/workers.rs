//! The contract for what crawler workers share beyond the queue: notes on work items,
//! host slots held for a fetch, heartbeats and queue counts.

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use jujiao_store::{HostHold, NewWork, Store, WorkKind, WorkerState, WorkerStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

fn base() -> DateTime<Utc> {
    Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap()
}

fn item(kind: WorkKind, url: &str, due_at: DateTime<Utc>, note: Option<&str>) -> NewWork {
    NewWork {
        kind,
        source_id: "src".into(),
        url: url.into(),
        due_at,
        note: note.map(str::to_owned),
        run: None,
    }
}

pub async fn work_notes_are_kept_from_the_first_scheduling(store: Arc<dyn Store>) {
    let t = base() - Span::minutes(1);
    let url = "https://n.example/a/1.html";
    store
        .schedule_work(&[item(WorkKind::Article, url, t, Some(r#"{"text":"标题"}"#))])
        .await
        .unwrap();
    // Found again on another list page: the first note stays.
    store
        .schedule_work(&[item(WorkKind::Article, url, t, Some(r#"{"text":"other"}"#))])
        .await
        .unwrap();
    let plain = "https://n.example/list.html";
    store
        .schedule_work(&[item(WorkKind::ListPage, plain, t, None)])
        .await
        .unwrap();
    let items = store
        .claim_due_work("w", &[WorkKind::Article, WorkKind::ListPage], 10, MINUTE)
        .await
        .unwrap();
    assert_eq!(items.len(), 2);
    let article = items.iter().find(|i| i.url == url).unwrap();
    assert_eq!(article.note.as_deref(), Some(r#"{"text":"标题"}"#));
    let list = items.iter().find(|i| i.url == plain).unwrap();
    assert_eq!(list.note, None);
}

pub async fn held_host_slots_limit_fetches_in_flight(store: Arc<dyn Store>) {
    let host = "http://h.example:80";
    let HostHold::Held { slot: a } = store.hold_host_slot(host, "w1", 2, MINUTE).await.unwrap()
    else {
        panic!("first hold refused");
    };
    let HostHold::Held { slot: b } = store.hold_host_slot(host, "w2", 2, MINUTE).await.unwrap()
    else {
        panic!("second hold refused");
    };
    assert_ne!(a, b);
    // Both held: the next asker waits, at the latest until a hold runs out.
    match store.hold_host_slot(host, "w3", 2, MINUTE).await.unwrap() {
        HostHold::NotBefore(at) => assert!(at <= Utc::now() + Span::seconds(61), "{at}"),
        HostHold::Held { .. } => panic!("a third fetch in flight"),
    }
    // Only the holder releases; the slot then rests for the gap.
    assert!(
        !store
            .release_host_slot(host, a, "w2", Duration::ZERO)
            .await
            .unwrap()
    );
    assert!(
        store
            .release_host_slot(host, a, "w1", Duration::ZERO)
            .await
            .unwrap()
    );
    assert_eq!(
        store.hold_host_slot(host, "w3", 2, MINUTE).await.unwrap(),
        HostHold::Held { slot: a }
    );
    assert!(
        store
            .release_host_slot(host, a, "w3", Duration::from_secs(3600))
            .await
            .unwrap()
    );
    match store.hold_host_slot(host, "w4", 2, MINUTE).await.unwrap() {
        HostHold::NotBefore(at) => assert!(at > Utc::now() + Span::seconds(59), "{at}"),
        HostHold::Held { .. } => panic!("a resting slot was handed out"),
    }
    // A holder that dies: a zero-length hold is over at once.
    let other = "http://dead.example:80";
    assert!(matches!(
        store
            .hold_host_slot(other, "dead", 1, Duration::ZERO)
            .await
            .unwrap(),
        HostHold::Held { slot: 0 }
    ));
    assert!(matches!(
        store
            .hold_host_slot(other, "alive", 1, MINUTE)
            .await
            .unwrap(),
        HostHold::Held { slot: 0 }
    ));
    // The dead holder's late release does not free the new holder's slot.
    assert!(
        !store
            .release_host_slot(other, 0, "dead", Duration::ZERO)
            .await
            .unwrap()
    );

    // Eight tasks fetching 40 times through 3 slots: never more than 3 in flight.
    let busy = "http://busy.example:80";
    let in_flight = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (store, in_flight, most) = (Arc::clone(&store), in_flight.clone(), most.clone());
        tasks.spawn(async move {
            let holder = format!("t{w}");
            let mut done = 0;
            while done < 5 {
                match store
                    .hold_host_slot(busy, &holder, 3, MINUTE)
                    .await
                    .unwrap()
                {
                    HostHold::Held { slot } => {
                        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(3)).await;
                        in_flight.fetch_sub(1, Ordering::SeqCst);
                        assert!(
                            store
                                .release_host_slot(busy, slot, &holder, Duration::ZERO)
                                .await
                                .unwrap()
                        );
                        done += 1;
                    }
                    HostHold::NotBefore(_) => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let most = most.load(Ordering::SeqCst);
    assert!((1..=3).contains(&most), "{most} in flight");
}

pub async fn workers_report_and_are_listed(store: Arc<dyn Store>) {
    assert!(store.workers().await.unwrap().is_empty());
    let t = base();
    let mut a = WorkerStatus {
        id: "host-a-101".into(),
        host_name: "host-a".into(),
        pid: 101,
        state: WorkerState::Running,
        started_at: t - Span::minutes(5),
        last_seen: t - Span::minutes(1),
        items_done: 12,
        articles_new: 9,
        errors: 1,
        current_item: Some("https://x.example/a/1.html".into()),
        last_error: Some("https://x.example/a/0.html: HTTP 500".into()),
    };
    let b = WorkerStatus {
        id: "host-b-7".into(),
        host_name: "host-b".into(),
        pid: 7,
        state: WorkerState::Stopped,
        started_at: t - Span::minutes(9),
        last_seen: t - Span::minutes(3),
        items_done: 0,
        articles_new: 0,
        errors: 0,
        current_item: None,
        last_error: None,
    };
    store.report_worker(&a).await.unwrap();
    store.report_worker(&b).await.unwrap();
    assert_eq!(store.workers().await.unwrap(), vec![a.clone(), b.clone()]);
    // A heartbeat replaces the row.
    a.last_seen = t;
    a.items_done = 13;
    a.current_item = None;
    a.state = WorkerState::Stopping;
    store.report_worker(&a).await.unwrap();
    assert_eq!(store.workers().await.unwrap(), vec![a, b]);
}

pub async fn queue_stats_count_due_leased_and_waiting(store: Arc<dyn Store>) {
    let t = base();
    let stats = store.queue_stats().await.unwrap();
    assert_eq!(
        (stats.due, stats.leased, stats.waiting, stats.articles),
        (0, 0, 0, 0)
    );
    store
        .schedule_work(&[
            item(
                WorkKind::Article,
                "https://s.example/1",
                t - Span::hours(1),
                None,
            ),
            item(
                WorkKind::Article,
                "https://s.example/2",
                t - Span::hours(1),
                None,
            ),
            item(
                WorkKind::Article,
                "https://s.example/3",
                t - Span::hours(1),
                None,
            ),
            item(
                WorkKind::ListPage,
                "https://s.example/",
                t + Span::hours(1),
                None,
            ),
        ])
        .await
        .unwrap();
    let claimed = store
        .claim_due_work("w", &[WorkKind::Article], 1, MINUTE)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let stats = store.queue_stats().await.unwrap();
    assert_eq!(
        (stats.due, stats.leased, stats.waiting, stats.articles),
        (2, 1, 1, 3)
    );
}
