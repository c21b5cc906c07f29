//! Progress on the terminal: a bar per source when stderr is a terminal, plain log lines
//! otherwise (cron, CI, a pipe).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use jujiao_crawl::{Event, Observer};
use std::collections::HashMap;
use std::io::IsTerminal;

#[derive(Debug)]
pub struct Progress {
    bars: Option<(MultiProgress, HashMap<String, ProgressBar>)>,
}

impl Progress {
    pub fn new(ids: &[String]) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress { bars: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:<16} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bars = ids
            .iter()
            .map(|id| {
                let bar = multi.add(ProgressBar::new(0));
                bar.set_style(style.clone());
                bar.set_prefix(id.clone());
                bar.set_message("list pages…");
                (id.clone(), bar)
            })
            .collect();
        Progress {
            bars: Some((multi, bars)),
        }
    }

    pub fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for bar in bars.values() {
                bar.finish();
            }
        }
    }
}

impl Observer for Progress {
    fn event(&self, source_id: &str, event: Event) {
        let Some((multi, bars)) = &self.bars else {
            match event {
                Event::Warning(w) => eprintln!("{source_id}: {w}"),
                Event::ArticlesPlanned(n) => {
                    eprintln!("{source_id}: {n} new article pages to fetch");
                }
                Event::Finished => eprintln!("{source_id}: done"),
                _ => {}
            }
            return;
        };
        let Some(bar) = bars.get(source_id) else {
            return;
        };
        match event {
            Event::ListPage { links, .. } => bar.set_message(format!("list pages… {links} links")),
            Event::ArticlesPlanned(n) => {
                bar.set_length(n as u64);
                bar.set_message("articles");
            }
            Event::ArticleDone { .. } => bar.inc(1),
            Event::Warning(w) => {
                let _ = multi.println(format!("{source_id}: {w}"));
            }
            Event::Finished => bar.finish_with_message("done"),
        }
    }
}
