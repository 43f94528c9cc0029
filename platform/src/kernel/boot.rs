//! The boot: client-architecture-support, the probe, RTAS instantiation, setup_arch,
//! init_irq, PHB discovery, MSI init, and the PCI scan with the per-function fix-up.

use super::core::{Client, Kernel, OsOptions, Select};
use super::{defaults, prom_init, RtasTokens};
use crate::error::Error;
use crate::irq::IrqDomain;
use crate::port::Port;
use crate::trace::tracer::{self, Tracer};
use crate::trace::{Event, EventKind};
use of_tree::Tree;

impl Kernel {
    /// Boots from a tree through a port: probe, RTAS instantiation, setup_arch,
    /// init_irq, PHB discovery, MSI init, PCI scan with the per-function fix-up.
    /// Events go to `tracer` when given (and `opts.trace` is on), else into the
    /// kernel's trace.
    pub fn boot(
        mut tree: Tree,
        mut port: Box<dyn Port>,
        select: Select,
        opts: OsOptions,
        tracer: Option<Box<dyn Tracer>>,
    ) -> Result<Kernel, Error> {
        let mut tracer = tracer::for_options(opts.trace, tracer);
        let mut trace = Vec::new();
        let mut record = |tracer: &mut Box<dyn Tracer>, e: Event| {
            if let Some(e) = tracer.take(e) {
                trace.push(e);
            }
        };
        let mut msgs = Vec::new();
        let intc_mode = prom_init::client_architecture_support(
            &mut tree,
            port.as_mut(),
            opts.cas,
            opts.msi_busy,
            &mut msgs,
        )?;
        if let Some(m) = intc_mode {
            msgs.push(format!(
                "client-architecture-support: interrupt controller {}",
                m.to_string().to_uppercase()
            ));
        }
        if tracer.wants(EventKind::Msg) {
            for text in msgs {
                record(&mut tracer, Event::Msg { text });
            }
        }
        let desc = match select {
            Select::Force(d) => d,
            Select::Probe(list) => {
                let mut found = None;
                for d in list {
                    let ok = (d.probe)(&tree);
                    if tracer.wants(EventKind::Hook) {
                        let e = Event::Hook {
                            hook: "probe",
                            machine: d.name,
                            detail: if ok { "accepted" } else { "declined" }.into(),
                        };
                        record(&mut tracer, e);
                    }
                    if ok {
                        found = Some(*d);
                        break;
                    }
                }
                found.ok_or(Error::NoMachine)?
            }
        };
        let rtas = RtasTokens::from_tree(&tree);
        let mut k = Kernel {
            tree,
            port,
            desc,
            rtas,
            hypervisor: false,
            intc: None,
            intc_mode,
            xive: None,
            phbs: Vec::new(),
            msi_enabled: false,
            setup_kind: None,
            new_irq_scheme: false,
            devices: Vec::new(),
            irq: IrqDomain::default(),
            trace,
            tracer,
            opts,
            spurious: 0,
            suspended: false,
            snapshot: Vec::new(),
            platform_data: None,
            tree_generation: 0,
            client_warnings: Vec::new(),
            client: None,
        };
        if let (Client::Built(c), Some(_)) = (opts.client, desc.msi_init) {
            k.client = Some(c.instantiate()?);
        }
        k.hook("setup_arch", "");
        if let Some(h) = desc.setup_arch {
            h(&mut k)?;
        }
        k.hook("init_irq", "");
        match desc.init_irq {
            Some(h) => h(&mut k)?,
            None => defaults::init_irq(&mut k)?,
        }
        k.hook("discover_phbs", "");
        match desc.discover_phbs {
            Some(h) => h(&mut k)?,
            None => defaults::discover_phbs(&mut k)?,
        }
        k.hook("msi_init", "");
        k.msi_enabled = match (k.client.take(), desc.msi_init) {
            (Some(mut inst), Some(_)) => {
                let ok = inst.msi_init(&mut k);
                k.client = Some(inst);
                ok
            }
            (_, Some(h)) => h(&mut k),
            (_, None) => false,
        };
        if !k.msi_enabled {
            k.msg("no MSI support: drivers use LSIs".to_string());
        }
        k.pci_scan()?;
        k.msi_device_scan();
        if opts.eeh {
            k.eeh_probe_all();
        }
        Ok(k)
    }
}
