//! The PCI rules for a register access (size, alignment, range) and why an access
//! was refused.

/// Why a configuration or BAR access was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// Size other than 1, 2 or 4 (8 also for MSI-X tables).
    #[error("access size {0} is not 1, 2 or 4")]
    BadSize(u32),
    /// Offset not a multiple of the size.
    #[error("offset {offset:#x} is not aligned to the access size {size}")]
    Misaligned {
        /// Offset of the access.
        offset: u32,
        /// Size of the access.
        size: u32,
    },
    /// Access past the end of the space.
    #[error("offset {offset:#x} size {size} lies past the {limit:#x}-byte space")]
    OutOfRange {
        /// Offset of the access.
        offset: u32,
        /// Size of the access.
        size: u32,
        /// Size of the space.
        limit: u32,
    },
}

/// Checks the PCI rules for a register access: size 1, 2 or 4, naturally aligned,
/// inside `limit` bytes.
pub fn check_access(offset: u32, size: u32, limit: u32) -> Result<(), AccessError> {
    check_sized(offset, size, limit, &[1, 2, 4])
}

/// The same rules with the sizes a space allows.
pub(crate) fn check_sized(
    offset: u32,
    size: u32,
    limit: u32,
    sizes: &[u32],
) -> Result<(), AccessError> {
    if !sizes.contains(&size) {
        return Err(AccessError::BadSize(size));
    }
    if !offset.is_multiple_of(size) {
        return Err(AccessError::Misaligned { offset, size });
    }
    if offset as u64 + size as u64 > limit as u64 {
        return Err(AccessError::OutOfRange {
            offset,
            size,
            limit,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_rules() {
        assert_eq!(check_access(0, 3, 256), Err(AccessError::BadSize(3)));
        assert_eq!(
            check_access(2, 4, 256),
            Err(AccessError::Misaligned { offset: 2, size: 4 })
        );
        assert!(matches!(
            check_access(256, 1, 256),
            Err(AccessError::OutOfRange { .. })
        ));
        assert!(check_access(255, 1, 256).is_ok());
        assert!(check_access(0xffc, 4, 4096).is_ok());
        assert!(check_access(0x100, 4, 256).is_err());
    }
}
