//! The Windows section of config.json (`windows`): layers, devices,
//! resources, network, Hyper-V isolation.
//!
//! Implements runtime-spec config-windows.md.

use crate::codec::{model, string_enum};

model! {
    /// Windows-specific configuration (`windows`).
    pub struct Windows ("a windows object") {
        /// REQUIRED. Paths of the layer folders: the base layer(s) first,
        /// the sandbox (scratch) layer last; at least one.
        layer_folders: Vec<String> => "layerFolders" (req),
        /// OPTIONAL. Devices made available in the container.
        devices: Vec<WindowsDevice> => "devices" (vec),
        /// OPTIONAL. Resource limits.
        resources: Option<WindowsResources> => "resources" (opt),
        /// OPTIONAL. gMSA credential spec: a JSON object whose members are
        /// implementation-defined, kept as is.
        credential_spec: Option<serde_json::Value> => "credentialSpec" (opt),
        /// OPTIONAL. Start in a mode that applies pending servicing
        /// operations.
        servicing: Option<bool> => "servicing" (opt),
        /// OPTIONAL. Skip disk flushes during container boot.
        ignore_flushes_during_boot: Option<bool> => "ignoreFlushesDuringBoot" (opt),
        /// OPTIONAL. If present, the container MUST run with Hyper-V
        /// isolation.
        hyperv: Option<HyperV> => "hyperv" (opt),
        /// OPTIONAL. Network settings.
        network: Option<WindowsNetwork> => "network" (opt),
    }
}

model! {
    /// A device of the container (an entry of `windows.devices`).
    pub struct WindowsDevice ("a Windows device object") {
        /// REQUIRED. The device the runtime MUST make available.
        id: String => "id" (req),
        /// REQUIRED. How to read `id`; only `class` (an interface class
        /// GUID) is defined.
        id_type: WindowsDeviceIdType => "idType" (req),
    }
}

string_enum! {
    /// How a Windows device `id` is interpreted (`idType`).
    pub enum WindowsDeviceIdType (open, "Windows device id type", default Class) {
        /// A device interface class GUID.
        Class = "class",
    }
}

model! {
    /// Resource limits (`windows.resources`).
    pub struct WindowsResources ("a Windows resources object") {
        /// OPTIONAL. Memory limits.
        memory: Option<WindowsMemory> => "memory" (opt),
        /// OPTIONAL. CPU limits.
        cpu: Option<WindowsCpu> => "cpu" (opt),
        /// OPTIONAL. Storage limits.
        storage: Option<WindowsStorage> => "storage" (opt),
    }
}

model! {
    /// Memory limits (`windows.resources.memory`).
    pub struct WindowsMemory ("a Windows memory object") {
        /// OPTIONAL. Limit of memory usage, bytes.
        limit: Option<u64> => "limit" (opt),
    }
}

model! {
    /// CPU limits (`windows.resources.cpu`).
    pub struct WindowsCpu ("a Windows cpu object") {
        /// OPTIONAL. Number of CPUs available to the container.
        count: Option<u64> => "count" (opt),
        /// OPTIONAL. Relative share of processor time, 0 to 10,000.
        shares: Option<u16> => "shares" (opt),
        /// OPTIONAL. Cycles per 10,000 the container may use (a percentage
        /// times 100).
        maximum: Option<u16> => "maximum" (opt),
        /// OPTIONAL. CPU groups to affinitize to. config-windows.md (the
        /// authority) says an array of objects; config-windows.json of
        /// v1.3.0 describes a single object, which this model rejects.
        affinity: Vec<CpuGroupAffinity> => "affinity" (vec),
    }
}

model! {
    /// A CPU group affinity (an entry of `windows.resources.cpu.affinity`).
    pub struct CpuGroupAffinity ("a CPU group affinity object") {
        /// REQUIRED. CPU mask relative to the group.
        mask: u64 => "mask" (req),
        /// REQUIRED. Processor group.
        group: u32 => "group" (req),
    }
}

model! {
    /// Storage limits (`windows.resources.storage`).
    pub struct WindowsStorage ("a Windows storage object") {
        /// OPTIONAL. Maximum I/O operations per second of the system drive.
        iops: Option<u64> => "iops" (opt),
        /// OPTIONAL. Maximum bytes per second of the system drive.
        bps: Option<u64> => "bps" (opt),
        /// OPTIONAL. Minimum size of the system drive, bytes.
        sandbox_size: Option<u64> => "sandboxSize" (opt),
    }
}

model! {
    /// Hyper-V isolation (`windows.hyperv`).
    pub struct HyperV ("a hyperv object") {
        /// OPTIONAL. Path of the utility VM image.
        utility_vm_path: Option<String> => "utilityVMPath" (opt),
    }
}

model! {
    /// Network settings (`windows.network`).
    pub struct WindowsNetwork ("a Windows network object") {
        /// OPTIONAL. HNS endpoints to connect to.
        endpoint_list: Vec<String> => "endpointList" (vec),
        /// OPTIONAL. Whether unqualified DNS names resolve.
        allow_unqualified_dns_query: Option<bool> => "allowUnqualifiedDNSQuery" (opt),
        /// OPTIONAL. DNS suffixes for name resolution.
        dns_search_list: Vec<String> => "DNSSearchList" (vec),
        /// OPTIONAL. Container whose network stack is shared.
        network_shared_container_name: Option<String> => "networkSharedContainerName" (opt),
        /// OPTIONAL. Network namespace to use; then nothing else may be set.
        network_namespace: Option<String> => "networkNamespace" (opt),
    }
}
