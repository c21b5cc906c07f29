//! The scheduler on tokio's paused clock: intervals, restarts, backoff, no overlap.

#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use jujiao_web::scheduler::{Planned, RETRY_BASE};
use jujiao_web::{RunResult, SchedulerHandle, SourceRunner, TriggerOutcome};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// Records (source, start, end) of each run; runs take `took`; fails the runs listed.
struct FakeRunner {
    origin: Instant,
    took: Duration,
    fail: Mutex<Vec<bool>>,
    log: Mutex<Vec<(String, u64, u64)>>,
}

impl FakeRunner {
    fn new(took: Duration, fail: Vec<bool>) -> Arc<Self> {
        Arc::new(FakeRunner {
            origin: Instant::now(),
            took,
            fail: Mutex::new(fail),
            log: Mutex::new(Vec::new()),
        })
    }
    fn starts(&self, id: &str) -> Vec<u64> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.0 == id)
            .map(|r| r.1)
            .collect()
    }
}

#[async_trait]
impl SourceRunner for FakeRunner {
    async fn run(&self, id: &str) -> RunResult {
        let start = self.origin.elapsed().as_secs();
        tokio::time::sleep(self.took).await;
        let end = self.origin.elapsed().as_secs();
        self.log.lock().unwrap().push((id.to_owned(), start, end));
        let mut fail = self.fail.lock().unwrap();
        let is_failure = if fail.is_empty() {
            false
        } else {
            fail.remove(0)
        };
        RunResult { is_failure }
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(start_paused = true)]
async fn sources_run_on_their_intervals_and_resume_after_a_restart() {
    let runner = FakeRunner::new(Duration::from_secs(60), vec![]);
    let now = chrono::Utc::now();
    let planned = vec![
        // Never ran: at once, then every hour (counted from the start).
        Planned {
            id: "a".into(),
            interval: HOUR,
            last_start: None,
        },
        // Ran 20 minutes ago: next in 40 minutes.
        Planned {
            id: "b".into(),
            interval: HOUR,
            last_start: Some(now - chrono::Duration::minutes(20)),
        },
        // Overdue: at once.
        Planned {
            id: "c".into(),
            interval: HOUR * 2,
            last_start: Some(now - chrono::Duration::hours(5)),
        },
    ];
    let handle = SchedulerHandle::start(planned, &(runner.clone() as Arc<dyn SourceRunner>));
    tokio::time::sleep(Duration::from_secs(3 * 3600 + 120)).await;
    assert_eq!(runner.starts("a"), vec![0, 3600, 7200, 10800]);
    let b = runner.starts("b");
    assert_eq!(b, vec![2400, 6000, 9600], "{b:?}");
    assert_eq!(runner.starts("c"), vec![0, 7200]);
    assert!(handle.status("a").unwrap().next_run.is_some());
    assert_eq!(handle.status("zz"), None);
}

#[tokio::test(start_paused = true)]
async fn failed_runs_are_retried_sooner_with_backoff() {
    let runner = FakeRunner::new(Duration::from_secs(10), vec![true, true, true, false, true]);
    let planned = vec![Planned {
        id: "a".into(),
        interval: HOUR,
        last_start: None,
    }];
    let handle = SchedulerHandle::start(planned, &(runner.clone() as Arc<dyn SourceRunner>));
    tokio::time::sleep(Duration::from_secs(3 * 3600)).await;
    let base = RETRY_BASE.as_secs();
    // Run 1 fails at 0..10 → retry 5 min after its end; run 2 fails → 10 min; run 3
    // fails → 20 min; run 4 succeeds → one interval after its start; run 5 fails → 5 min.
    let s1 = 0;
    let s2 = s1 + 10 + base;
    let s3 = s2 + 10 + 2 * base;
    let s4 = s3 + 10 + 4 * base;
    let s5 = s4 + 3600;
    let s6 = s5 + 10 + base;
    let starts = runner.starts("a");
    assert_eq!(&starts[..6], &[s1, s2, s3, s4, s5, s6], "{starts:?}");
    assert_eq!(handle.status("a").unwrap().failures, 0);
}

#[tokio::test(start_paused = true)]
async fn runs_of_one_source_never_overlap() {
    // Each run takes longer than the interval; "run now" during a run is refused.
    let runner = FakeRunner::new(Duration::from_secs(90 * 60), vec![]);
    let planned = vec![Planned {
        id: "a".into(),
        interval: HOUR,
        last_start: None,
    }];
    let handle = SchedulerHandle::start(planned, &(runner.clone() as Arc<dyn SourceRunner>));
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(handle.status("a").unwrap().is_running);
    assert_eq!(handle.trigger("a"), TriggerOutcome::AlreadyRunning);
    assert_eq!(handle.trigger("nope"), TriggerOutcome::UnknownSource);
    tokio::time::sleep(Duration::from_secs(5 * 3600)).await;
    let log = runner.log.lock().unwrap().clone();
    assert!(log.len() >= 3);
    for pair in log.windows(2) {
        assert!(pair[1].1 >= pair[0].2, "overlap: {pair:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn run_now_runs_at_once_and_keeps_the_schedule_going() {
    let runner = FakeRunner::new(Duration::from_secs(5), vec![]);
    let now = chrono::Utc::now();
    let planned = vec![Planned {
        id: "a".into(),
        interval: HOUR,
        last_start: Some(now),
    }];
    let handle = SchedulerHandle::start(planned, &(runner.clone() as Arc<dyn SourceRunner>));
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(runner.starts("a").is_empty());
    assert_eq!(handle.trigger("a"), TriggerOutcome::Queued);
    tokio::time::sleep(Duration::from_secs(3600 + 60)).await;
    assert_eq!(runner.starts("a"), vec![600, 4200]);
}
