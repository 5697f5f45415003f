//! The Solaris section of config.json (`solaris`): zone settings.
//!
//! Implements runtime-spec config-solaris.md.

use crate::codec::model;

model! {
    /// Solaris-specific configuration (`solaris`).
    pub struct Solaris ("a solaris object") {
        /// OPTIONAL. SMF FMRI to wait for before starting the process.
        milestone: Option<String> => "milestone" (opt),
        /// OPTIONAL. Maximum privileges of the zone's processes.
        limitpriv: Option<String> => "limitpriv" (opt),
        /// OPTIONAL. Maximum shared memory of the zone (`max-shm-memory`).
        max_shm_memory: Option<String> => "maxShmMemory" (opt),
        /// OPTIONAL. Automatic VNICs of the zone.
        anet: Vec<Anet> => "anet" (vec),
        /// OPTIONAL. CPU cap.
        capped_cpu: Option<CappedCpu> => "cappedCPU" (opt),
        /// OPTIONAL. Memory caps.
        capped_memory: Option<CappedMemory> => "cappedMemory" (opt),
    }
}

model! {
    /// An automatic VNIC (an entry of `solaris.anet`).
    pub struct Anet ("an anet object") {
        /// OPTIONAL. Name of the VNIC.
        linkname: Option<String> => "linkname" (opt),
        /// OPTIONAL. Datalink the VNIC is created on.
        lower_link: Option<String> => "lowerLink" (opt),
        /// OPTIONAL. IP addresses the zone may use.
        allowed_address: Option<String> => "allowedAddress" (opt),
        /// OPTIONAL. Whether to configure `allowedAddress` automatically.
        configure_allowed_address: Option<String> => "configureAllowedAddress" (opt),
        /// OPTIONAL. Default router.
        defrouter: Option<String> => "defrouter" (opt),
        /// OPTIONAL. Link protection types.
        link_protection: Option<String> => "linkProtection" (opt),
        /// OPTIONAL. MAC address.
        mac_address: Option<String> => "macAddress" (opt),
    }
}

model! {
    /// CPU cap (`solaris.cappedCPU`).
    pub struct CappedCpu ("a cappedCPU object") {
        /// OPTIONAL. Number of CPUs, e.g. `8`.
        ncpus: Option<String> => "ncpus" (opt),
    }
}

model! {
    /// Memory caps (`solaris.cappedMemory`).
    pub struct CappedMemory ("a cappedMemory object") {
        /// OPTIONAL. Physical memory cap, e.g. `512m`.
        physical: Option<String> => "physical" (opt),
        /// OPTIONAL. Swap cap, e.g. `512m`.
        swap: Option<String> => "swap" (opt),
    }
}
