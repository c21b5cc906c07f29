//! The contract for the shared work queue and host slots.

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use jujiao_store::{HostSlot, NewWork, Store, WorkKind};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// Now, to the second, so that stored times compare equal.
fn base() -> DateTime<Utc> {
    Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap()
}

fn work(kind: WorkKind, url: &str, due_at: DateTime<Utc>) -> NewWork {
    NewWork {
        kind,
        source_id: "src".into(),
        url: url.into(),
        due_at,
        note: None,
        run: None,
    }
}

pub async fn work_is_claimed_when_due_and_leased_once(store: Arc<dyn Store>) {
    let t = base();
    let list = "https://q.example/list.html";
    let art = "https://q.example/a/1.html";
    store
        .schedule_work(&[
            work(WorkKind::ListPage, list, t - Span::hours(2)),
            work(WorkKind::Article, art, t - Span::hours(1)),
            work(
                WorkKind::Article,
                "https://q.example/later.html",
                t + Span::hours(1),
            ),
            // Queued again: the earlier due time wins, one entry per (kind, URL).
            work(WorkKind::ListPage, list, t + Span::hours(5)),
            work(WorkKind::Article, art, t - Span::hours(3)),
        ])
        .await
        .unwrap();
    store
        .schedule_work(&[work(WorkKind::Article, art, t)])
        .await
        .unwrap();

    let got = store
        .claim_due_work("w1", &[WorkKind::Article], 10, HOUR)
        .await
        .unwrap();
    assert_eq!(got.len(), 1, "{got:?}");
    let a = &got[0];
    assert_eq!(
        (a.url.as_str(), a.kind, a.attempts),
        (art, WorkKind::Article, 1)
    );
    assert_eq!(a.due_at, t - Span::hours(3));
    assert!(a.lease_until > Utc::now() + Span::minutes(59));

    let got = store
        .claim_due_work("w2", &[WorkKind::Article, WorkKind::ListPage], 10, HOUR)
        .await
        .unwrap();
    assert_eq!(
        got.iter().map(|i| i.url.as_str()).collect::<Vec<_>>(),
        vec![list]
    );
    let l = got[0].clone();

    // Only the lease holder completes.
    assert!(!store.complete_work(a.id, "w2", None).await.unwrap());
    assert!(store.complete_work(a.id, "w1", None).await.unwrap());
    assert!(!store.complete_work(a.id, "w1", None).await.unwrap());
    assert!(
        store
            .claim_due_work("w1", &[WorkKind::Article], 10, HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    // Requeued for a time already past: claimable again, attempts counted afresh.
    assert!(
        store
            .complete_work(l.id, "w2", Some(t - Span::minutes(1)))
            .await
            .unwrap()
    );
    let again = store
        .claim_due_work("w3", &[WorkKind::ListPage], 10, HOUR)
        .await
        .unwrap();
    assert_eq!((again[0].id, again[0].attempts), (l.id, 1));

    // A lease that has ended: another worker may claim, the first may not complete.
    store
        .schedule_work(&[work(WorkKind::Article, "https://q.example/d.html", t)])
        .await
        .unwrap();
    let d = store
        .claim_due_work("w4", &[WorkKind::Article], 1, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    let d2 = store
        .claim_due_work("w5", &[WorkKind::Article], 1, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!((d2[0].id, d2[0].attempts), (d[0].id, 2));
    assert!(!store.complete_work(d[0].id, "w4", None).await.unwrap());
    assert_eq!(store.release_expired_leases().await.unwrap(), 1);
    assert!(!store.complete_work(d[0].id, "w5", None).await.unwrap());
    assert_eq!(store.release_expired_leases().await.unwrap(), 0);
}

pub async fn concurrent_claims_never_share_an_item(store: Arc<dyn Store>) {
    let t = base() - Span::minutes(1);
    let items: Vec<NewWork> = (0..200)
        .map(|i| work(WorkKind::Article, &format!("https://c.example/{i}"), t))
        .collect();
    store.schedule_work(&items).await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store
                    .claim_due_work(&format!("w{w}"), &[WorkKind::Article], 7, HOUR)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|i| i.url));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    assert_eq!(all.len(), 200);
    assert_eq!(all.iter().collect::<HashSet<_>>().len(), 200);
}

pub async fn host_slots_limit_starts_per_interval(store: Arc<dyn Store>) {
    let host = "a.example";
    assert_eq!(
        store.claim_host_slot(host, HOUR, 2).await.unwrap(),
        HostSlot::Granted
    );
    assert_eq!(
        store.claim_host_slot(host, HOUR, 2).await.unwrap(),
        HostSlot::Granted
    );
    match store.claim_host_slot(host, HOUR, 2).await.unwrap() {
        HostSlot::NotBefore(at) => assert!(at > Utc::now() + Span::minutes(59), "{at}"),
        HostSlot::Granted => panic!("a third start within the hour"),
    }
    // Hosts are independent; concurrency 1 is one start per interval.
    let other = "b.example";
    assert_eq!(
        store.claim_host_slot(other, HOUR, 1).await.unwrap(),
        HostSlot::Granted
    );
    assert!(matches!(
        store.claim_host_slot(other, HOUR, 1).await.unwrap(),
        HostSlot::NotBefore(_)
    ));
    // A zero interval never holds anyone back.
    for _ in 0..3 {
        assert_eq!(
            store
                .claim_host_slot("c.example", Duration::ZERO, 1)
                .await
                .unwrap(),
            HostSlot::Granted
        );
    }
}
