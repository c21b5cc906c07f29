//! The store contract, written once against `Arc<dyn Store>` ([`suite`]) and run per
//! backend by [`backend_tests!`]. A PostgreSQL backend adds one more invocation.
//! SQLite-only behaviour (files, reopening, forced failures) is in `sqlite.rs`.

// Test code: helpers and strategies outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

mod common;

use common::*;

mod suite;

/// One `#[tokio::test]` per suite function, for a backend opened by `$open`.
macro_rules! backend_tests {
    ($backend:ident, $open:path) => {
        mod $backend {
            use super::*;
            backend_tests!(@tests $open;
                added_then_unchanged,
                changed_content_is_a_revision,
                same_text_elsewhere_is_a_duplicate,
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
            );
        }
    };
    (@tests $open:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (store, _guard) = $open().await;
                suite::$name(store).await;
            }
        )*
    };
}

backend_tests!(sqlite_memory, open_memory);
backend_tests!(sqlite_file, open_file);
