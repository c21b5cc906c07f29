//! Serves the benchmark site until killed. Writes two sources files into DIR,
//! `selectors.toml` and `automatic.toml` (each with its own database and briefing tree under
//! DIR), then prints the hosts' base URLs on one line, separated by spaces.
//! `cargo run --release -p jujiao-demosite --example benchsite -- N PER_PAGE HOSTS DIR`

use jujiao_demosite::bench::{BenchSite, Extraction};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_owned());
    let n: usize = get(1, "10000").parse().unwrap_or(10_000);
    let per_page: usize = get(2, "50").parse().unwrap_or(50);
    let hosts: usize = get(3, "4").parse().unwrap_or(4);
    let dir = get(4, "bench-output");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let site = BenchSite::start(n, per_page, hosts).await?;
        std::fs::create_dir_all(&dir)?;
        for (name, extraction) in [
            ("selectors", Extraction::Selectors),
            ("automatic", Extraction::Automatic),
        ] {
            let text = site.config_toml(
                &format!("{dir}/{name}/briefing"),
                &format!("{dir}/{name}/jujiao.db"),
                extraction,
            );
            let config = format!("{dir}/{name}.toml");
            let tmp = format!("{config}.tmp");
            std::io::Write::write_all(&mut std::fs::File::create(&tmp)?, text.as_bytes())?;
            std::fs::rename(&tmp, &config)?;
        }
        println!("{}", site.base_urls().join(" "));
        std::future::pending::<()>().await;
        Ok(())
    })
}
