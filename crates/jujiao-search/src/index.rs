//! [`SearchIndex`]: opening (and, when its layout is outdated, recreating) an index,
//! writing to it and searching it.
//!
//! Writing is done in short sessions: the first write opens tantivy's [`IndexWriter`]
//! (taking the index's writer lock), [`SearchIndex::commit`] (or a failed write) closes
//! it again. So a long-running `jujiao serve` holds the lock only while it commits new
//! articles, and `jujiao reindex` or `jujiao crawl` can write the same index meanwhile.
//! When another process holds the lock, opening the writer waits up to
//! [`SearchIndex::lock_wait`] (default [`LOCK_WAIT`]), saying so in the log, before giving
//! up with [`SearchError::Locked`].
//!
//! Writes become visible at [`SearchIndex::commit`], which also reloads the reader;
//! on-disk indexes also pick up other processes' commits (tantivy watches `meta.json`).

use crate::error::{Result, SearchError};
use crate::highlight::{matches, snippet};
use crate::query::{Excluded, build, exclusion_query, parse};
use crate::schema::{Fields, SCHEMA_VERSION, day_of, register_tokenizers};
use crate::{Hit, IndexDoc, Order, SearchQuery, SearchResults, SearchTiming};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::indexer::{IndexWriterOptions, LogMergePolicy};
use tantivy::schema::Value;
use tantivy::{
    DocAddress, Executor, Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy,
    TantivyDocument, TantivyError, Term,
};

/// The writer's memory budget (its one indexing thread's postings arena). Writers
/// commit a page of documents at a time (see [`crate::rebuild`]), so the arena rarely
/// fills; the budget only bounds a page of unusually long articles.
pub const WRITER_MEMORY: usize = 32_000_000;

/// tantivy's merge policy with two changes for a search index whose articles are replaced
/// (revisions, and every article of a rebuild): segments of one size are merged once there
/// are 4 of them instead of 8, and a level with a segment that is more than 30 % deleted
/// articles is merged whatever its count. A search visits every segment and every
/// deleted article's postings, so both make searches slower (a 10,000-article rebuild
/// ended with 5 segments, the largest 40–50 % deleted).
fn merge_policy() -> LogMergePolicy {
    let mut policy = LogMergePolicy::default();
    policy.set_min_num_segments(4);
    policy.set_del_docs_ratio_before_merge(0.3);
    policy
}
/// How long opening the writer waits for another process to release the index's writer
/// lock (a `jujiao reindex` of 100,000 short articles holds it about 22 s on a 2-core VM:
/// its pages are committed within one write session).
pub const LOCK_WAIT: Duration = Duration::from_secs(60);
/// Pause between attempts to take a busy writer lock.
const LOCK_RETRY: Duration = Duration::from_millis(100);
/// Most threads one search uses (each searches some of the index's segments; a search
/// over 100,000 articles where nearly all match reads every segment in full).
pub const MAX_SEARCH_THREADS: usize = 4;
/// The most hits one [`SearchQuery`] returns.
pub const MAX_LIMIT: usize = 200;
/// The file beside tantivy's that records which [`SCHEMA_VERSION`] wrote the index.
const VERSION_FILE: &str = "jujiao-search.json";
/// tantivy's own metadata file, present in every tantivy index.
const META_FILE: &str = "meta.json";

/// What [`SearchIndex::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OpenState {
    /// A current index, opened as it was.
    Existing,
    /// No index was there; an empty one was created.
    Created,
    /// An index in an older (or unreadable) layout was there; it was deleted and an empty
    /// one created. The reason says why, for the user: the index must be rebuilt.
    Recreated { reason: String },
    /// A memory index.
    InMemory,
}

#[derive(Debug, Serialize, Deserialize)]
struct VersionFile {
    schema_version: u32,
}

/// A full-text index of articles; see the crate documentation.
pub struct SearchIndex {
    /// `None` for a memory index.
    dir: Option<PathBuf>,
    index: Index,
    reader: IndexReader,
    /// The writer of the current write session, `None` between sessions.
    writer: Mutex<Option<IndexWriter>>,
    lock_wait: Duration,
    fields: Fields,
    state: OpenState,
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

fn settings() -> IndexSettings {
    IndexSettings {
        docstore_compression: tantivy::store::Compressor::Lz4,
        ..IndexSettings::default()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and an empty index if missing.
    ///
    /// An index written by another [`SCHEMA_VERSION`] (or one tantivy cannot read) is
    /// deleted and recreated empty, with [`OpenState::Recreated`] and a warning logged:
    /// the caller should then [`rebuild`](crate::rebuild) it. A directory holding other
    /// files is never touched ([`SearchError::NotAnIndex`]).
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        let io = |what: &'static str| {
            move |source| SearchError::Io {
                dir: dir.to_path_buf(),
                what,
                source,
            }
        };
        std::fs::create_dir_all(dir).map_err(io("cannot create the directory"))?;
        let has_meta = dir.join(META_FILE).is_file();
        let version = std::fs::read(dir.join(VERSION_FILE))
            .ok()
            .map(|bytes| serde_json::from_slice::<VersionFile>(&bytes).ok());
        let recreate_because = match version {
            Some(Some(v)) if v.schema_version == SCHEMA_VERSION && has_meta => {
                match Index::open_in_dir(dir) {
                    Ok(index) => return Self::from_index(Some(dir), index, OpenState::Existing),
                    Err(e) => Some(format!("tantivy cannot read it ({e})")),
                }
            }
            Some(Some(v)) if v.schema_version != SCHEMA_VERSION => Some(format!(
                "it was written in layout {}, this jujiao uses layout {SCHEMA_VERSION}",
                v.schema_version
            )),
            Some(_) => Some("its version file is unreadable or its data is missing".to_owned()),
            None if has_meta => Some("it carries no layout version".to_owned()),
            None => None,
        };
        let state = match recreate_because {
            Some(reason) => {
                tracing::warn!(dir = %dir.display(), %reason, "recreating the search index; it must be rebuilt");
                clear_index_dir(dir)?;
                OpenState::Recreated { reason }
            }
            None => {
                let is_empty = std::fs::read_dir(dir)
                    .map_err(io("cannot list the directory"))?
                    .next()
                    .is_none();
                if !is_empty {
                    return Err(SearchError::NotAnIndex {
                        dir: dir.to_path_buf(),
                    });
                }
                OpenState::Created
            }
        };
        let (schema, _) = Fields::schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_dir(dir)
            .map_err(tantivy_error(Some(dir), "cannot create the index"))?;
        let version = serde_json::to_vec(&VersionFile {
            schema_version: SCHEMA_VERSION,
        })
        .expect("a plain struct serialises");
        write_atomic(&dir.join(VERSION_FILE), &version)
            .map_err(io("cannot write the version file"))?;
        Self::from_index(Some(dir), index, state)
    }

    /// An empty index in memory.
    pub fn in_memory() -> Result<SearchIndex> {
        let (schema, _) = Fields::schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()
            .map_err(tantivy_error(None, "cannot create the index"))?;
        Self::from_index(None, index, OpenState::InMemory)
    }

    fn from_index(dir: Option<&Path>, mut index: Index, state: OpenState) -> Result<SearchIndex> {
        register_tokenizers(&index);
        set_search_threads(&mut index, default_search_threads())
            .map_err(tantivy_error(dir, "cannot start the search threads"))?;
        let Some(fields) = Fields::of(&index) else {
            let dir = dir.map(Path::to_path_buf).unwrap_or_default();
            return Err(SearchError::NotAnIndex { dir });
        };
        let policy = if dir.is_some() {
            ReloadPolicy::OnCommitWithDelay
        } else {
            ReloadPolicy::Manual
        };
        let reader = index
            .reader_builder()
            .reload_policy(policy)
            .try_into()
            .map_err(tantivy_error(dir, "cannot open a reader"))?;
        Ok(SearchIndex {
            dir: dir.map(Path::to_path_buf),
            index,
            reader,
            writer: Mutex::new(None),
            lock_wait: LOCK_WAIT,
            fields,
            state,
        })
    }

    /// Searches the index's segments on `threads` threads at once (1: on the calling
    /// thread only). The default is the machine's cores, at most [`MAX_SEARCH_THREADS`].
    /// Results do not depend on it.
    pub fn with_search_threads(mut self, threads: usize) -> Result<SearchIndex> {
        set_search_threads(&mut self.index, threads).map_err(tantivy_error(
            self.dir.as_deref(),
            "cannot start the search threads",
        ))?;
        Ok(self)
    }

    /// Sets how long opening the writer waits for a busy lock (default [`LOCK_WAIT`]).
    pub fn with_lock_wait(mut self, wait: Duration) -> SearchIndex {
        self.lock_wait = wait;
        self
    }

    /// How long opening the writer waits for a busy lock.
    pub fn lock_wait(&self) -> Duration {
        self.lock_wait
    }

    /// True while a write session holds the writer lock (between a write and its commit).
    pub fn is_writing(&self) -> bool {
        self.lock_writer().is_some()
    }

    /// What [`open`](Self::open) found.
    pub fn state(&self) -> &OpenState {
        &self.state
    }

    /// The index directory, `None` in memory.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Segments visible to searches (each search reads every one; several let a search
    /// use several threads).
    pub fn num_segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Articles visible to searches (committed).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The ids of the articles visible to searches (committed).
    pub fn article_ids(&self) -> Result<HashSet<i64>> {
        let searcher = self.reader.searcher();
        let mut ids = HashSet::new();
        for segment in searcher.segment_readers() {
            let column = segment
                .fast_fields()
                .i64("article_id")
                .map_err(tantivy_error(
                    self.dir.as_deref(),
                    "cannot read the article ids",
                ))?;
            for doc in segment.doc_ids_alive() {
                ids.extend(column.values_for_doc(doc));
            }
        }
        Ok(ids)
    }

    /// Adds or replaces (by article id) articles; visible after [`commit`](Self::commit).
    pub fn index(&self, docs: &[IndexDoc]) -> Result<()> {
        self.with_writer(|fields, writer| {
            for d in docs {
                writer.delete_term(Term::from_field_i64(fields.article_id, d.article_id));
                writer.add_document(fields.document(d))?;
            }
            Ok(())
        })
    }

    /// Removes an article; effective after [`commit`](Self::commit). Unknown ids are fine.
    pub fn delete(&self, article_id: i64) -> Result<()> {
        self.with_writer(|fields, writer| {
            writer.delete_term(Term::from_field_i64(fields.article_id, article_id));
            Ok(())
        })
    }

    /// Removes every article; effective after [`commit`](Self::commit).
    pub fn clear(&self) -> Result<()> {
        self.with_writer(|_, writer| writer.delete_all_documents().map(drop))
    }

    /// Makes every write so far durable and visible to searches, and ends the write
    /// session: the writer lock is released for other processes.
    pub fn commit(&self) -> Result<()> {
        let writer = self.lock_writer().take();
        if let Some(mut writer) = writer {
            match writer.commit() {
                // Let the merges the commit started finish before the lock is released:
                // a search over a few merged segments is faster than over many small
                // ones (a rebuild otherwise ends with one segment per flushed batch).
                Ok(_) => writer.wait_merging_threads().map_err(tantivy_error(
                    self.dir.as_deref(),
                    "merging segments failed",
                ))?,
                Err(e) => {
                    // Dropping the writer releases the lock; its changes are lost.
                    drop(writer);
                    return Err(tantivy_error(self.dir.as_deref(), "writing failed")(e));
                }
            }
        }
        self.reload()
    }

    /// Makes every write so far durable and visible to searches, keeping the write
    /// session (and the writer lock) open, its merges running: for writers of many
    /// pages, which call [`commit`](Self::commit) after the last. A commit waits until
    /// tantivy's indexing thread has taken every queued document, so the queue never
    /// holds more than a page.
    pub fn commit_page(&self) -> Result<()> {
        {
            let mut guard = self.lock_writer();
            let Some(writer) = guard.as_mut() else {
                return Ok(());
            };
            if let Err(e) = writer.commit() {
                // Dropping the writer releases the lock; its changes are lost.
                guard.take();
                return Err(tantivy_error(self.dir.as_deref(), "writing failed")(e));
            }
        }
        self.reload()
    }

    /// Lets searches see what was committed.
    fn reload(&self) -> Result<()> {
        self.reader.reload().map_err(tantivy_error(
            self.dir.as_deref(),
            "cannot reload the reader",
        ))
    }

    /// Drops every write since the last commit and ends the write session.
    pub fn rollback(&self) {
        drop(self.lock_writer().take());
    }

    /// Runs `f` with the writer, opening it (and so starting a write session) if there is
    /// none. A failed write ends the session, discarding its uncommitted changes.
    fn with_writer(
        &self,
        f: impl FnOnce(&Fields, &mut IndexWriter) -> tantivy::Result<()>,
    ) -> Result<()> {
        let mut guard = self.lock_writer();
        if guard.is_none() {
            *guard = Some(self.open_writer()?);
        }
        let writer = guard.as_mut().expect("the writer was just created");
        let written = f(&self.fields, writer);
        if written.is_err() {
            guard.take();
        }
        written.map_err(tantivy_error(self.dir.as_deref(), "writing failed"))
    }

    /// Opens tantivy's writer, waiting up to [`lock_wait`](Self::lock_wait) while another
    /// process (or another `SearchIndex` over the same directory) holds the lock.
    fn open_writer(&self) -> Result<IndexWriter> {
        // One indexing thread and one merge thread: on the office's 2 cores a crawl or a
        // server already keeps the other core busy, and each thread would hold its own
        // arena and segment (memory and merging, not speed, were what more threads gave).
        let options = IndexWriterOptions::builder()
            .num_worker_threads(1)
            .num_merge_threads(1)
            .memory_budget_per_thread(WRITER_MEMORY)
            .build();
        let started = Instant::now();
        let mut has_warned = false;
        loop {
            match self.index.writer_with_options(options.clone()) {
                Ok(writer) => {
                    writer.set_merge_policy(Box::new(merge_policy()));
                    if has_warned {
                        tracing::info!(
                            dir = %self.dir.as_deref().unwrap_or(Path::new("memory")).display(),
                            waited_ms = started.elapsed().as_millis() as u64,
                            "search index writer lock released; writing"
                        );
                    }
                    return Ok(writer);
                }
                Err(TantivyError::LockFailure(LockError::LockBusy, _)) => {
                    let dir = self.dir.clone().unwrap_or_default();
                    if started.elapsed() >= self.lock_wait {
                        return Err(SearchError::Locked {
                            dir,
                            waited: self.lock_wait,
                        });
                    }
                    if !has_warned {
                        has_warned = true;
                        tracing::warn!(
                            dir = %dir.display(),
                            wait_s = self.lock_wait.as_secs(),
                            "搜索索引正被另一进程写入，等待中 (the search index is being written by another process; waiting)"
                        );
                    }
                    std::thread::sleep(LOCK_RETRY);
                }
                Err(e) => {
                    return Err(tantivy_error(self.dir.as_deref(), "cannot open the writer")(e));
                }
            }
        }
    }

    fn lock_writer(&self) -> MutexGuard<'_, Option<IndexWriter>> {
        // A panic while writing leaves uncommitted work that the next commit or the
        // writer's drop sorts out; the writer itself stays usable.
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// One page of articles matching `q`; see [`SearchQuery`]. Never fails on odd text.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        let started = Instant::now();
        let parsed = parse(&q.text);
        let searcher = self.reader.searcher();
        let failed = || tantivy_error(self.dir.as_deref(), "search failed");
        let excluded = match exclusion_query(&self.fields, &parsed) {
            Some(query) => {
                let docs = searcher
                    .search(&*query, &DocSetCollector)
                    .map_err(failed())?;
                let mut per_segment = Excluded::new();
                for address in docs {
                    let segment = searcher.segment_reader(address.segment_ord).segment_id();
                    per_segment
                        .entry(segment)
                        .or_default()
                        .insert(address.doc_id);
                }
                Some(per_segment)
            }
            None => None,
        };
        let words = [self.fields.title_words, self.fields.body_words];
        let is_word = |text: &str| {
            words.iter().any(|field| {
                searcher
                    .doc_freq(&Term::from_field_text(*field, text))
                    .is_ok_and(|n| n > 0)
            })
        };
        let query = build(&self.fields, &is_word, &parsed, q, excluded);
        let limit = q.limit.clamp(1, MAX_LIMIT);
        let (total, addresses): (usize, Vec<(f32, DocAddress)>) = match q.order {
            Order::Relevance => {
                let top = TopDocs::with_limit(limit)
                    .and_offset(q.offset)
                    .order_by_score();
                searcher.search(&*query, &(Count, top)).map_err(failed())?
            }
            Order::Newest => {
                let top = TopDocs::with_limit(limit).and_offset(q.offset).tweak_score(
                    |segment: &tantivy::SegmentReader| {
                        let fast = segment.fast_fields();
                        let dates = fast
                            .i64("sort_date")
                            .ok()
                            .map(|c| c.first_or_default_col(crate::schema::UNDATED));
                        let ids = fast
                            .i64("article_id")
                            .ok()
                            .map(|c| c.first_or_default_col(0));
                        move |doc, score| {
                            let date = dates
                                .as_ref()
                                .map_or(crate::schema::UNDATED, |c| c.get_val(doc));
                            let id = ids.as_ref().map_or(0, |c| c.get_val(doc));
                            (date, id, score)
                        }
                    },
                );
                let (total, top) = searcher.search(&*query, &(Count, top)).map_err(failed())?;
                (
                    total,
                    top.into_iter().map(|((_, _, s), a)| (s, a)).collect(),
                )
            }
        };
        let matched = Instant::now();
        let mut timing = SearchTiming {
            matching: matched - started,
            hits: Duration::ZERO,
        };
        if q.limit == 0 {
            return Ok(SearchResults {
                total,
                hits: Vec::new(),
                timing,
            });
        }
        let mut hits = Vec::with_capacity(addresses.len());
        for (score, address) in addresses {
            let doc: TantivyDocument = searcher.doc(address).map_err(tantivy_error(
                self.dir.as_deref(),
                "cannot read a stored article",
            ))?;
            hits.push(self.hit(&doc, score, &parsed));
        }
        timing.hits = matched.elapsed();
        Ok(SearchResults {
            total,
            hits,
            timing,
        })
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, parsed: &crate::query::ParsedQuery) -> Hit {
        let f = &self.fields;
        let text = |field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let title = text(f.title);
        let body = text(f.body);
        let title_marks = matches(&title, parsed.positive_terms());
        let (snippet, snippet_marks) = snippet(&body, &matches(&body, parsed.positive_terms()));
        Hit {
            article_id: doc
                .get_first(f.article_id)
                .and_then(|v| v.as_i64())
                .unwrap_or_default(),
            title_marks,
            snippet,
            snippet_marks,
            title,
            column: text(f.column),
            source: text(f.source),
            date: doc
                .get_first(f.date)
                .and_then(|v| v.as_i64())
                .and_then(day_of),
            url: text(f.url),
            score,
        }
    }
}

/// The search threads by default: one per core, at most [`MAX_SEARCH_THREADS`].
fn default_search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_SEARCH_THREADS))
}

fn set_search_threads(index: &mut Index, threads: usize) -> tantivy::Result<()> {
    if threads <= 1 {
        index.set_executor(Executor::single_thread());
        Ok(())
    } else {
        index.set_multithread_executor(threads)
    }
}

/// Writes a small file so that a crash leaves either the old or the new content.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Deletes the files of an outdated index. Refuses (leaving everything) when the
/// directory holds a subdirectory, which no tantivy index has.
fn clear_index_dir(dir: &Path) -> Result<()> {
    let io = |what: &'static str| {
        move |source| SearchError::Io {
            dir: dir.to_path_buf(),
            what,
            source,
        }
    };
    let entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io("cannot list the directory"))?
        .collect::<std::io::Result<_>>()
        .map_err(io("cannot list the directory"))?;
    if entries.iter().any(|e| e.path().is_dir()) {
        return Err(SearchError::NotAnIndex {
            dir: dir.to_path_buf(),
        });
    }
    for e in entries {
        std::fs::remove_file(e.path()).map_err(io("cannot delete an outdated index file"))?;
    }
    Ok(())
}

fn tantivy_error(
    dir: Option<&Path>,
    what: &'static str,
) -> impl FnOnce(TantivyError) -> SearchError {
    let dir = dir.map_or_else(|| PathBuf::from("memory"), Path::to_path_buf);
    move |source| SearchError::Tantivy { dir, what, source }
}
