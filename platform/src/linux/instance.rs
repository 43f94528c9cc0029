//! One loaded copy of a compiled client (its own globals, as one booted kernel has),
//! and the kernel's calls into it.

use super::client_error::ClientError;
use super::host::{CallCtx, HOST};
use crate::error::MsiError;
use crate::kernel::client::MsiClient;
use crate::kernel::ops::MsiType;
use crate::kernel::{DevId, Kernel};
use of_tree::NodeId;
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;

type Init = unsafe extern "C" fn(*mut c_void, *const c_void, i32) -> c_int;
type AddNode = unsafe extern "C" fn(*mut c_void, i32, i32, *const c_char) -> c_int;
type AddPhb = unsafe extern "C" fn(*mut c_void, i32, u64, i32) -> c_int;
type AddDevice = unsafe extern "C" fn(
    *mut c_void,
    i32,
    i32,
    i32,
    i32,
    i32,
    i32,
    i32,
    u32,
    i32,
    *const c_char,
) -> c_int;
type Ctx0 = unsafe extern "C" fn(*mut c_void) -> c_int;
type Fixup = unsafe extern "C" fn(*mut c_void, i32, u32) -> c_int;
type Request = unsafe extern "C" fn(*mut c_void, i32, i32, i32, i32) -> c_int;
type Vector = unsafe extern "C" fn(*mut c_void, i32, u32) -> c_int;
type Dev = unsafe extern "C" fn(*mut c_void, i32) -> c_int;

/// A loaded client: its entry points, the library kept open, the tree's nodes by id.
pub struct Instance {
    init: Init,
    add_node: AddNode,
    add_phb: AddPhb,
    add_device: AddDevice,
    msi_init: Ctx0,
    fixup: Fixup,
    request: Request,
    vector: Vector,
    request_irqs: Dev,
    free: Dev,
    /// `psim_unbind`, which a client may leave out (then an unbind is a free).
    unbind: Option<Dev>,
    nodes: Vec<NodeId>,
    node_ids: Vec<i32>,
    devices: usize,
    _lib: libloading::Library,
}

impl std::fmt::Debug for Instance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Instance({} nodes, {} devices)",
            self.nodes.len(),
            self.devices
        )
    }
}

static COPIES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Instance {
    /// Loads a private copy of the shared object (each copy has its own globals).
    pub fn load(library: &Path) -> Result<Instance, ClientError> {
        let n = COPIES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let copy =
            std::env::temp_dir().join(format!("pseries-sim-client-{}-{n}.so", std::process::id()));
        std::fs::copy(library, &copy).map_err(|e| ClientError::Io {
            path: copy.clone(),
            error: e.to_string(),
        })?;
        // SAFETY: the library is ours (built by `compile::build` from the project's C
        // files and the user's msi.c); its initialisers only register initcalls.
        let lib = unsafe { libloading::Library::new(&copy) };
        let _ = std::fs::remove_file(&copy);
        let lib = lib.map_err(|e| ClientError::Load {
            library: library.to_path_buf(),
            error: e.to_string(),
        })?;
        // SAFETY: each symbol has the C signature declared in entry.h; the optional
        // `psim_unbind` is `int psim_unbind(void *ctx, int32_t id)`, as psim_free.
        unsafe {
            let abi: libloading::Symbol<unsafe extern "C" fn() -> c_int> = lib
                .get(b"psim_abi")
                .map_err(|e| ClientError::Symbol(e.to_string()))?;
            if abi() != 1 {
                return Err(ClientError::Version {
                    library: library.to_path_buf(),
                });
            }
            macro_rules! sym {
                ($name:literal) => {
                    *lib.get($name)
                        .map_err(|e| ClientError::Symbol(e.to_string()))?
                };
            }
            Ok(Instance {
                init: sym!(b"psim_init"),
                add_node: sym!(b"psim_add_node"),
                add_phb: sym!(b"psim_add_phb"),
                add_device: sym!(b"psim_add_device"),
                msi_init: sym!(b"psim_msi_init"),
                fixup: sym!(b"psim_pci_irq_fixup"),
                request: sym!(b"psim_request"),
                vector: sym!(b"psim_vector"),
                request_irqs: sym!(b"psim_request_irqs"),
                free: sym!(b"psim_free"),
                unbind: lib.get::<Dev>(b"psim_unbind").ok().map(|f| *f),
                nodes: Vec::new(),
                node_ids: Vec::new(),
                devices: 0,
                _lib: lib,
            })
        }
    }

    /// Calls into the client with the kernel as its context.
    fn with<R>(&self, k: &mut Kernel, f: impl FnOnce(*mut c_void) -> R) -> R {
        let mut c = CallCtx {
            k,
            nodes: &self.nodes,
        };
        f(&mut c as *mut CallCtx as *mut c_void)
    }
}

impl MsiClient for Instance {
    /// The tree's nodes and PHBs handed over, the MSI domains made, the initcalls run
    /// (Linux's discover_phbs tail and `rtas_msi_init`). True when MSI is registered.
    fn msi_init(&mut self, k: &mut Kernel) -> bool {
        let tree = k.tree();
        let walk = tree.walk();
        let max = walk.iter().map(|n| n.index()).max().unwrap_or(0);
        let mut ids = vec![-1i32; max + 1];
        for (i, n) in walk.iter().enumerate() {
            ids[n.index()] = i as i32;
        }
        let paths: Vec<CString> = walk
            .iter()
            .map(|&n| CString::new(tree.path(n)).unwrap_or_default())
            .collect();
        let parents: Vec<i32> = walk
            .iter()
            .map(|&n| tree.node(n).parent().map_or(-1, |p| ids[p.index()]))
            .collect();
        self.nodes = walk;
        self.node_ids = ids;
        let host = &HOST as *const _ as *const c_void;
        let count = self.nodes.len() as i32;
        let phbs: Vec<(i32, u64, i32)> = k
            .phbs
            .iter()
            .map(|p| (self.node_ids[p.node.index()], p.buid, p.domain as i32))
            .collect();
        let (init, add_node, add_phb, msi_init) =
            (self.init, self.add_node, self.add_phb, self.msi_init);
        self.with(k, |c| unsafe {
            if init(c, host, count) != 0 {
                return false;
            }
            for (i, (p, parent)) in paths.iter().zip(&parents).enumerate() {
                add_node(c, i as i32, *parent, p.as_ptr());
            }
            for (node, buid, domain) in phbs {
                add_phb(c, node, buid, domain);
            }
            msi_init(c) == 0
        })
    }

    /// A function found by the scan: handed over, then `ppc_md.pci_irq_fixup`.
    fn pci_irq_fixup(&mut self, k: &mut Kernel, dev: DevId) {
        let d = &k.devices[dev];
        let node = self.node_ids.get(d.node.index()).copied().unwrap_or(-1);
        let (bus, devfn, phb, no64) = (
            d.addr.bus as i32,
            d.addr.devfn as i32,
            d.phb as i32,
            d.no_64bit_msi as i32,
        );
        let irq = d.lsi_virq.unwrap_or(0);
        let name = CString::new(d.name.clone()).unwrap_or_default();
        let msi_cap = k.msi_cap(dev, MsiType::Msi).unwrap_or(0) as i32;
        let msix_cap = k.msi_cap(dev, MsiType::Msix).unwrap_or(0) as i32;
        let (add, fixup) = (self.add_device, self.fixup);
        let id = dev as i32;
        let added = self.with(k, |c| unsafe {
            add(
                c,
                id,
                phb,
                node,
                bus,
                devfn,
                msi_cap,
                msix_cap,
                irq,
                no64,
                name.as_ptr(),
            ) == 0
                && fixup(c, id, irq) == 0
        });
        if added {
            self.devices = self.devices.max(dev + 1);
        }
    }

    /// A driver's `pci_alloc_irq_vectors`: the count granted, the virqs of each vector.
    fn request(
        &mut self,
        k: &mut Kernel,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<(u32, Vec<u32>), MsiError> {
        if dev >= self.devices {
            return Err(MsiError::NotSupported);
        }
        let (request, vector) = (self.request, self.vector);
        let msix = (kind == MsiType::Msix) as i32;
        let id = dev as i32;
        let (max, min) = (
            i32::try_from(max).unwrap_or(i32::MAX),
            i32::try_from(min).unwrap_or(i32::MAX),
        );
        self.with(k, |c| unsafe {
            let n = request(c, id, msix, min, max);
            if n < 0 {
                return Err(errno(n));
            }
            let virqs = (0..n as u32)
                .map(|i| vector(c, id, i).max(0) as u32)
                .collect();
            Ok((n as u32, virqs))
        })
    }

    /// request_irq on every vector of a device.
    fn request_irqs(&mut self, k: &mut Kernel, dev: DevId) {
        let f = self.request_irqs;
        self.with(k, |c| unsafe { f(c, dev as i32) });
    }

    /// free_irq on every vector, then `pci_free_irq_vectors`.
    fn free(&mut self, k: &mut Kernel, dev: DevId) {
        let f = self.free;
        self.with(k, |c| unsafe { f(c, dev as i32) });
    }

    /// The driver unbound: `psim_unbind` where the client defines it (a tree-mode
    /// client tears down the device's MSI domain there), else [`MsiClient::free`]. Its
    /// status is not read, as psim_free's is not.
    fn unbind(&mut self, k: &mut Kernel, dev: DevId) {
        match self.unbind {
            Some(f) => {
                self.with(k, |c| unsafe { f(c, dev as i32) });
            }
            None => self.free(k, dev),
        }
    }
}

/// A negative errno as an MSI result.
fn errno(n: c_int) -> MsiError {
    match -n {
        2 => MsiError::NoEnt,
        28 => MsiError::NoSpc,
        22 | 34 => MsiError::Inval,
        38 | 524 => MsiError::NotSupported,
        _ => MsiError::Rtas(n),
    }
}
