//! Serves a farm of loopback sites until killed (for `scripts/bench_workers.py`): writes
//! a sources file with one source per host, prints `ready`, and on each line read from
//! stdin prints the most requests any host had in flight at once.
//! `cargo run --release -p jujiao-demosite --example farm -- HOSTS ARTICLES PER_PAGE DELAY_MS CONCURRENCY CONFIG OUT DB`

use jujiao_demosite::farm::{Farm, FarmShape};
use std::io::BufRead;
use std::time::Duration;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let num = |i: usize, default: usize| get(i, "").parse().unwrap_or(default);
    let shape = FarmShape {
        hosts: num(1, 50),
        articles: num(2, 100),
        per_page: num(3, 20),
        delay: Duration::from_millis(num(4, 50) as u64),
    };
    let concurrency = num(5, 2);
    let config = get(6, "farm.toml");
    let out = get(7, "farm-output/briefing");
    let db = get(8, "farm-output/jujiao.db");
    let runtime = tokio::runtime::Runtime::new()?;
    let farm = runtime.block_on(Farm::start(shape))?;
    let text = farm.config_toml(&out, &db, concurrency, "0s");
    let tmp = format!("{config}.tmp");
    std::fs::File::create(&tmp)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))?;
    std::fs::rename(&tmp, &config)?;
    println!("ready");
    for line in std::io::stdin().lock().lines() {
        line?;
        let most = (0..shape.hosts)
            .map(|h| farm.stats(h).most_in_flight())
            .max()
            .unwrap_or(0);
        let requests: usize = (0..shape.hosts).map(|h| farm.stats(h).requests()).sum();
        println!("{most} {requests}");
    }
    drop(farm);
    Ok(())
}
