//! The ops table (the kernel's `ppc_md`): hooks a machine description fills. An empty
//! hook falls back to the shared default (`defaults`) or answers "not supported".
//! The table and the kernel refer to each other, so both are defined in `core`.

pub use super::core::{
    ChainedHook, MachineDescription, MsiHook, ReadConfigHook, ResumeHook, StepHook, WriteConfigHook,
};
pub use super::kinds::{MsiType, ResumeMode};
