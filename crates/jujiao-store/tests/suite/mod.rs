//! The store contract as plain async functions over `Arc<dyn Store>`, one per behaviour,
//! so every backend runs the same checks (see `backend_tests!` in `store.rs`).

mod articles;
mod briefings;
mod crawl;
mod files;
mod leases;
mod near;
mod users;
mod work;
mod workers;

pub use articles::*;
pub use briefings::*;
pub use crawl::*;
pub use files::*;
pub use leases::*;
pub use near::*;
pub use users::*;
pub use work::*;
pub use workers::*;
