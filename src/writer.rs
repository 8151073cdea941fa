//! A thread of its own for SQLite's hot write path.
//!
//! SQLite admits one writer at a time, so the time a write transaction holds
//! the lock bounds the throughput of the whole server. sqlx runs each SQLite
//! connection on a worker thread and wakes the awaiting task from outside
//! the async runtime; under load such a task waits in the runtime's shared
//! queue behind every other request before it can issue its next statement,
//! all while holding the lock. Running the transaction on a dedicated
//! single-threaded runtime lets it continue the moment each statement
//! answers. On PostgreSQL, which has no such lock, the work runs in place.

use std::future::Future;
use std::pin::Pin;

use sea_orm::DbBackend;
use tokio::sync::{mpsc, oneshot};

type Job = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The SQLite writer thread is gone (it ends only with the server).
#[derive(Debug)]
pub struct WriterStopped;

#[derive(Clone)]
pub struct Writer {
    jobs: Option<mpsc::UnboundedSender<Job>>,
}

/// The writer of tools that write alone: work runs where it is awaited.
pub static IN_PLACE: Writer = Writer::in_place();

impl Writer {
    /// Work runs where it is awaited (loaders and tools that write alone).
    pub const fn in_place() -> Writer {
        Writer { jobs: None }
    }

    /// A writer thread for SQLite; none for other databases.
    pub fn for_backend(backend: DbBackend) -> Writer {
        if backend != DbBackend::Sqlite {
            return Writer::in_place();
        }
        let (sender, mut receiver) = mpsc::unbounded_channel::<Job>();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a single-threaded runtime for the SQLite writer");
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                // Ends when the last sender (the server's state) is dropped.
                // Each job is a task of its own, so a panic ends only that job;
                // the jobs take their turns at the write lock in arrival order.
                runtime.block_on(async move {
                    while let Some(job) = receiver.recv().await {
                        tokio::spawn(job);
                    }
                });
            })
            .expect("the SQLite writer thread");
        Writer { jobs: Some(sender) }
    }

    /// Starts `work` on the writer thread, or as a task of the current
    /// runtime when there is none, without waiting for it: it runs to its
    /// end even if whoever started it is dropped meanwhile. Fails only when
    /// the writer thread has stopped.
    pub fn spawn(
        &self,
        work: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), WriterStopped> {
        match &self.jobs {
            Some(jobs) => jobs.send(Box::pin(work)).map_err(|_| WriterStopped),
            None => {
                tokio::spawn(work);
                Ok(())
            }
        }
    }

    /// Runs `work` on the writer thread, or in place when there is none.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> T {
        if self.jobs.is_none() {
            // Boxed: write transactions are large futures, and callers that
            // run several in a row (the demo loader) would carry them inline.
            return Box::pin(work).await;
        }
        let (answer, answered) = oneshot::channel();
        let job = async move {
            // The caller may have gone (client disconnected); the work is done regardless.
            let _ = answer.send(work.await);
        };
        if self.spawn(job).is_err() {
            panic!("the SQLite writer thread has stopped");
        }
        answered
            .await
            .unwrap_or_else(|_| panic!("the SQLite writer thread dropped a job"))
    }
}
