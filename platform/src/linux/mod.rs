//! The real Linux client: a kernel tree's own `arch/powerpc/platforms/pseries/msi.c`
//! (the user's file, with their edits), compiled with the project's stand-in headers
//! and generic MSI core into a shared object, loaded, and driven in place of the model's
//! pSeries MSI hooks. Every RTAS call, config access, MMIO, tree lookup and virq it
//! makes goes through the kernel's port and layers, so the firmware, traces, call log,
//! faults, suspend and the map work as with the model.

mod chan;
mod child;
mod client_error;
mod compile;
mod handle;
mod host;
mod instance;
mod link_errors;
mod runner;
mod starter;
mod symbolize;
mod tree;
mod tree_build;
mod tree_files;
mod tree_setup;
mod xive_mirror;

pub use client_error::{ClientError, Undefined};
pub use compile::cache_dir;
pub use instance::Instance;
pub use tree_setup::{check as check_tree, version_of, Version};

use crate::error::Error;
pub use crate::kernel::client::Client;
use crate::kernel::client::{ClientBuild, MsiClient};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How Linux clients are built and run; the command line sets it before it parses a
/// `--client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// The watchdog's limit for one call into a client.
    pub timeout: Duration,
    /// Sanitizers to build the client (and, in a tree, the core with it) and the
    /// runner with: `address`, `undefined`.
    pub sanitize: Vec<String>,
    /// Whether a kernel warning of the client (`WARN_ON`) fails the run.
    pub warn_as_error: bool,
}

/// The default watchdog limit of one call into a client.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

static OPTIONS: Mutex<Option<Options>> = Mutex::new(None);

/// Sets how Linux clients are built and run from now on.
pub fn set_options(o: Options) {
    *OPTIONS.lock().unwrap_or_else(|e| e.into_inner()) = Some(o);
}

/// How Linux clients are built and run.
pub fn options() -> Options {
    OPTIONS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or(Options {
            timeout: DEFAULT_TIMEOUT,
            sanitize: Vec::new(),
            warn_as_error: false,
        })
}

impl Client {
    /// Parses `model` or `linux:PATH`, compiling PATH (see [`LinuxClient::build`]).
    pub fn parse(spec: &str) -> Result<Client, Error> {
        if spec == "model" {
            return Ok(Client::Model);
        }
        match spec.strip_prefix("linux:") {
            Some(path) if !path.is_empty() => {
                LinuxClient::build(Path::new(path)).map(|c| Client::Built(c))
            }
            _ => Err(Error::UnknownClient(spec.to_string())),
        }
    }
}

/// A user's `msi.c` (file mode: with the project's stand-in MSI core), or a kernel
/// tree (tree mode: its msi.c with its own MSI core), compiled.
#[derive(Debug)]
pub struct LinuxClient {
    /// The file as the user named it.
    pub source: PathBuf,
    /// The shared object built from it (in the cache).
    pub library: PathBuf,
    /// The runner its instances run in (in the cache).
    pub runner: PathBuf,
    /// The watchdog's limit for one call.
    pub timeout: Duration,
    /// What the compiler warned about the file (empty: nothing), kept with the build.
    pub warnings: String,
    /// A process started when the client was built, for the first instance: it loads
    /// the library while the simulator reads the machine and boots its firmware.
    /// Without sanitizers, it then forks every instance (see [`child::Process::fork`]).
    spare: Mutex<Option<child::Process>>,
    /// The spare while it is being started (taken into `spare` by the first instance).
    pending: Mutex<Option<starter::Pending>>,
    /// Whether instances are forked from the spare (not under sanitizers: a forked
    /// instance's stderr, where their reports go, is not read).
    forks: bool,
}

type Built = HashMap<(PathBuf, Duration), &'static LinuxClient>;
static BUILT: Mutex<Option<Built>> = Mutex::new(None);

impl LinuxClient {
    /// Compiles a `msi.c`, or the client of a kernel tree when `source` is a folder
    /// (once per process and content; builds are cached on disk by content). A missing
    /// file, a file that does not compile or does not link (a function that exists
    /// nowhere), or no C compiler is an error that says which, with the compiler's own
    /// messages; the warnings of a file that compiles are kept in
    /// [`LinuxClient::warnings`].
    pub fn build(source: &Path) -> Result<&'static LinuxClient, Error> {
        let opts = options();
        let flags = runner::sanitizer_flags(&opts.sanitize);
        let runner = runner::build(&opts.sanitize).map_err(Error::Client)?;
        let source_name = source.display().to_string();
        let start = |library: &Path| starter::start(&runner, library, &source_name, opts.timeout);
        // A tree's cached build is started before its files are checked (the check
        // stats some 600 headers); a build that turns out stale drops that runner.
        let mut early: Option<(PathBuf, starter::Pending)> = None;
        let (library, warnings) = if source.is_dir() {
            let mut on_cached = |so: &Path| {
                if !Self::is_built(so, opts.timeout) {
                    early = Some((so.to_path_buf(), start(so)));
                }
            };
            (
                tree::build(source, &flags, &mut on_cached).map_err(Error::Client)?,
                String::new(),
            )
        } else {
            let text = std::fs::read(source).map_err(|e| {
                Error::Client(ClientError::Read {
                    file: source.to_path_buf(),
                    error: e.to_string(),
                })
            })?;
            let b = compile::build(source, &text, &flags).map_err(Error::Client)?;
            (b.library, b.warnings)
        };
        let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
        let map = built.get_or_insert_with(HashMap::new);
        if let Some(c) = map.get(&(library.clone(), opts.timeout)) {
            return Ok(c);
        }
        let pending = match early {
            Some((so, p)) if so == library => p,
            _ => start(&library),
        };
        let c: &'static LinuxClient = Box::leak(Box::new(LinuxClient {
            source: source.to_path_buf(),
            library: library.clone(),
            spare: Mutex::new(None),
            pending: Mutex::new(Some(pending)),
            runner,
            timeout: opts.timeout,
            warnings,
            forks: opts.sanitize.is_empty(),
        }));
        map.insert((library, opts.timeout), c);
        Ok(c)
    }

    /// Whether this process has built the client of `library` already.
    fn is_built(library: &Path, timeout: Duration) -> bool {
        let built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
        built
            .as_ref()
            .is_some_and(|m| m.contains_key(&(library.to_path_buf(), timeout)))
    }
}

impl ClientBuild for LinuxClient {
    fn name(&self) -> String {
        format!("linux:{}", self.source.display())
    }

    fn warnings(&self) -> &str {
        &self.warnings
    }

    fn instantiate(&self) -> Result<Box<dyn MsiClient>, Error> {
        let mut spare = self.spare.lock().unwrap_or_else(|e| e.into_inner());
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(p) = pending {
            *spare = p.wait();
        }
        let forked = match spare.as_mut().filter(|_| self.forks) {
            Some(z) => match z.fork() {
                Ok(p) => Some(p),
                Err(e) => {
                    // Started as a new runner instead, from now on.
                    log::debug!("{e}");
                    *spare = None;
                    None
                }
            },
            None => None,
        };
        let spare = match forked {
            Some(p) => Some(p),
            None if self.forks => None,
            None => spare.take(),
        };
        let i = match spare {
            Some(p) => Instance::with_process(p),
            None => {
                let source = self.source.display().to_string();
                Instance::load(&self.runner, &self.library, &source, self.timeout)
            }
        };
        Ok(Box::new(i.map_err(Error::Client)?))
    }
}
