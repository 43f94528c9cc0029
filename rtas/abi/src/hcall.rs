//! Hypervisor calls: the XIVE exploitation calls (LoPAPR's `H_INT_*`), the
//! simulator's own calls in the platform-reserved range 0xF000-0xFFFC, their opcodes,
//! operations, flags and return codes.

/// `H_INT_GET_SOURCE_INFO`: flags, lisn -> flags, EOI page, trigger page, ESB shift.
pub const H_INT_GET_SOURCE_INFO: u64 = 0x3a8;
/// `H_INT_SET_SOURCE_CONFIG`: flags, lisn, target, priority, eisn.
pub const H_INT_SET_SOURCE_CONFIG: u64 = 0x3ac;
/// `H_INT_GET_SOURCE_CONFIG`: flags, lisn -> target, priority, eisn.
pub const H_INT_GET_SOURCE_CONFIG: u64 = 0x3b0;
/// `H_INT_GET_QUEUE_INFO`: flags, target, priority -> queue ESB page, queue shift.
pub const H_INT_GET_QUEUE_INFO: u64 = 0x3b4;
/// `H_INT_SET_QUEUE_CONFIG`: flags, target, priority, qpage, qsize.
pub const H_INT_SET_QUEUE_CONFIG: u64 = 0x3b8;
/// `H_INT_GET_QUEUE_CONFIG`: flags, target, priority -> flags, qpage, qsize[, state].
pub const H_INT_GET_QUEUE_CONFIG: u64 = 0x3bc;
/// `H_INT_ESB`: flags, lisn, offset, data -> the loaded value.
pub const H_INT_ESB: u64 = 0x3c8;
/// `H_INT_SYNC`: flags, lisn.
pub const H_INT_SYNC: u64 = 0x3cc;
/// `H_INT_RESET`: flags.
pub const H_INT_RESET: u64 = 0x3d0;

/// SET_SOURCE_CONFIG flag: set the source's EISN too.
pub const XIVE_SRC_SET_EISN: u64 = 0x2;
/// SET_SOURCE_CONFIG flag: mask the source.
pub const XIVE_SRC_MASK: u64 = 0x1;
/// GET_SOURCE_INFO flag: the ESB is reached through `H_INT_ESB` only.
pub const XIVE_SRC_H_INT_ESB: u64 = 0x8;
/// GET_SOURCE_INFO flag: a level-sensitive source.
pub const XIVE_SRC_LSI: u64 = 0x4;
/// SET/GET_QUEUE_CONFIG flag: always notify.
pub const XIVE_END_ALWAYS_NOTIFY: u64 = 0x1;
/// GET_QUEUE_CONFIG flag: also return the queue's generation and index.
pub const XIVE_END_DEBUG: u64 = 0x1;
/// `H_INT_ESB` flag: a store (else a load).
pub const XIVE_ESB_STORE: u64 = 0x1;

/// Success.
pub const H_SUCCESS: i64 = 0;
/// The call is not implemented or not enabled.
pub const H_FUNCTION: i64 = -2;
/// A bad parameter (reserved flag bits).
pub const H_PARAMETER: i64 = -4;
/// Bad first argument.
pub const H_P1: i64 = -54;
/// Bad second argument.
pub const H_P2: i64 = -55;
/// Bad third argument.
pub const H_P3: i64 = -56;
/// Bad fourth argument.
pub const H_P4: i64 = -57;
/// Bad fifth argument.
pub const H_P5: i64 = -58;

/// The name of an hcall opcode, for traces.
pub fn name(opcode: u64) -> String {
    match opcode {
        H_INT_GET_SOURCE_INFO => "H_INT_GET_SOURCE_INFO".into(),
        H_INT_SET_SOURCE_CONFIG => "H_INT_SET_SOURCE_CONFIG".into(),
        H_INT_GET_SOURCE_CONFIG => "H_INT_GET_SOURCE_CONFIG".into(),
        H_INT_GET_QUEUE_INFO => "H_INT_GET_QUEUE_INFO".into(),
        H_INT_SET_QUEUE_CONFIG => "H_INT_SET_QUEUE_CONFIG".into(),
        H_INT_GET_QUEUE_CONFIG => "H_INT_GET_QUEUE_CONFIG".into(),
        H_INT_ESB => "H_INT_ESB".into(),
        H_INT_SYNC => "H_INT_SYNC".into(),
        H_INT_RESET => "H_INT_RESET".into(),
        H_SIM_MSI_DEVICE => "H_SIM_MSI_DEVICE".into(),
        H_SIM_IRQ_SCHEME => "H_SIM_IRQ_SCHEME".into(),
        H_SIM_IMS => "H_SIM_IMS".into(),
        H_SIM_MSI_MESSAGE => "H_SIM_MSI_MESSAGE".into(),
        o => format!("hcall:{o:#x}"),
    }
}

/// The negotiation call's opcode.
pub const H_SIM_IRQ_SCHEME: u64 = 0xf104;
/// The IMS call's opcode.
pub const H_SIM_IMS: u64 = 0xf108;
/// The MSI/MSI-X message call's opcode.
pub const H_SIM_MSI_MESSAGE: u64 = 0xf10c;
/// Scheme: the old one.
pub const IRQ_SCHEME_OLD: u64 = 0;
/// Scheme: the new one.
pub const IRQ_SCHEME_NEW: u64 = 1;
/// IMS operation: free.
pub const IMS_FREE: u64 = 0;
/// IMS operation: allocate.
pub const IMS_ALLOC: u64 = 1;
/// IMS operation: the message of a slot.
pub const IMS_MESSAGE: u64 = 2;

/// The opcode.
pub const H_SIM_MSI_DEVICE: u64 = 0xf100;
/// Operation: free every source.
pub const MSI_DEVICE_FREE: u64 = 0;
/// Operation: allocate a count of sources.
pub const MSI_DEVICE_ALLOC: u64 = 1;
/// Operation: the message of one vector.
pub const MSI_DEVICE_MESSAGE: u64 = 2;
/// Not enough resources (LoPAPR's H_RESOURCE).
pub const H_RESOURCE: i64 = -16;
