//! RTAS status codes (`rets[0]`).

/// Success.
pub const SUCCESS: i32 = 0;
/// query-interrupt-source-number: no interrupt assigned.
pub const NO_INTERRUPT: i32 = 1;
/// Hardware error.
pub const HW_ERROR: i32 = -1;
/// Busy: call again.
pub const BUSY: i32 = -2;
/// Parameter error.
pub const PARAM_ERROR: i32 = -3;
/// Extended delay: 9900 + n asks the caller to wait 10^n ms and call again.
pub const EXTENDED_DELAY_BASE: i32 = 9900;
/// suspend-me: the partition cannot be suspended.
pub const NOT_SUSPENDABLE: i32 = -9004;
/// suspend-me: other threads are still active.
pub const THREADS_ACTIVE: i32 = -9005;

/// Whether a status asks the caller to call again (busy or extended delay).
pub fn is_busy(status: i32) -> bool {
    status == BUSY || (EXTENDED_DELAY_BASE..=EXTENDED_DELAY_BASE + 5).contains(&status)
}
