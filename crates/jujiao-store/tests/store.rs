//! The store contract, written once against `Arc<dyn Store>` ([`suite`]) and run per
//! backend by [`backend_tests!`]: SQLite in memory, SQLite on a file, and PostgreSQL in
//! a fresh schema per test (`$JUJIAO_TEST_PG`; skipped with a message when unset and no
//! server answers on the default address, see `common/pg.rs`).
//! Backend-only behaviour is in `sqlite.rs` and `postgres.rs`.

// Test code: helpers and strategies outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

mod suite;

/// One `#[tokio::test]` per suite function, for a backend opened by `$open`, which
/// answers `None` when the backend is not available here (the test then passes).
macro_rules! backend_tests {
    ($backend:ident, $open:path) => {
        mod $backend {
            use super::*;
            backend_tests!(@tests $open;
                added_then_unchanged,
                changed_content_is_a_revision,
                same_text_elsewhere_is_a_duplicate,
                imported_duplicates_keep_their_own_place,
                duplicates_and_revisions_within_one_batch,
                a_shared_text_is_a_duplicate_of_the_oldest_article,
                a_lagging_reprint_does_not_flip_the_article,
                legacy_placement_round_trips,
                paging_and_filters,
                known_urls_is_the_stored_subset,
                failed_batch_leaves_nothing,
                missing_article_reads_empty,
                list_page_validators,
                runs,
                work_is_claimed_when_due_and_leased_once,
                concurrent_claims_never_share_an_item,
                host_slots_limit_starts_per_interval,
                near_duplicate_from_another_source_is_filed_once,
                near_duplicates_within_one_batch,
                near_duplicate_rules_keep_different_articles_apart,
                page_checks_round_trip_for_rechecks,
                work_notes_are_kept_from_the_first_scheduling,
                held_host_slots_limit_fetches_in_flight,
                workers_report_and_are_listed,
                queue_stats_count_due_leased_and_waiting,
                files_are_stored_once_and_shared,
                attaching_an_unknown_file_fails,
                files_past_a_revisions_own_are_detached,
                leases_are_renewed_only_by_their_holder,
                host_holds_are_renewed_only_by_their_holder,
                host_pauses_keep_the_longest_and_end,
                seeded_list_pages_keep_their_schedule,
                article_outcomes_add_to_their_run,
                users_are_added_once_and_changed,
                sessions_live_until_ended_and_end_with_their_user,
                failed_logins_count_per_account_and_address,
                the_audit_log_keeps_who_when_what_newest_first,
                series_are_seeded_once_and_keep_admin_edits,
                drafts_round_trip_and_refuse_stale_saves,
                issuing_numbers_and_freezes,
                corrections_are_new_versions_under_the_same_number,
                yearly_numbering_starts_again_each_year,
                issued_issues_are_searchable,
                watch_rules_round_trip_and_config_rules_sync,
                a_rule_fires_once_per_article_and_each_delivery_once,
                an_ended_lease_is_claimed_again,
                concurrent_delivery_claims_never_share_a_row,
                send_slots_are_spaced_across_callers,
                articles_and_their_matches_are_recorded_together,
                a_message_in_flight_is_claimed_again_whole,
                a_held_message_waits_for_the_duty_officer,
                an_unknown_outcome_resent_stays_a_possible_repeat,
                concurrent_recoveries_never_split_a_message,
                disclosure_tables_round_trip_and_follow_revisions,
            );
        }
    };
    (@tests $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some((store, _guard)) = $open().await else {
                    return;
                };
                suite::$name(store).await;
            }
        )*
    };
}

async fn some_memory() -> Option<(std::sync::Arc<dyn jujiao_store::Store>, Guard)> {
    Some(open_memory().await)
}

async fn some_file() -> Option<(std::sync::Arc<dyn jujiao_store::Store>, Guard)> {
    Some(open_file().await)
}

backend_tests!(sqlite_memory, some_memory);
backend_tests!(sqlite_file, some_file);
backend_tests!(postgres, pg::open_pg);
