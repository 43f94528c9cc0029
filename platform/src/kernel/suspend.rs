//! Suspend and resume as the OS sees them: the virqs held before, the platform's hooks.

use super::{HeldVirq, Kernel};
use crate::error::Error;
use crate::kernel::ops::ResumeMode;

/// The suspend hook of machines with nothing to do at suspend.
pub fn suspend_nothing(_k: &mut Kernel) -> Result<(), Error> {
    Ok(())
}

/// The resume hook of machines whose OS allocated its vectors itself: they keep them,
/// no firmware renumbers.
pub fn resume_os_allocated(_k: &mut Kernel, mode: ResumeMode) -> Result<(), Error> {
    match mode {
        ResumeMode::Keep => Ok(()),
        ResumeMode::Renumber => Err(Error::RenumberRefused),
    }
}

impl Kernel {
    /// Every MSI virq held now.
    pub fn held_virqs(&self) -> Vec<HeldVirq> {
        let mut v = Vec::new();
        for (d, dev) in self.devices.iter().enumerate() {
            if let Some(m) = &dev.msi {
                for (i, (&virq, &source)) in m.virqs.iter().zip(&m.sources).enumerate() {
                    v.push(HeldVirq {
                        virq,
                        dev: d,
                        vector: i as u32,
                        source,
                    });
                }
            }
        }
        v
    }

    /// Suspends through the platform's hook.
    pub fn suspend(&mut self) -> Result<(), Error> {
        self.snapshot = self.held_virqs();
        self.hook("suspend", "");
        match self.desc.suspend {
            Some(h) => h(self)?,
            None => return Err(Error::SuspendUnsupported),
        }
        self.suspended = true;
        Ok(())
    }

    /// The OS wakes after the firmware resumed the partition: the platform's hook.
    pub fn resume(&mut self, mode: ResumeMode) -> Result<(), Error> {
        if !self.suspended {
            return Err(Error::ResumeWithoutSuspend);
        }
        let how = match mode {
            ResumeMode::Keep => "keep",
            ResumeMode::Renumber => "renumber",
        };
        self.hook("resume", how);
        if self.client.is_some() {
            // The kernel's msi.c has no resume hook: its virqs keep their old sources.
            self.msg("linux client: msi.c has no resume hook; MSI virqs keep their sources".into());
        } else if let Some(h) = self.desc.resume {
            h(self, mode)?;
        }
        self.suspended = false;
        Ok(())
    }
}
