//! Starting a runner from a thread that lives as long as the process. A runner dies
//! with the thread that started it (`PR_SET_PDEATHSIG` names a thread), so a process
//! kept past that thread, the spare that forks every instance of a client, is started
//! here: a client built by a thread that ends (a test, a worker) keeps it.

use super::child::Process;
use super::client_error::ClientError;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

type Job = Box<dyn FnOnce() + Send>;

/// The thread's queue of work.
fn starter() -> &'static Mutex<Sender<Job>> {
    static S: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    S.get_or_init(|| {
        let (tx, rx) = channel::<Job>();
        // A thread that cannot start drops the queue's end: every start then fails,
        // and the client starts its instances itself.
        let _ = std::thread::Builder::new()
            .name("pseries-sim client starter".into())
            .spawn(move || {
                for job in rx {
                    job();
                }
            });
        Mutex::new(tx)
    })
}

/// [`Process::start`], from the long-lived thread.
pub fn start(
    runner: &Path,
    library: &Path,
    source: &str,
    timeout: Duration,
) -> Result<Process, ClientError> {
    let (runner, library, source) = (
        runner.to_path_buf(),
        library.to_path_buf(),
        source.to_string(),
    );
    let (tx, rx) = channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(Process::start(&runner, &library, &source, timeout));
    });
    let sent = starter()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job);
    let lost = || ClientError::Io {
        path: PathBuf::from("client starter thread"),
        error: "it stopped".into(),
    };
    sent.map_err(|_| lost())?;
    rx.recv().map_err(|_| lost())?
}
