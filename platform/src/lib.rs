//! The OS side of pseries-sim (filled by the platform issue).
