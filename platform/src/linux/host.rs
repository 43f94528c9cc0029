//! The simulator's side of the C client's host interface (`psim_host.h`): every
//! firmware call, config access, MMIO, tree lookup, virq and message the real kernel
//! code makes arrives here and goes through the kernel's port and layers.

use super::xive_mirror::XiveMirror;
use crate::irq::Owner;
use crate::kernel::{ControllerKind, Kernel};
use crate::trace::Event;
use of_tree::NodeId;
use std::ffi::{c_char, c_int, c_void, CStr};

/// `struct psim_host`, field for field.
#[repr(C)]
pub(super) struct Host {
    pub(super) rtas:
        unsafe extern "C" fn(*mut c_void, i32, i32, *const u32, i32, *mut i32) -> c_int,
    pub(super) rtas_token: unsafe extern "C" fn(*mut c_void, *const c_char) -> i32,
    pub(super) config_read: unsafe extern "C" fn(*mut c_void, i32, i32, i32, *mut u32) -> c_int,
    pub(super) config_write: unsafe extern "C" fn(*mut c_void, i32, i32, i32, u32) -> c_int,
    pub(super) mmio_read: unsafe extern "C" fn(*mut c_void, u64, i32) -> u64,
    pub(super) mmio_write: unsafe extern "C" fn(*mut c_void, u64, i32, u64),
    pub(super) get_property:
        unsafe extern "C" fn(*mut c_void, i32, *const c_char, *mut i32) -> *const c_void,
    pub(super) msix_table: unsafe extern "C" fn(*mut c_void, i32) -> u64,
    pub(super) virq_alloc: unsafe extern "C" fn(*mut c_void, i32) -> i32,
    pub(super) virq_map: unsafe extern "C" fn(*mut c_void, i32, u32, i32, i32),
    pub(super) virq_free: unsafe extern "C" fn(*mut c_void, i32),
    pub(super) irq_unmask: unsafe extern "C" fn(*mut c_void, u32),
    pub(super) irq_mask: unsafe extern "C" fn(*mut c_void, u32),
    pub(super) xive: unsafe extern "C" fn(*mut c_void) -> c_int,
    pub(super) log: unsafe extern "C" fn(*mut c_void, i32, *const c_char),
    pub(super) wants: unsafe extern "C" fn(*mut c_void, i32) -> c_int,
    pub(super) hcall: unsafe extern "C" fn(*mut c_void, u64, i32, *const u64, i32, *mut u64) -> i64,
    pub(super) handled: unsafe extern "C" fn(*mut c_void, i32),
}

/// The table handed to the client.
pub(super) static HOST: Host = Host {
    rtas,
    rtas_token,
    config_read,
    config_write,
    mmio_read,
    mmio_write,
    get_property,
    msix_table,
    virq_alloc,
    virq_map,
    virq_free,
    irq_unmask,
    irq_mask,
    xive,
    log,
    wants,
    hcall,
    handled,
};

/// What a call into the client works on: the kernel, and its nodes by client id.
pub(super) struct CallCtx<'a> {
    pub k: &'a mut Kernel,
    pub nodes: &'a [NodeId],
    /// The XIVE driver's queues and the handlers that ran.
    pub xive: &'a mut XiveMirror,
}

/// # Safety
/// `ctx` is the `CallCtx` the entry point was given, alive for the whole call.
unsafe fn ctx<'a>(ctx: *mut c_void) -> &'a mut CallCtx<'a> {
    &mut *(ctx as *mut CallCtx<'a>)
}

/// A call's inputs as a slice and its output count; None for a negative count.
///
/// # Safety
/// `args` points to `nargs` values (or `nargs` is 0), alive for the call.
unsafe fn call_args<'a, T>(args: *const T, nargs: i32, nret: i32) -> Option<(&'a [T], usize)> {
    let (na, nr) = (usize::try_from(nargs).ok()?, usize::try_from(nret).ok()?);
    let args = if na == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(args, na)
    };
    Some((args, nr))
}

fn dev_ok(k: &Kernel, dev: i32) -> Option<usize> {
    usize::try_from(dev).ok().filter(|&d| d < k.devices.len())
}

unsafe extern "C" fn rtas(
    c: *mut c_void,
    token: i32,
    nargs: i32,
    args: *const u32,
    nret: i32,
    rets: *mut i32,
) -> c_int {
    let c = ctx(c);
    let Some((args, nr)) = call_args(args, nargs, nret) else {
        return -1;
    };
    let mut out = vec![0i64; nr];
    if !c.k.rtas_by_token(token as u32, args, &mut out) {
        return -1;
    }
    for (i, v) in out.iter().enumerate() {
        *rets.add(i) = *v as i32;
    }
    0
}

unsafe extern "C" fn rtas_token(c: *mut c_void, name: *const c_char) -> i32 {
    let c = ctx(c);
    let Ok(name) = CStr::from_ptr(name).to_str() else {
        return -1;
    };
    c.k.rtas
        .as_ref()
        .and_then(|r| r.token_by_name(name))
        .map_or(-1, |t| t as i32)
}

unsafe extern "C" fn config_read(
    c: *mut c_void,
    dev: i32,
    reg: i32,
    size: i32,
    val: *mut u32,
) -> c_int {
    let c = ctx(c);
    let Some(d) = dev_ok(c.k, dev) else { return -1 };
    match c.k.config_read(d, reg as u32, size as u32) {
        Some(v) => {
            *val = v;
            0
        }
        None => -1,
    }
}

unsafe extern "C" fn config_write(
    c: *mut c_void,
    dev: i32,
    reg: i32,
    size: i32,
    val: u32,
) -> c_int {
    let c = ctx(c);
    let Some(d) = dev_ok(c.k, dev) else { return -1 };
    if c.k.config_write(d, reg as u32, size as u32, val) {
        0
    } else {
        -1
    }
}

unsafe extern "C" fn mmio_read(c: *mut c_void, addr: u64, size: i32) -> u64 {
    let c = ctx(c);
    c.k.port.mmio_read(addr, size as u32).unwrap_or(u64::MAX)
}

unsafe extern "C" fn mmio_write(c: *mut c_void, addr: u64, size: i32, val: u64) {
    let c = ctx(c);
    c.k.port.mmio_write(addr, size as u32, val);
}

unsafe extern "C" fn get_property(
    c: *mut c_void,
    node: i32,
    name: *const c_char,
    len: *mut i32,
) -> *const c_void {
    let c = ctx(c);
    let Some(&id) = usize::try_from(node).ok().and_then(|n| c.nodes.get(n)) else {
        return std::ptr::null();
    };
    let Ok(name) = CStr::from_ptr(name).to_str() else {
        return std::ptr::null();
    };
    match c.k.tree().node(id).prop(name) {
        Some(p) => {
            *len = p.value.len() as i32;
            p.value.as_ptr() as *const c_void
        }
        None => std::ptr::null(),
    }
}

unsafe extern "C" fn msix_table(c: *mut c_void, dev: i32) -> u64 {
    let c = ctx(c);
    let Some(d) = dev_ok(c.k, dev) else { return 0 };
    c.k.msix_table_address(d).unwrap_or(0)
}

unsafe extern "C" fn virq_alloc(c: *mut c_void, count: i32) -> i32 {
    let c = ctx(c);
    u32::try_from(count)
        .ok()
        .and_then(|n| c.k.irq.alloc_range(n))
        .map_or(-1, |v| v as i32)
}

unsafe extern "C" fn virq_map(c: *mut c_void, virq: i32, hwirq: u32, dev: i32, vector: i32) {
    let c = ctx(c);
    let Some(d) = dev_ok(c.k, dev) else { return };
    let owner = Owner::vector(d, vector as u32);
    let set = c.k.irq.set(virq as u32, hwirq, owner);
    if set && c.k.xive.is_some() {
        // The XIVE domain's alloc under the client's: xive_irq_alloc_data.
        c.k.xive_alloc(hwirq);
    }
    if set && c.k.tracing() {
        let device = c.k.devices[d].name.clone();
        c.k.emit(Event::Map {
            device,
            vector: Some(vector as u32),
            source: hwirq,
            virq: virq as u32,
        });
    }
}

unsafe extern "C" fn virq_free(c: *mut c_void, virq: i32) {
    let c = ctx(c);
    let Some(desc) = c.k.irq.dispose(virq as u32) else {
        return;
    };
    let owner = desc.owner();
    if c.k.tracing() && desc.hwirq != u32::MAX && owner.dev < c.k.devices.len() {
        let device = c.k.devices[owner.dev].name.clone();
        c.k.emit(Event::Unmap {
            device,
            virq: virq as u32,
            source: desc.hwirq,
        });
    }
}

unsafe extern "C" fn irq_unmask(c: *mut c_void, hwirq: u32) {
    ctx(c).k.unmask(hwirq);
}

unsafe extern "C" fn irq_mask(c: *mut c_void, hwirq: u32) {
    ctx(c).k.mask(hwirq);
}

unsafe extern "C" fn xive(c: *mut c_void) -> c_int {
    let c = ctx(c);
    c.k.intc
        .as_ref()
        .is_some_and(|i| i.kind == ControllerKind::Xive) as c_int
}

unsafe extern "C" fn wants(c: *mut c_void, level: i32) -> c_int {
    (level <= 3 || ctx(c).k.verbose()) as c_int
}

unsafe extern "C" fn log(c: *mut c_void, level: i32, text: *const c_char) {
    let c = ctx(c);
    let text = CStr::from_ptr(text).to_string_lossy().into_owned();
    if level <= 3 {
        log::warn!("linux client: {text}");
    }
    if text.starts_with("WARNING: ") {
        c.k.client_warnings.push(text.clone());
    }
    c.k.msg(text);
}

unsafe extern "C" fn hcall(
    c: *mut c_void,
    opcode: u64,
    nargs: i32,
    args: *const u64,
    nret: i32,
    rets: *mut u64,
) -> i64 {
    let c = ctx(c);
    let Some((args, nr)) = call_args(args, nargs, nret) else {
        return -1;
    };
    let r = c.k.hcall(opcode, args);
    let status = r.first().copied().unwrap_or(-1);
    c.xive.saw_hcall(opcode, args, status);
    for i in 0..nr {
        *rets.add(i) = r.get(i + 1).copied().unwrap_or(0) as u64;
    }
    status
}

unsafe extern "C" fn handled(c: *mut c_void, virq: i32) {
    let c = ctx(c);
    if let Ok(v) = u32::try_from(virq) {
        c.xive.handled.push(v);
    }
}
