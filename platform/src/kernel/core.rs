//! The OS's state and its ops table, which refer to each other: the kernel, the
//! machine description that drives it (Linux's `ppc_md`), the client that may negotiate
//! MSIs in its place, the options it boots with, and the kernel's basic services (its
//! tree, its port, traces and messages, device lookup, hypervisor calls).

use super::kinds::{MsiType, ResumeMode};
use super::prom_init::CasRequest;
use super::rtas_tokens::RtasTokens;
use super::types::HeldVirq;
use super::types::{Controller, DevId, Device, PhbInfo};
use super::xive_state::XiveOs;
use crate::error::{Error, MsiError};
use crate::irq::IrqDomain;
use crate::port::Port;
use crate::trace::tracer::Tracer;
use crate::trace::{Event, EventKind};
use of_tree::Tree;
use papr_abi::pci::PciAddr;

/// What the OS does besides booting.
#[derive(Debug, Clone, Copy)]
pub struct OsOptions {
    /// Keep a trace of events (off for large machines).
    pub trace: bool,
    /// Drivers request their interrupts (unmask them at the controller) after setup.
    pub request_irqs: bool,
    /// Which code negotiates MSIs.
    pub client: Client,
    /// The interrupt mode asked for at client-architecture-support.
    pub cas: CasRequest,
    /// Say at CAS (vector 4) that change-msi may answer busy (Linux 6.1 does not).
    pub msi_busy: bool,
    /// Enable EEH on every device after the PCI scan (Linux's EEH probe).
    pub eeh: bool,
    /// Ask the hypervisor at boot for the new interrupt scheme (IMS; messages by call);
    /// off, as an older guest.
    pub negotiate_ims: bool,
}

impl Default for OsOptions {
    fn default() -> Self {
        OsOptions {
            trace: true,
            request_irqs: true,
            client: Client::Model,
            cas: CasRequest::Auto,
            msi_busy: false,
            eeh: false,
            negotiate_ims: false,
        }
    }
}

/// The OS.
pub struct Kernel {
    /// The device tree it booted from (read with [`Kernel::tree`]).
    pub(crate) tree: Tree,
    /// Its port to the machine.
    pub(crate) port: Box<dyn Port>,
    /// The machine description that accepted the tree.
    pub desc: &'static MachineDescription,
    /// RTAS services the tree's `/rtas` publishes (None: no RTAS).
    pub rtas: Option<RtasTokens>,
    /// Running under a hypervisor (`ibm,hypertas-functions`).
    pub hypervisor: bool,
    /// The interrupt controller found by init_irq.
    pub intc: Option<Controller>,
    /// The interrupt mode client-architecture-support settled (None: no CAS made).
    pub intc_mode: Option<papr_abi::cas::IntcMode>,
    /// The XIVE driver's state, once init_irq set it up.
    pub xive: Option<XiveOs>,
    /// PHBs found.
    pub phbs: Vec<PhbInfo>,
    /// MSI support is set up.
    pub msi_enabled: bool,
    /// The kind of the request whose failed setup is being torn down (the kind of
    /// Linux's MSI descriptors then), for a teardown that holds no state yet.
    pub setup_kind: Option<MsiType>,
    /// The new interrupt scheme is in force (the guest asked, the hypervisor agreed):
    /// IMS is available.
    pub new_irq_scheme: bool,
    /// PCI devices, in scan order.
    pub devices: Vec<Device>,
    /// OS interrupt numbers.
    pub irq: IrqDomain,
    /// What happened, in order (when no sink takes the events as they happen).
    pub trace: Vec<Event>,
    /// Where events go: kept in `trace`, streamed, or nowhere.
    pub(super) tracer: Box<dyn Tracer>,
    /// Options it booted with.
    pub opts: OsOptions,
    /// Interrupts taken that no handler took.
    pub spurious: u64,
    /// Suspended (between suspend and resume).
    pub suspended: bool,
    /// Every MSI virq held at the last suspend.
    pub snapshot: Vec<HeldVirq>,
    /// What the machine description keeps for itself (the static data of its file in
    /// Linux): set and read by the description alone.
    pub platform_data: Option<Box<dyn std::any::Any>>,
    /// How many times the tree was handed out to be changed (a client caching
    /// properties reads them anew when it grows).
    pub(crate) tree_generation: u64,
    /// The compiled client's kernel warnings (`WARN`, `WARN_ON`: "WARNING: file:line"),
    /// in order.
    pub client_warnings: Vec<String>,
    /// The compiled Linux client negotiating MSIs instead of the description's hooks.
    pub(crate) client: Option<Box<dyn MsiClient>>,
}

/// How the OS picks its description.
#[derive(Debug, Clone, Copy)]
pub enum Select {
    /// The first of these whose probe accepts the tree.
    Probe(&'static [&'static MachineDescription]),
    /// This one, without probing.
    Force(&'static MachineDescription),
}

/// A step hook.
pub type StepHook = fn(&mut Kernel) -> Result<(), Error>;
/// An MSI hook: device, vector count, kind.
pub type MsiHook = fn(&mut Kernel, DevId, u32, MsiType) -> Result<(), MsiError>;
/// A config read hook: device, register, size.
pub type ReadConfigHook = fn(&mut Kernel, DevId, u32, u32) -> Option<u32>;
/// A config write hook: device, register, size, value.
pub type WriteConfigHook = fn(&mut Kernel, DevId, u32, u32, u32) -> bool;
/// A chained flow handler (Linux's `irq_set_chained_handler`, e.g. `axon_msi_cascade`):
/// given a source the CPU took, the virqs it demultiplexes to, or None when the source
/// is not one it handles.
pub type ChainedHook = fn(&mut Kernel, u32) -> Option<Vec<u32>>;
/// The resume hook.
pub type ResumeHook = fn(&mut Kernel, ResumeMode) -> Result<(), Error>;

/// A machine description: its name, how it recognises a tree, and its hooks.
#[derive(Clone, Copy)]
pub struct MachineDescription {
    /// Name, as the trace shows it.
    pub name: &'static str,
    /// The machine runs PAPR firmware (RTAS, hypervisor calls); false: bare metal.
    pub papr: bool,
    /// Whether this description drives the machine the tree describes.
    pub probe: fn(&Tree) -> bool,
    /// Architecture set-up after the probe.
    pub setup_arch: Option<StepHook>,
    /// Finds and sets up the interrupt controller.
    pub init_irq: Option<StepHook>,
    /// Finds the PCI host bridges.
    pub discover_phbs: Option<StepHook>,
    /// Sets up MSI support; false means "no MSI support" (drivers fall back to LSI).
    pub msi_init: Option<fn(&mut Kernel) -> bool>,
    /// Per-function fix-up at PCI scan.
    pub pci_irq_fixup: Option<fn(&mut Kernel, DevId)>,
    /// Sanity check of a request of `nvec` vectors.
    pub msi_check_device: Option<MsiHook>,
    /// Sets up a device's whole request at once.
    pub setup_msi_irqs: Option<MsiHook>,
    /// Releases all of a device's vectors.
    pub teardown_msi_irqs: Option<fn(&mut Kernel, DevId)>,
    /// Reads config space (None: direct hardware access).
    pub read_config: Option<ReadConfigHook>,
    /// Writes config space (None: direct hardware access).
    pub write_config: Option<WriteConfigHook>,
    /// Unmasks an interrupt source (Linux's `irq_chip.irq_unmask`; None: program the
    /// controller's registers directly).
    pub irq_unmask: Option<fn(&mut Kernel, u32)>,
    /// Masks an interrupt source (`irq_chip.irq_mask`; None: the registers directly).
    pub irq_mask: Option<fn(&mut Kernel, u32)>,
    /// Shuts a started source down at `free_irq` (Linux's `irq_chip.irq_shutdown` of the
    /// vector's chip; None: masked, as Linux does for a chip without one).
    pub irq_shutdown: Option<fn(&mut Kernel, u32)>,
    /// The flow handler of a cascaded controller's interrupt (Linux's
    /// `irq_set_chained_handler`); None: every source is a virq of its own.
    pub chained_handler: Option<ChainedHook>,
    /// Suspends the partition.
    pub suspend: Option<StepHook>,
    /// Resumes it.
    pub resume: Option<ResumeHook>,
}

impl MachineDescription {
    /// A description that accepts no tree and fills no hook: descriptions start from it
    /// (`..MachineDescription::EMPTY`), so an empty hook takes the shared default.
    pub const EMPTY: MachineDescription = MachineDescription {
        name: "",
        papr: false,
        probe: |_| false,
        setup_arch: None,
        init_irq: None,
        discover_phbs: None,
        msi_init: None,
        pci_irq_fixup: None,
        msi_check_device: None,
        setup_msi_irqs: None,
        teardown_msi_irqs: None,
        read_config: None,
        write_config: None,
        irq_unmask: None,
        irq_mask: None,
        irq_shutdown: None,
        chained_handler: None,
        suspend: None,
        resume: None,
    };
}

impl std::fmt::Debug for MachineDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MachineDescription({})", self.name)
    }
}

/// One kernel's instance of a client: Linux's MSI entry points.
pub trait MsiClient {
    /// The tree's nodes and PHBs handed over, its MSI set-up run (Linux's
    /// `rtas_msi_init`). True when MSI is registered.
    fn msi_init(&mut self, k: &mut Kernel) -> bool;
    /// The per-function fix-up at the PCI scan (Linux's `pcibios_fixup` hook).
    fn pci_irq_fixup(&mut self, k: &mut Kernel, dev: DevId);
    /// A driver's request of `min..=max` vectors: the count granted and the virqs.
    fn request(
        &mut self,
        k: &mut Kernel,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<(u32, Vec<u32>), MsiError>;
    /// request_irq on the first `start` vectors the driver holds (None: on every one).
    fn request_irqs(&mut self, k: &mut Kernel, dev: DevId, start: Option<u32>);
    /// request_irq on vector `vector` of those the driver holds, after its request (a
    /// driver that starts its vectors later); Err says why the client could not.
    fn start_irq(&mut self, k: &mut Kernel, dev: DevId, vector: u32) -> Result<(), String>;
    /// free_irq on every vector started, then the vectors released.
    fn free(&mut self, k: &mut Kernel, dev: DevId);
    /// The driver detaches from the device: its vectors are freed and the client
    /// releases what it keeps for the device's MSIs (a Linux 7.x client its per-device
    /// MSI domain). By default [`MsiClient::free`]: Linux 6.x keeps nothing else, so an
    /// unbind makes the calls a free makes.
    fn unbind(&mut self, k: &mut Kernel, dev: DevId) {
        self.free(k, dev)
    }
    /// Node `node` (and its subtree) leaves the OS's tree, a DLPAR removal after the
    /// driver's free (Linux's `of_detach_node`): the client's walks no longer find it.
    /// Err says why the client could not. The model reads the kernel's tree, so it has
    /// nothing to do (the default).
    fn remove_node(&mut self, _k: &mut Kernel, _node: of_tree::NodeId) -> Result<(), String> {
        Ok(())
    }
    /// The interrupt controller's driver of the client's own set up (Linux's
    /// `pseries_init_irq` under XIVE): true when it drives the controller from now on,
    /// false when the kernel's model does (the default).
    fn init_irq(&mut self, _k: &mut Kernel) -> bool {
        false
    }
    /// The interrupts the CPUs were raised with, taken by the client's controller
    /// driver: the virqs whose handlers ran, in order; None when the kernel takes them
    /// (the default).
    fn take_interrupts(&mut self, _k: &mut Kernel) -> Option<Vec<u32>> {
        None
    }
    /// Why the client can no longer be called (its code crashed, hung or died), if it
    /// cannot. The model never fails so.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// A client built once and instantiated per kernel.
pub trait ClientBuild: std::fmt::Debug + Send + Sync {
    /// Its name as the trace and `diff-clients` show it.
    fn name(&self) -> String;
    /// A fresh instance for one kernel.
    fn instantiate(&self) -> Result<Box<dyn MsiClient>, Error>;
    /// What its build warned about (the compiler's messages), empty when nothing.
    fn warnings(&self) -> &str {
        ""
    }
}

/// Which code negotiates MSIs with the firmware.
#[derive(Debug, Clone, Copy, Default)]
pub enum Client {
    /// The project's model of Linux (the machine description's hooks).
    #[default]
    Model,
    /// A built client.
    Built(&'static dyn ClientBuild),
}

impl Client {
    /// The client's name as the trace and `diff-clients` show it.
    pub fn name(&self) -> String {
        match self {
            Client::Model => "model".into(),
            Client::Built(c) => c.name(),
        }
    }

    /// What the client's build warned about, empty when nothing (the model: nothing).
    pub fn warnings(&self) -> &str {
        match self {
            Client::Model => "",
            Client::Built(c) => c.warnings(),
        }
    }
}

impl Kernel {
    /// The device tree the OS runs on.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Why the compiled client can no longer be called (its code crashed, hung or
    /// died), if it cannot; the run that made it fail should stop there.
    pub fn client_failure(&self) -> Option<String> {
        self.client.as_ref().and_then(|c| c.failure())
    }

    /// The client's interrupt-controller driver set up in place of the model's (see
    /// [`MsiClient::init_irq`]); false without a client or when it has none.
    pub(crate) fn client_init_irq(&mut self) -> bool {
        let Some(mut c) = self.client.take() else {
            return false;
        };
        let ok = c.init_irq(self);
        self.client = Some(c);
        ok
    }

    /// Grows each time the tree is handed out to be changed.
    pub fn tree_generation(&self) -> u64 {
        self.tree_generation
    }

    /// The port the OS reaches the machine through.
    pub fn port(&self) -> &dyn Port {
        self.port.as_ref()
    }

    /// The port, mutable (the simulator's view of the machine behind it).
    pub fn port_mut(&mut self) -> &mut dyn Port {
        self.port.as_mut()
    }

    /// The device tree, to update (as a DLPAR or a property update does); what the
    /// machine description derived from it (its quota counts) is computed again.
    pub fn tree_mut(&mut self) -> &mut Tree {
        self.platform_data = None;
        self.tree_generation += 1;
        &mut self.tree
    }

    /// Records an event: to the sink, else in `trace`.
    pub(crate) fn emit(&mut self, e: Event) {
        if let Some(e) = self.tracer.take(e) {
            self.trace.push(e);
        }
    }

    /// Whether trace events are wanted (else none is built).
    pub(crate) fn tracing(&self) -> bool {
        self.tracer.enabled()
    }

    /// Whether events of a kind are wanted (else none of them is built).
    pub(crate) fn traces(&self, kind: EventKind) -> bool {
        self.tracer.wants(kind)
    }

    /// Records a hook call.
    pub(crate) fn hook(&mut self, hook: &'static str, detail: &str) {
        self.hook_with(hook, |_| detail.to_string());
    }

    /// Records a hook call whose detail is built only when wanted (trace or debug log).
    pub(crate) fn hook_with(&mut self, hook: &'static str, detail: impl FnOnce(&Kernel) -> String) {
        let log = log::log_enabled!(log::Level::Debug);
        let trace = self.traces(EventKind::Hook);
        if !log && !trace {
            return;
        }
        let detail = detail(self);
        log::debug!("{}.{hook} {detail}", self.desc.name);
        if trace {
            self.emit(Event::Hook {
                hook,
                machine: self.desc.name,
                detail,
            });
        }
    }

    /// Whether messages are wanted (trace or debug log).
    pub(crate) fn verbose(&self) -> bool {
        self.traces(EventKind::Msg) || log::log_enabled!(log::Level::Debug)
    }

    /// Whether a message that begins with `head` may be wanted (trace or debug log):
    /// false, and it need not be built.
    pub(crate) fn wants_msg(&self, head: &str) -> bool {
        self.tracer.wants_msg(head) || log::log_enabled!(log::Level::Debug)
    }

    /// Records a message (for the simulator's notes in a run's trace).
    pub fn note(&mut self, text: String) {
        self.msg(text);
    }

    /// Records a message in the words of Linux's debug output.
    pub(crate) fn msg(&mut self, text: String) {
        log::debug!("{text}");
        if self.traces(EventKind::Msg) {
            self.emit(Event::Msg { text });
        }
    }

    /// Records a message built only when messages are wanted (see [`Kernel::msg`]).
    pub(crate) fn msg_with(&mut self, text: impl FnOnce(&Kernel) -> String) {
        if self.verbose() {
            let text = text(self);
            self.msg(text);
        }
    }

    /// Records a driver's event.
    pub(crate) fn driver_event(
        &mut self,
        dev: DevId,
        text: String,
        detail: crate::trace::DriverDetail,
    ) {
        if self.traces(EventKind::Driver) {
            let device = self.devices[dev].name.clone();
            self.emit(Event::Driver {
                device,
                text,
                detail,
            });
        }
    }

    /// A device by its Linux name.
    pub fn device(&self, name: &str) -> Result<DevId, Error> {
        self.devices
            .iter()
            .position(|d| d.name == name && !d.removed)
            .ok_or_else(|| Error::NoDevice(name.to_string()))
    }

    /// A device by its PHB's BUID and bus address.
    pub fn device_at(&self, buid: u64, addr: PciAddr) -> Option<DevId> {
        self.devices
            .iter()
            .position(|d| d.buid == buid && d.addr == addr && !d.removed)
    }

    /// A hypervisor call through the port, traced.
    pub fn hcall(&mut self, opcode: u64, args: &[u64]) -> Vec<i64> {
        let rets = self.port.hcall(opcode, args);
        if self.traces(EventKind::Hcall) {
            self.emit(Event::Hcall {
                name: papr_abi::hcall::name(opcode),
                args: args.to_vec(),
                rets: rets.clone(),
            });
        }
        rets
    }
}
