//! Serves the benchmark site until killed: prints its base URL, then writes the sources
//! file to the path given. `cargo run --release -p jujiao-demosite --example benchsite -- N PER_PAGE CONFIG OUT DB`

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let n: usize = get(1, "10000").parse().unwrap_or(10_000);
    let per_page: usize = get(2, "50").parse().unwrap_or(50);
    let config = get(3, "bench.toml");
    let out = get(4, "bench-output/briefing");
    let db = get(5, "bench-output/jujiao.db");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let site = jujiao_demosite::bench::BenchSite::start(n, per_page).await?;
        let text = site.config_toml(&out, &db);
        let tmp = format!("{config}.tmp");
        std::fs::File::create(&tmp)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))?;
        std::fs::rename(&tmp, &config)?;
        println!("{}", site.base_url());
        std::future::pending::<()>().await;
        Ok(())
    })
}
