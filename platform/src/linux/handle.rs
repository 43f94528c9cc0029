//! A client process as the simulator holds it: a runner it started (its `Child`, with
//! stderr piped for sanitizer reports), or an instance a loaded runner forked (its pid
//! and a pidfd: the runner reaps it, so its exit status is not ours to read).

use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Child;
use std::time::{Duration, Instant};

/// The process.
#[derive(Debug)]
pub enum Handle {
    /// Started by the simulator.
    Spawned(Child),
    /// Forked by a loaded runner.
    Forked {
        /// Its pid.
        pid: i32,
        /// A descriptor of it: readable once it ended, whoever reaped it.
        pidfd: OwnedFd,
    },
}

impl Handle {
    /// A process a runner forked, by pid.
    pub fn forked(pid: i32) -> std::io::Result<Handle> {
        // SAFETY: a plain system call; the descriptor it returns is owned below.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: a descriptor just opened, owned by nothing else.
        let pidfd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
        Ok(Handle::Forked { pid, pidfd })
    }

    /// Its pid.
    pub fn id(&self) -> u32 {
        match self {
            Handle::Spawned(c) => c.id(),
            Handle::Forked { pid, .. } => *pid as u32,
        }
    }

    /// How it ended, once it has (None while it runs).
    pub fn ended(&mut self) -> Option<String> {
        match self {
            Handle::Spawned(c) => match c.try_wait() {
                Ok(Some(status)) => Some(status.to_string()),
                _ => None,
            },
            Handle::Forked { pidfd, .. } => {
                readable(pidfd, Duration::ZERO).then(|| "killed or exited".to_string())
            }
        }
    }

    /// Sends it a signal.
    pub fn signal(&self, sig: i32) {
        // SAFETY: signals to our own child, or through a pidfd we hold.
        unsafe {
            match self {
                Handle::Spawned(c) => {
                    libc::kill(c.id() as i32, sig);
                }
                Handle::Forked { pidfd, .. } => {
                    libc::syscall(libc::SYS_pidfd_send_signal, pidfd.as_raw_fd(), sig, 0, 0);
                }
            }
        }
    }

    /// Kills it and waits until it is gone.
    pub fn kill(&mut self) {
        match self {
            Handle::Spawned(c) => {
                let _ = c.kill();
                let _ = c.wait();
            }
            Handle::Forked { pidfd, .. } => {
                // SAFETY: a signal through the pidfd we hold.
                unsafe {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        pidfd.as_raw_fd(),
                        libc::SIGKILL,
                        0,
                        0,
                    )
                };
                readable(pidfd, Duration::from_secs(2));
            }
        }
    }

    /// What it wrote to stderr, once it is gone (a forked instance's goes nowhere).
    pub fn stderr(&mut self) -> String {
        let mut out = String::new();
        if let Handle::Spawned(c) = self {
            if let Some(e) = c.stderr.as_mut() {
                let _ = e.read_to_string(&mut out);
            }
        }
        out
    }
}

/// Whether a pidfd says its process ended, waiting up to `wait`.
fn readable(fd: &OwnedFd, wait: Duration) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        let mut p = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let left = deadline.saturating_duration_since(Instant::now());
        // SAFETY: one pollfd, alive for the call.
        let n = unsafe { libc::poll(&mut p, 1, left.as_millis() as i32) };
        if n > 0 {
            return true;
        }
        if n == 0 || Instant::now() >= deadline {
            return false;
        }
    }
}
