//! A client instance's process: the runner started on the client library, the calls
//! made over the channel, the host callbacks served from it, and what is said when the
//! process crashes, is stopped by the watchdog, or dies.

use super::chan::{self, msg, Mapping, QMsg};
use super::client_error::ClientError;
use super::handle::Handle;
use super::host::{CallCtx, HOST};
use super::symbolize;
use super::xive_mirror::XiveMirror;
use crate::kernel::Kernel;
use of_tree::NodeId;
use std::collections::VecDeque;
use std::ffi::{c_void, CString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many of the client's last kernel messages a failure quotes.
const LAST_MESSAGES: usize = 4;

/// A running client process.
pub struct Process {
    map: Mapping,
    child: Handle,
    library: PathBuf,
    /// What the user named (their msi.c or tree), for messages.
    source: String,
    timeout: Duration,
    /// Why the process can no longer be called, once it cannot.
    failed: Option<String>,
    last: VecDeque<String>,
    /// Whether the library defines `psim_unbind`.
    pub has_unbind: bool,
    /// The tree's XIVE driver's queues and the handlers that ran.
    pub xive: XiveMirror,
    /// It said it loaded the library (see [`Process::ready`]).
    loaded: bool,
}

impl std::fmt::Debug for Process {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Process({}, pid {})", self.source, self.child.id())
    }
}

impl Process {
    /// Starts `runner` on `library` and waits until it has loaded it.
    pub fn spawn(
        runner: &Path,
        library: &Path,
        source: &str,
        timeout: Duration,
    ) -> Result<Process, ClientError> {
        let mut p = Self::start(runner, library, source, timeout)?;
        p.ready()?;
        Ok(p)
    }

    /// Starts `runner` on `library` without waiting for it (see [`Process::ready`]): it
    /// loads the library while the simulator does other work.
    pub fn start(
        runner: &Path,
        library: &Path,
        source: &str,
        timeout: Duration,
    ) -> Result<Process, ClientError> {
        let io = |e: std::io::Error| ClientError::Io {
            path: runner.to_path_buf(),
            error: e.to_string(),
        };
        let mut map = Mapping::new().map_err(io)?;
        map.chan().version = 1;
        map.chan()
            .turn
            .store(chan::TURN_CHILD, std::sync::atomic::Ordering::Release);
        let child = Command::new(runner)
            .arg(library)
            .arg(map.fd.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env(
                "ASAN_OPTIONS",
                "abort_on_error=1:detect_leaks=0:symbolize=0",
            )
            .env(
                "UBSAN_OPTIONS",
                "abort_on_error=1:print_stacktrace=1:symbolize=0",
            )
            .spawn()
            .map_err(io)?;
        map.close_fd();
        Ok(Process {
            map,
            child: Handle::Spawned(child),
            library: library.to_path_buf(),
            source: source.to_string(),
            timeout,
            failed: None,
            last: VecDeque::new(),
            has_unbind: false,
            xive: XiveMirror::default(),
            loaded: false,
        })
    }

    /// A fresh instance forked from this runner, which loaded its library and was
    /// never called (so every copy starts from that state), on a channel of its own;
    /// cheaper than starting a runner (no exec, no dynamic loading). Waits until this
    /// runner is ready first; it stays usable after a failed fork only if it answered.
    pub fn fork(&mut self) -> Result<Process, ClientError> {
        if !self.loaded {
            self.ready()?;
        }
        let library = self.library.clone();
        let io = |e: std::io::Error| ClientError::Io {
            path: library.clone(),
            error: format!("fork of the client process: {e}"),
        };
        let mut map = Mapping::new().map_err(io)?;
        map.chan().version = 1;
        map.chan()
            .turn
            .store(chan::TURN_CHILD, std::sync::atomic::Ordering::Release);
        {
            let c = self.map.chan();
            c.kind = msg::FORK;
            c.i[0] = map.fd as i64;
        }
        self.map.give();
        let answered = self.wait_turn(Instant::now() + self.timeout.max(Duration::from_secs(10)));
        let c = self.map.chan();
        let pid = c.i[0];
        if !answered || c.state != 0 || c.kind != msg::RETURN || pid <= 0 {
            if !answered || c.state != 0 {
                self.kill();
                self.failed = Some("the client process that forks instances stopped".into());
            }
            let e = std::io::Error::from_raw_os_error((-pid).clamp(0, 4095) as i32);
            return Err(io(e));
        }
        map.close_fd();
        let child = Handle::forked(pid as i32).map_err(io)?;
        // It runs on the CPUs the calling thread may use, as a runner this thread
        // started would (a child inherits them): a thread kept to one CPU keeps its
        // instances there, and each hand-over of the turn is a yield on that CPU.
        // SAFETY: plain system calls on a set that lives across them.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            let size = std::mem::size_of::<libc::cpu_set_t>();
            if libc::sched_getaffinity(0, size, &mut set) == 0 {
                libc::sched_setaffinity(pid as i32, size, &set);
            }
        }
        Ok(Process {
            map,
            child,
            library: self.library.clone(),
            source: self.source.clone(),
            timeout: self.timeout,
            failed: None,
            last: VecDeque::new(),
            has_unbind: false,
            xive: XiveMirror::default(),
            loaded: false,
        })
    }

    /// Waits until a started runner has loaded the library (or says why it could not).
    pub fn ready(&mut self) -> Result<(), ClientError> {
        let p = self;
        let library = p.library.clone();
        let deadline = Instant::now() + p.timeout.max(Duration::from_secs(10));
        let ready = p.wait_turn(deadline);
        let c = p.map.chan();
        if !ready || c.state != 0 || c.kind != msg::RETURN || c.i[0] != 0 {
            let why = if ready && c.state == 0 {
                match c.i[0] {
                    -2 => format!("it lacks the entry point {}", chan::c_string(&c.text)),
                    -3 => "it was built for another version of the entry points".into(),
                    _ => chan::c_string(&c.text),
                }
            } else {
                "the client process did not start".into()
            };
            p.kill();
            return Err(ClientError::Load {
                library,
                error: why,
            });
        }
        p.has_unbind = c.has_unbind != 0;
        p.loaded = true;
        Ok(())
    }

    /// Why the process can no longer be called, if it cannot.
    pub fn failure(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Calls an entry point: `ints` and `text` as its arguments. Serves the client's
    /// callbacks meanwhile. Err when the process crashed, hung or died (then for good).
    pub fn call(
        &mut self,
        k: &mut Kernel,
        nodes: &[NodeId],
        kind: u32,
        ints: &[i64],
        text: Option<&str>,
    ) -> Result<i64, String> {
        if let Some(f) = &self.failed {
            return Err(f.clone());
        }
        {
            let c = self.map.chan();
            c.kind = kind;
            c.i[..ints.len()].copy_from_slice(ints);
            // The tree's generation: the child's property cache holds until it grows.
            c.i[23] = k.tree_generation() as i64;
            if let Some(t) = text {
                chan::put_string(&mut c.text, t);
            }
        }
        let deadline = Instant::now() + self.timeout;
        self.map.give();
        loop {
            if !self.wait_turn(deadline) {
                return Err(self.fail_waiting(k, nodes));
            }
            if self.map.chan().state != 0 {
                self.drain(k, nodes);
                return Err(self.fail_crashed(None));
            }
            self.drain(k, nodes);
            let kind = self.map.chan().kind;
            if kind == msg::RETURN {
                return Ok(self.map.chan().i[0]);
            }
            self.serve(k, nodes, kind);
            self.map.chan().kind = msg::REPLY;
            self.map.give();
        }
    }

    /// Puts bytes in the channel's text for the next call (cut to fit).
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        let c = self.map.chan();
        let n = bytes.len().min(chan::TEXT);
        c.text[..n].copy_from_slice(&bytes[..n]);
    }

    /// Waits for the turn until `deadline`, checking now and then that the child lives.
    fn wait_turn(&mut self, deadline: Instant) -> bool {
        loop {
            let slice = (Instant::now() + Duration::from_millis(200)).min(deadline);
            if self.map.wait(slice) {
                return true;
            }
            if Instant::now() >= deadline || self.child.ended().is_some() {
                return false;
            }
        }
    }

    /// The turn did not come back: the child died, or the watchdog stops it.
    fn fail_waiting(&mut self, k: &mut Kernel, nodes: &[NodeId]) -> String {
        if let Some(status) = self.child.ended() {
            self.drain(k, nodes);
            let why = format!("the client process ended ({status})");
            return self.fail_crashed(Some(why));
        }
        self.child.signal(libc::SIGUSR1);
        let stopped = self.wait_turn(Instant::now() + Duration::from_secs(2));
        self.drain(k, nodes);
        let secs = self.timeout.as_secs_f64();
        let mut why = format!("the client did not return within {secs} s (--client-timeout)");
        if stopped && self.map.chan().state == chan::STOPPED {
            let c = self.map.chan();
            let n = (c.nframes.max(0) as usize).min(chan::FRAMES);
            let frames = symbolize::frames(&self.library, c.base, &c.frames[..n]);
            if let Some(f) = frames.first() {
                why.push_str(&format!(": stopped in {f}"));
            }
            if frames.len() > 1 {
                let rest: Vec<String> = frames[1..].iter().take(3).map(|f| f.to_string()).collect();
                why.push_str(&format!(", called from {}", rest.join(", called from ")));
            }
        }
        self.kill();
        self.failed = Some(format!("{}: {why}{}", self.source, self.last_messages()));
        self.failed.clone().unwrap_or_default()
    }

    /// The child crashed (its handler wrote where) or ended: what is said of it.
    fn fail_crashed(&mut self, ended: Option<String>) -> String {
        let c = self.map.chan();
        let n = (c.nframes.max(0) as usize).min(chan::FRAMES);
        let (sig, addr, state) = (c.sig, c.sig_addr, c.state);
        let frames = symbolize::frames(&self.library, c.base, &c.frames[..n]);
        self.kill();
        let stderr = self.child.stderr();
        let mut why = match ended {
            Some(w) if state == 0 => w,
            _ => {
                let mut w = format!("the client crashed: {}", signal_name(sig));
                if matches!(sig, libc::SIGSEGV | libc::SIGBUS) {
                    w.push_str(&format!(" at address {addr:#x}"));
                }
                w
            }
        };
        if let Some(report) = symbolize::sanitizer_report(&stderr, &self.library) {
            why.push_str(&format!(": {report}"));
        } else if let Some(f) = frames.first() {
            why.push_str(&format!(" in {f}"));
            let rest: Vec<String> = frames[1..].iter().take(3).map(|f| f.to_string()).collect();
            if !rest.is_empty() {
                why.push_str(&format!(", called from {}", rest.join(", called from ")));
            }
        }
        self.failed = Some(format!("{}: {why}{}", self.source, self.last_messages()));
        self.failed.clone().unwrap_or_default()
    }

    fn last_messages(&self) -> String {
        if self.last.is_empty() {
            return String::new();
        }
        let v: Vec<&str> = self.last.iter().map(String::as_str).collect();
        format!(" (last kernel messages: {})", v.join(" | "))
    }

    fn kill(&mut self) {
        self.child.kill();
    }

    fn ctx<'a>(k: &'a mut Kernel, nodes: &'a [NodeId], xive: &'a mut XiveMirror) -> CallCtx<'a> {
        CallCtx { k, nodes, xive }
    }

    /// Handles the queued messages, in order.
    fn drain(&mut self, k: &mut Kernel, nodes: &[NodeId]) {
        let c = self.map.chan();
        let qlen = (c.qlen as usize).min(chan::QUEUE);
        let mut at = 0;
        let head = std::mem::size_of::<QMsg>();
        let mut cx = Self::ctx(k, nodes, &mut self.xive);
        let p = &mut cx as *mut CallCtx as *mut c_void;
        while at + head <= qlen {
            // SAFETY: a header the runner wrote at this offset (unaligned read).
            let m: QMsg =
                unsafe { std::ptr::read_unaligned(c.queue[at..].as_ptr() as *const QMsg) };
            let len = m.len as usize;
            let text_at = at + head;
            at = text_at + ((len + 7) & !7);
            let i = m.i;
            // SAFETY: the host functions take the context made above, alive here.
            unsafe {
                match m.kind {
                    msg::Q_LOG if text_at + len <= qlen && len > 0 => {
                        let bytes = &c.queue[text_at..text_at + len];
                        let text = chan::c_string(bytes);
                        if self.last.len() == LAST_MESSAGES {
                            self.last.pop_front();
                        }
                        self.last.push_back(text.clone());
                        let s = CString::new(text).unwrap_or_default();
                        (HOST.log)(p, i[0] as i32, s.as_ptr());
                    }
                    msg::Q_VIRQ_MAP => {
                        (HOST.virq_map)(p, i[0] as i32, i[1] as u32, i[2] as i32, i[3] as i32)
                    }
                    msg::Q_VIRQ_FREE => (HOST.virq_free)(p, i[0] as i32),
                    msg::Q_IRQ_UNMASK => (HOST.irq_unmask)(p, i[0] as u32),
                    msg::Q_IRQ_MASK => (HOST.irq_mask)(p, i[0] as u32),
                    msg::Q_MMIO_WRITE => {
                        (HOST.mmio_write)(p, i[0] as u64, i[1] as i32, i[2] as u64)
                    }
                    msg::Q_HANDLED => (HOST.handled)(p, i[0] as i32),
                    _ => {}
                }
            }
        }
        c.qlen = 0;
    }

    /// Answers one callback, in the channel.
    fn serve(&mut self, k: &mut Kernel, nodes: &[NodeId], kind: u32) {
        let c = self.map.chan();
        let mut cx = Self::ctx(k, nodes, &mut self.xive);
        let p = &mut cx as *mut CallCtx as *mut c_void;
        let i = c.i;
        let name = || CString::new(chan::c_string(&c.text)).unwrap_or_default();
        // SAFETY: the host functions take the context made above; every pointer handed
        // to them points into this function's locals.
        unsafe {
            match kind {
                msg::CB_RTAS => {
                    let (na, nr) = (i[1].clamp(0, 16) as usize, i[2].clamp(0, 16) as usize);
                    let args: Vec<u32> = i[3..3 + na].iter().map(|&a| a as u32).collect();
                    let mut rets = [0i32; 16];
                    let r = (HOST.rtas)(
                        p,
                        i[0] as i32,
                        na as i32,
                        args.as_ptr(),
                        nr as i32,
                        rets.as_mut_ptr(),
                    );
                    c.i[0] = r as i64;
                    for (n, v) in rets[..nr].iter().enumerate() {
                        c.i[1 + n] = *v as i64;
                    }
                }
                msg::CB_RTAS_TOKEN => c.i[0] = (HOST.rtas_token)(p, name().as_ptr()) as i64,
                msg::CB_CONFIG_READ => {
                    let mut v = 0u32;
                    c.i[0] =
                        (HOST.config_read)(p, i[0] as i32, i[1] as i32, i[2] as i32, &mut v) as i64;
                    c.i[1] = v as i64;
                }
                msg::CB_CONFIG_WRITE => {
                    c.i[0] =
                        (HOST.config_write)(p, i[0] as i32, i[1] as i32, i[2] as i32, i[3] as u32)
                            as i64
                }
                msg::CB_MMIO_READ => c.i[0] = (HOST.mmio_read)(p, i[0] as u64, i[1] as i32) as i64,
                msg::CB_GET_PROPERTY => {
                    let n = name();
                    let mut len = 0i32;
                    let v = (HOST.get_property)(p, i[0] as i32, n.as_ptr(), &mut len);
                    if v.is_null() {
                        c.i[0] = -1;
                    } else {
                        let len = (len.max(0) as usize).min(chan::TEXT);
                        let bytes = std::slice::from_raw_parts(v as *const u8, len);
                        c.text[..len].copy_from_slice(bytes);
                        c.i[0] = len as i64;
                    }
                }
                msg::CB_MSIX_TABLE => c.i[0] = (HOST.msix_table)(p, i[0] as i32) as i64,
                msg::CB_VIRQ_ALLOC => c.i[0] = (HOST.virq_alloc)(p, i[0] as i32) as i64,
                msg::CB_XIVE => c.i[0] = (HOST.xive)(p) as i64,
                msg::CB_WANTS => c.i[0] = (HOST.wants)(p, i[0] as i32) as i64,
                msg::CB_HCALL => {
                    let (na, nr) = (i[1].clamp(0, 16) as usize, i[2].clamp(0, 16) as usize);
                    let args: Vec<u64> = i[3..(3 + na).min(24)].iter().map(|&a| a as u64).collect();
                    let mut rets = [0u64; 16];
                    let r = (HOST.hcall)(
                        p,
                        i[0] as u64,
                        args.len() as i32,
                        args.as_ptr(),
                        nr as i32,
                        rets.as_mut_ptr(),
                    );
                    c.i[0] = r;
                    for (n, v) in rets[..nr.min(23)].iter().enumerate() {
                        c.i[1 + n] = *v as i64;
                    }
                }
                _ => {}
            }
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if self.failed.is_none() && self.loaded && self.child.ended().is_none() {
            let c = self.map.chan();
            c.kind = msg::EXIT;
            self.map.give();
        }
        self.kill();
    }
}

/// A signal's name.
fn signal_name(sig: i32) -> String {
    match sig {
        libc::SIGSEGV => "SIGSEGV (invalid memory access)".into(),
        libc::SIGBUS => "SIGBUS (bus error)".into(),
        libc::SIGFPE => "SIGFPE (arithmetic error)".into(),
        libc::SIGILL => "SIGILL (illegal instruction)".into(),
        libc::SIGABRT => "SIGABRT (the kernel code stopped: BUG, panic or a sanitizer)".into(),
        libc::SIGTRAP => "SIGTRAP".into(),
        n => format!("signal {n}"),
    }
}
