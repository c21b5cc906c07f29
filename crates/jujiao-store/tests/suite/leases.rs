//! The contract for workers sharing a crawl over time: leases and host holds renewed by
//! their holder only, list pages seeded without resetting their schedule, and article
//! outcomes added to the run of the list-page visit that queued them.

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use jujiao_store::{
    HostHold, ListPageSeed, NewWork, RUN_ERROR_SAMPLES, RunId, RunSummary, Store, StoreError,
    WorkKind,
};
use std::sync::Arc;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

fn base() -> DateTime<Utc> {
    Utc.timestamp_opt(Utc::now().timestamp(), 0).unwrap()
}

pub async fn leases_are_renewed_only_by_their_holder(store: Arc<dyn Store>) {
    let run = store.start_run("src").await.unwrap();
    store
        .schedule_work(&[NewWork {
            kind: WorkKind::Article,
            source_id: "src".into(),
            url: "https://l.example/a/1.html".into(),
            due_at: base() - Span::minutes(1),
            note: None,
            run: Some(run),
        }])
        .await
        .unwrap();
    let item = store
        // A minute: renewed at once below, and a busy machine must not let it run out
        // before that.
        .claim_due_work("w1", &[WorkKind::Article], 1, MINUTE)
        .await
        .unwrap()
        .pop()
        .unwrap();
    // The run that queued it travels with the item.
    assert_eq!(item.run, Some(run));
    // The holder renews: the item stays its own for the new lease.
    assert_eq!(
        store.renew_leases("w1", &[item.id], HOUR).await.unwrap(),
        vec![item.id]
    );
    let stats = store.queue_stats().await.unwrap();
    assert_eq!(stats.leased, 1, "{stats:?}");
    // Another worker cannot renew it, nor claim it.
    assert!(
        store
            .renew_leases("w2", &[item.id], HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .claim_due_work("w2", &[WorkKind::Article], 1, MINUTE)
            .await
            .unwrap()
            .is_empty()
    );
    // A lease that ran out and was taken over is no longer the first holder's: it
    // cannot renew it, nor complete it.
    assert_eq!(
        store
            .renew_leases("w1", &[item.id], Duration::ZERO)
            .await
            .unwrap(),
        vec![item.id]
    );
    let taken = store
        .claim_due_work("w2", &[WorkKind::Article], 1, MINUTE)
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    assert!(
        store
            .renew_leases("w1", &[item.id], HOUR)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!store.complete_work(item.id, "w1", None).await.unwrap());
    assert_eq!(
        store.renew_leases("w2", &[item.id], HOUR).await.unwrap(),
        vec![item.id]
    );
    assert!(
        store
            .renew_leases("w2", &[], HOUR)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn host_holds_are_renewed_only_by_their_holder(store: Arc<dyn Store>) {
    let host = "http://r.example:80";
    let HostHold::Held { slot } = store.hold_host_slot(host, "w1", 1, MINUTE).await.unwrap() else {
        panic!("first hold refused");
    };
    let slots = vec![(host.to_owned(), slot)];
    assert_eq!(store.renew_host_holds("w1", &slots, HOUR).await.unwrap(), 1);
    // Renewed to an hour: the slot is not free before then.
    match store.hold_host_slot(host, "w2", 1, MINUTE).await.unwrap() {
        HostHold::NotBefore(at) => assert!(at > Utc::now() + Span::minutes(59), "{at}"),
        other => panic!("the renewed hold was taken: {other:?}"),
    }
    // Only the holder renews; a renewal never shortens a hold.
    assert_eq!(store.renew_host_holds("w2", &slots, HOUR).await.unwrap(), 0);
    store.renew_host_holds("w1", &slots, MINUTE).await.unwrap();
    match store.hold_host_slot(host, "w2", 1, MINUTE).await.unwrap() {
        HostHold::NotBefore(at) => assert!(at > Utc::now() + Span::minutes(59), "{at}"),
        other => panic!("the hold was shortened: {other:?}"),
    }
    // Released, it is no longer the holder's to renew.
    assert!(
        store
            .release_host_slot(host, slot, "w1", Duration::ZERO)
            .await
            .unwrap()
    );
    assert_eq!(store.renew_host_holds("w1", &slots, HOUR).await.unwrap(), 0);
    assert!(matches!(
        store.hold_host_slot(host, "w2", 1, MINUTE).await.unwrap(),
        HostHold::Held { .. }
    ));
}

fn seed(url: &str, interval: Duration) -> ListPageSeed {
    ListPageSeed {
        source_id: "src".into(),
        url: url.into(),
        interval,
    }
}

async fn claim_lists(store: &dyn Store) -> Vec<String> {
    store
        .claim_due_work("w", &[WorkKind::ListPage], 10, MINUTE)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.url)
        .collect()
}

pub async fn seeded_list_pages_keep_their_schedule(store: Arc<dyn Store>) {
    let a = "https://s.example/a/";
    let b = "https://s.example/b/";
    assert_eq!(
        store
            .seed_list_pages(&[seed(a, HOUR), seed(a, HOUR)])
            .await
            .unwrap(),
        1
    );
    // New: due now.
    let got = store
        .claim_due_work("w", &[WorkKind::ListPage], 10, MINUTE)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].url, a);
    // Visited: due again in an hour.
    assert!(
        store
            .complete_work(got[0].id, "w", Some(Utc::now() + Span::hours(1)))
            .await
            .unwrap()
    );
    // A worker restart seeds again: the visited page keeps its schedule, a new one is due.
    assert_eq!(
        store
            .seed_list_pages(&[seed(a, HOUR), seed(b, HOUR)])
            .await
            .unwrap(),
        1
    );
    assert_eq!(claim_lists(store.as_ref()).await, vec![b.to_owned()]);
    // A shorter interval in the configuration brings it forward (never back).
    store.seed_list_pages(&[seed(a, 2 * HOUR)]).await.unwrap();
    assert!(claim_lists(store.as_ref()).await.is_empty());
    store
        .seed_list_pages(&[seed(a, Duration::ZERO)])
        .await
        .unwrap();
    assert_eq!(claim_lists(store.as_ref()).await, vec![a.to_owned()]);
    let stats = store.queue_stats().await.unwrap();
    assert_eq!((stats.leased, stats.articles), (2, 0), "{stats:?}");
}

fn tally(new: u64, errors: u64, sample: Option<&str>, verdict: &str) -> RunSummary {
    RunSummary {
        article_pages: 1,
        new,
        errors,
        error_samples: sample.map(str::to_owned).into_iter().collect(),
        verdict: verdict.into(),
        ..RunSummary::default()
    }
}

pub async fn article_outcomes_add_to_their_run(store: Arc<dyn Store>) {
    let run = store.start_run("src").await.unwrap();
    store
        .finish_run(
            run,
            &RunSummary {
                list_pages: 2,
                verdict: "ok".into(),
                ..RunSummary::default()
            },
        )
        .await
        .unwrap();
    store.add_to_run(run, &tally(1, 0, None, "")).await.unwrap();
    store.add_to_run(run, &tally(1, 0, None, "")).await.unwrap();
    let got = store.recent_runs("src", 1).await.unwrap().pop().unwrap();
    let s = got.summary.unwrap();
    assert_eq!(
        (
            s.list_pages,
            s.article_pages,
            s.new,
            s.errors,
            s.verdict.as_str()
        ),
        (2, 2, 2, 0, "ok")
    );
    // A failed article makes an `ok` run "some pages failed", with its message; a
    // worse verdict of the list page is kept.
    let failed = "some pages failed";
    for i in 0..RUN_ERROR_SAMPLES + 2 {
        let msg = format!("http://x/{i}.html: 404");
        store
            .add_to_run(run, &tally(0, 1, Some(&msg), failed))
            .await
            .unwrap();
    }
    let s = store.recent_runs("src", 1).await.unwrap()[0]
        .summary
        .clone()
        .unwrap();
    assert_eq!(s.errors as usize, RUN_ERROR_SAMPLES + 2);
    assert_eq!(s.verdict, failed);
    assert_eq!(s.error_samples.len(), RUN_ERROR_SAMPLES);
    assert_eq!(s.error_samples[0], "http://x/0.html: 404");
    let other = store.start_run("src").await.unwrap();
    store
        .finish_run(
            other,
            &RunSummary {
                verdict: "unreachable".into(),
                ..RunSummary::default()
            },
        )
        .await
        .unwrap();
    store
        .add_to_run(other, &tally(0, 1, Some("e"), failed))
        .await
        .unwrap();
    let last = store.last_runs().await.unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(last[0].id, other);
    assert_eq!(last[0].summary.as_ref().unwrap().verdict, "unreachable");
    assert!(matches!(
        store
            .add_to_run(RunId(987_654), &tally(1, 0, None, ""))
            .await,
        Err(StoreError::NotFound { .. })
    ));
}
