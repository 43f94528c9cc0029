//! The channel to a client's process: `platform/linux-runner/chan.h`, field for field,
//! in shared memory, and the turn-taking over it (spin, then a futex).

use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// `PSIM_CHAN_TEXT`, `PSIM_CHAN_QUEUE`, `PSIM_CHAN_FRAMES`.
pub const TEXT: usize = 65536;
pub const QUEUE: usize = 65536;
pub const FRAMES: usize = 32;

/// Whose turn it is.
pub const TURN_PARENT: u32 = 0;
pub const TURN_CHILD: u32 = 1;

/// The child's state: stopped by the watchdog (1 is crashed, any other non-zero).
pub const STOPPED: i32 = 2;

/// Message kinds (chan.h's enum).
pub mod msg {
    pub const INIT: u32 = 1;
    pub const ADD_NODE: u32 = 2;
    pub const ADD_PHB: u32 = 3;
    pub const ADD_DEVICE: u32 = 4;
    pub const MSI_INIT: u32 = 5;
    pub const FIXUP: u32 = 6;
    pub const REQUEST: u32 = 7;
    pub const VECTOR: u32 = 8;
    pub const REQUEST_IRQS: u32 = 9;
    pub const FREE: u32 = 10;
    pub const UNBIND: u32 = 11;
    pub const EXIT: u32 = 12;
    pub const INIT_IRQ: u32 = 13;
    pub const TAKE: u32 = 14;
    pub const FORK: u32 = 15;
    pub const START_IRQ: u32 = 16;
    pub const REMOVE_NODE: u32 = 17;
    pub const REPLY: u32 = 32;
    pub const RETURN: u32 = 33;
    pub const CB_RTAS: u32 = 64;
    pub const CB_RTAS_TOKEN: u32 = 65;
    pub const CB_CONFIG_READ: u32 = 66;
    pub const CB_CONFIG_WRITE: u32 = 67;
    pub const CB_MMIO_READ: u32 = 68;
    pub const CB_GET_PROPERTY: u32 = 69;
    pub const CB_MSIX_TABLE: u32 = 70;
    pub const CB_VIRQ_ALLOC: u32 = 71;
    pub const CB_XIVE: u32 = 72;
    pub const CB_WANTS: u32 = 73;
    pub const CB_HCALL: u32 = 75;
    pub const Q_LOG: u32 = 96;
    pub const Q_VIRQ_MAP: u32 = 97;
    pub const Q_VIRQ_FREE: u32 = 98;
    pub const Q_IRQ_UNMASK: u32 = 99;
    pub const Q_IRQ_MASK: u32 = 100;
    pub const Q_MMIO_WRITE: u32 = 101;
    pub const Q_HANDLED: u32 = 102;
}

/// `struct psim_chan`.
#[repr(C)]
pub struct Chan {
    pub turn: AtomicU32,
    pub kind: u32,
    pub state: i32,
    pub version: i32,
    pub sleeping: [AtomicU32; 2],
    pub cpu: [AtomicI32; 2],
    pub i: [i64; 24],
    pub len: u32,
    pub qlen: u32,
    pub sig: i32,
    pub sig_code: i32,
    pub sig_addr: u64,
    pub base: u64,
    pub frames: [u64; FRAMES],
    pub nframes: i32,
    pub has_unbind: i32,
    pub text: [u8; TEXT],
    pub queue: [u8; QUEUE],
}

/// `struct psim_qmsg`: a queued message's header.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct QMsg {
    pub kind: u32,
    pub len: u32,
    pub i: [i64; 4],
}

/// A channel mapped in this process; the descriptor the child maps.
pub struct Mapping {
    ptr: *mut Chan,
    /// The shared memory's descriptor (inherited by the child, closed after spawn).
    pub fd: i32,
}

// SAFETY: the mapping is only used by the thread that owns the instance.
unsafe impl Send for Mapping {}

impl Mapping {
    /// Shared memory for one channel (zeroed: the child's turn is not yet).
    pub fn new() -> std::io::Result<Mapping> {
        let size = std::mem::size_of::<Chan>();
        // SAFETY: plain system calls; the name is a NUL-terminated literal.
        unsafe {
            let fd = libc::memfd_create(c"pseries-sim-client".as_ptr(), 0);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::ftruncate(fd, size as libc::off_t) != 0 {
                let e = std::io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            let p = libc::mmap(
                std::ptr::null_mut(),
                size,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            );
            if p == libc::MAP_FAILED {
                let e = std::io::Error::last_os_error();
                libc::close(fd);
                return Err(e);
            }
            Ok(Mapping {
                ptr: p as *mut Chan,
                fd,
            })
        }
    }

    /// The channel. Only touched while it is this side's turn (or the child is gone).
    #[allow(clippy::mut_from_ref)]
    pub fn chan(&self) -> &mut Chan {
        // SAFETY: the mapping lives as long as self; the turn protocol keeps the two
        // processes from writing at once.
        unsafe { &mut *self.ptr }
    }

    /// Closes this process's descriptor (the child has its own after spawn).
    pub fn close_fd(&mut self) {
        if self.fd >= 0 {
            // SAFETY: our descriptor, closed once.
            unsafe { libc::close(self.fd) };
            self.fd = -1;
        }
    }

    /// Hands the turn to the child, waking it only if it sleeps.
    pub fn give(&self) {
        let c = self.chan();
        // SAFETY: a plain system call.
        c.cpu[0].store(unsafe { libc::sched_getcpu() }, Ordering::Relaxed);
        c.turn.store(TURN_CHILD, Ordering::SeqCst);
        if c.sleeping[1].load(Ordering::SeqCst) != 0 {
            futex(&c.turn, libc::FUTEX_WAKE, 1, None);
        }
    }

    /// Waits for the turn to come back, until `deadline`; false when it did not (the
    /// caller checks whether the child lives).
    pub fn wait(&self, deadline: Instant) -> bool {
        let c = self.chan();
        // Spin while the child runs on another core (it answers in microseconds); yield
        // when it last ran on ours (it needs our core to answer); then sleep.
        // SAFETY: a plain system call.
        let me = unsafe { libc::sched_getcpu() };
        for _ in 0..20_000 {
            if c.turn.load(Ordering::Acquire) == TURN_PARENT {
                return true;
            }
            if c.cpu[1].load(Ordering::Relaxed) == me {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
        let mine = loop {
            c.sleeping[0].store(1, Ordering::SeqCst);
            if c.turn.load(Ordering::SeqCst) == TURN_PARENT {
                break true;
            }
            let now = Instant::now();
            if now >= deadline {
                break false;
            }
            let slice = (deadline - now).min(Duration::from_millis(20));
            futex(&c.turn, libc::FUTEX_WAIT, TURN_CHILD, Some(slice));
        };
        c.sleeping[0].store(0, Ordering::SeqCst);
        mine
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        self.close_fd();
        // SAFETY: the mapping made in new, unmapped once.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, std::mem::size_of::<Chan>()) };
    }
}

fn futex(word: &AtomicU32, op: i32, val: u32, timeout: Option<Duration>) {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: the futex word is in the shared mapping, alive for the call.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), op, val, tsp, 0usize, 0u32);
    }
}

/// A NUL-terminated string from a byte buffer.
pub fn c_string(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Copies `s` into a text buffer, NUL-terminated (cut to fit).
pub fn put_string(buf: &mut [u8], s: &str) {
    let n = s.len().min(buf.len() - 1);
    buf[..n].copy_from_slice(&s.as_bytes()[..n]);
    buf[n] = 0;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_is_chan_h_s() {
        // chan.h compiled by the C compiler, its offsets printed, against this mirror.
        let dir = std::env::temp_dir().join(format!("psim-chan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = dir.join("offsets.c");
        std::fs::write(
            &c,
            "#include <stdio.h>\n#include <stddef.h>\n#include \"chan.h\"\n\
             int main(void) { printf(\"%zu %zu %zu %zu %zu %zu %zu %zu %zu %zu\", \
             offsetof(struct psim_chan, sleeping), offsetof(struct psim_chan, cpu), \
             offsetof(struct psim_chan, i), offsetof(struct psim_chan, len), \
             offsetof(struct psim_chan, sig_addr), offsetof(struct psim_chan, frames), \
             offsetof(struct psim_chan, has_unbind), offsetof(struct psim_chan, text), \
             sizeof(struct psim_chan), sizeof(struct psim_qmsg)); return 0; }\n",
        )
        .unwrap();
        let include = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("linux-runner");
        let exe = dir.join("offsets");
        let st = std::process::Command::new("cc")
            .arg(format!("-I{}", include.display()))
            .arg(&c)
            .arg("-o")
            .arg(&exe)
            .status()
            .expect("cc runs");
        assert!(st.success());
        let out = std::process::Command::new(&exe).output().unwrap();
        let theirs = String::from_utf8_lossy(&out.stdout).to_string();
        let ours = [
            std::mem::offset_of!(Chan, sleeping),
            std::mem::offset_of!(Chan, cpu),
            std::mem::offset_of!(Chan, i),
            std::mem::offset_of!(Chan, len),
            std::mem::offset_of!(Chan, sig_addr),
            std::mem::offset_of!(Chan, frames),
            std::mem::offset_of!(Chan, has_unbind),
            std::mem::offset_of!(Chan, text),
            std::mem::size_of::<Chan>(),
            std::mem::size_of::<QMsg>(),
        ]
        .map(|n| n.to_string())
        .join(" ");
        assert_eq!(ours, theirs);
        let _ = std::fs::remove_dir_all(dir);
    }
}
