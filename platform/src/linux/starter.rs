//! Starting a runner from a thread that lives as long as the process. A runner dies
//! with the thread that started it (`PR_SET_PDEATHSIG` names a thread), so a process
//! kept past that thread, the spare that forks every instance of a client, is started
//! here: a client built by a thread that ends (a test, a worker) keeps it. The caller
//! does not wait for the spawn: it reads its machine meanwhile.

use super::child::Process;
use super::client_error::ClientError;
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, Sender};
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

/// A runner being started: [`Pending::wait`] gives it once it is spawned.
#[derive(Debug)]
pub struct Pending(Receiver<Result<Process, ClientError>>);

impl Pending {
    /// The started runner, or None (said at debug level) when it could not start.
    pub fn wait(self) -> Option<Process> {
        match self.0.recv() {
            Ok(Ok(p)) => Some(p),
            Ok(Err(e)) => {
                log::debug!("the client's runner did not start: {e}");
                None
            }
            Err(_) => {
                log::debug!("the client starter thread stopped");
                None
            }
        }
    }
}

/// [`Process::start`], from the long-lived thread; the caller goes on while it spawns.
/// A [`Pending`] dropped unwaited drops the runner (it is killed).
pub fn start(runner: &Path, library: &Path, source: &str, timeout: Duration) -> Pending {
    let (runner, library, source) = (
        runner.to_path_buf(),
        library.to_path_buf(),
        source.to_string(),
    );
    let (tx, rx) = channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(Process::start(&runner, &library, &source, timeout));
    });
    // A stopped thread drops the job, and with it the sender: wait() then says so.
    let _ = starter()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .send(job);
    Pending(rx)
}
