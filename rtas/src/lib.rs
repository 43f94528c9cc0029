//! Simulated pSeries firmware (filled by the hardware and RTAS issues).
