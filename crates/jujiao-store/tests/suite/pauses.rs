//! The contract for host pauses: a host that answered a verification page is paused for
//! every store user until the pause ends; a shorter pause never cuts a longer one.

use chrono::{Duration as Span, Utc};
use jujiao_store::Store;
use std::sync::Arc;

pub async fn host_pauses_keep_the_longest_and_end(store: Arc<dyn Store>) {
    let host = "http://p.example:80";
    assert_eq!(store.host_pause(host).await.unwrap(), None);
    let until = Utc::now() + Span::minutes(30);
    store
        .pause_host(host, until, "瑞数 (HTTP 412, $_ts)")
        .await
        .unwrap();
    let pause = store.host_pause(host).await.unwrap().expect("paused");
    assert_eq!(pause.reason, "瑞数 (HTTP 412, $_ts)");
    assert!((pause.until - until).num_seconds().abs() <= 1, "{pause:?}");
    // Another host is not paused.
    assert_eq!(store.host_pause("http://q.example:80").await.unwrap(), None);
    // A shorter pause keeps the longer one.
    store
        .pause_host(host, Utc::now() + Span::minutes(1), "加速乐")
        .await
        .unwrap();
    let kept = store.host_pause(host).await.unwrap().expect("still paused");
    assert_eq!(kept.reason, "瑞数 (HTTP 412, $_ts)");
    // A pause that has ended is no pause; a new challenge pauses again.
    let other = "http://o.example:80";
    store
        .pause_host(other, Utc::now() - Span::seconds(1), "安全狗")
        .await
        .unwrap();
    assert_eq!(store.host_pause(other).await.unwrap(), None);
    store
        .pause_host(other, Utc::now() + Span::minutes(5), "云锁")
        .await
        .unwrap();
    assert_eq!(
        store.host_pause(other).await.unwrap().map(|p| p.reason),
        Some("云锁".to_owned())
    );
}
