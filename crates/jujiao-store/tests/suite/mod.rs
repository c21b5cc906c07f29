//! The store contract as plain async functions over `Arc<dyn Store>`, one per behaviour,
//! so every backend runs the same checks (see `backend_tests!` in `store.rs`).

mod articles;
mod briefings;
mod crawl;
mod disclosure;
mod files;
mod leases;
mod near;
mod pauses;
mod users;
mod watch;
mod work;
mod workers;

pub use articles::*;
pub use briefings::*;
pub use crawl::*;
pub use disclosure::*;
pub use files::*;
pub use leases::*;
pub use near::*;
pub use pauses::*;
pub use users::*;
pub use watch::*;
pub use work::*;
pub use workers::*;
