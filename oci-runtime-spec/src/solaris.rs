//! The Solaris section of config.json (`solaris`): zone settings.
//!
//! Implements runtime-spec config-solaris.md.

ocikit_spec_core::model! {
    /// Solaris-specific configuration (`solaris`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Solaris ("a solaris object") {
        /// OPTIONAL. SMF FMRI to wait for before starting the process.
        milestone: Option<String> => "milestone" (optional_or_null),
        /// OPTIONAL. Maximum privileges of the zone's processes.
        limitpriv: Option<String> => "limitpriv" (optional_or_null),
        /// OPTIONAL. Maximum shared memory of the zone (`max-shm-memory`).
        max_shm_memory: Option<String> => "maxShmMemory" (optional_or_null),
        /// OPTIONAL. Automatic VNICs of the zone.
        anet: Vec<Anet> => "anet" (default),
        /// OPTIONAL. CPU cap.
        capped_cpu: Option<CappedCpu> => "cappedCPU" (optional_or_null),
        /// OPTIONAL. Memory caps.
        capped_memory: Option<CappedMemory> => "cappedMemory" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// An automatic VNIC (an entry of `solaris.anet`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Anet ("an anet object") {
        /// OPTIONAL. Name of the VNIC.
        linkname: Option<String> => "linkname" (optional_or_null),
        /// OPTIONAL. Datalink the VNIC is created on.
        lower_link: Option<String> => "lowerLink" (optional_or_null),
        /// OPTIONAL. IP addresses the zone may use.
        allowed_address: Option<String> => "allowedAddress" (optional_or_null),
        /// OPTIONAL. Whether to configure `allowedAddress` automatically.
        configure_allowed_address: Option<String> => "configureAllowedAddress" (optional_or_null),
        /// OPTIONAL. Default router.
        defrouter: Option<String> => "defrouter" (optional_or_null),
        /// OPTIONAL. Link protection types.
        link_protection: Option<String> => "linkProtection" (optional_or_null),
        /// OPTIONAL. MAC address.
        mac_address: Option<String> => "macAddress" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// CPU cap (`solaris.cappedCPU`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CappedCpu ("a cappedCPU object") {
        /// OPTIONAL. Number of CPUs, e.g. `8`.
        ncpus: Option<String> => "ncpus" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Memory caps (`solaris.cappedMemory`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CappedMemory ("a cappedMemory object") {
        /// OPTIONAL. Physical memory cap, e.g. `512m`.
        physical: Option<String> => "physical" (optional_or_null),
        /// OPTIONAL. Swap cap, e.g. `512m`.
        swap: Option<String> => "swap" (optional_or_null),
    }
}
