//! The Windows section of config.json (`windows`): layers, devices,
//! resources, network, Hyper-V isolation.
//!
//! Implements runtime-spec config-windows.md, its rules, and the Windows
//! path forms the root, process and mount rules use.

use crate::codec::string_enum;
use crate::validate::{Checker, Rule};

ocikit_spec_core::model! {
    /// Windows-specific configuration (`windows`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Windows ("a windows object") {
        /// REQUIRED. Paths of the layer folders: the base layer(s) first,
        /// the sandbox (scratch) layer last; at least one.
        layer_folders: Vec<String> => "layerFolders" (required),
        /// OPTIONAL. Devices made available in the container.
        devices: Vec<WindowsDevice> => "devices" (default),
        /// OPTIONAL. Resource limits.
        resources: Option<WindowsResources> => "resources" (optional_or_null),
        /// OPTIONAL. gMSA credential spec: a JSON object whose members are
        /// implementation-defined, kept as is.
        credential_spec: Option<serde_json::Value> => "credentialSpec" (optional_or_null),
        /// OPTIONAL. Start in a mode that applies pending servicing
        /// operations.
        servicing: Option<bool> => "servicing" (optional_or_null),
        /// OPTIONAL. Skip disk flushes during container boot.
        ignore_flushes_during_boot: Option<bool> => "ignoreFlushesDuringBoot" (optional_or_null),
        /// OPTIONAL. If present, the container MUST run with Hyper-V
        /// isolation.
        hyperv: Option<HyperV> => "hyperv" (optional_or_null),
        /// OPTIONAL. Network settings.
        network: Option<WindowsNetwork> => "network" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// A device of the container (an entry of `windows.devices`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WindowsDevice ("a Windows device object") {
        /// REQUIRED. The device the runtime MUST make available.
        id: String => "id" (required),
        /// REQUIRED. How to read `id`; only `class` (an interface class
        /// GUID) is defined.
        id_type: WindowsDeviceIdType => "idType" (required),
    }
}

string_enum! {
    /// How a Windows device `id` is interpreted (`idType`).
    pub enum WindowsDeviceIdType (open, "Windows device id type", default Class) {
        /// A device interface class GUID.
        Class = "class",
    }
}

ocikit_spec_core::model! {
    /// Resource limits (`windows.resources`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WindowsResources ("a Windows resources object") {
        /// OPTIONAL. Memory limits.
        memory: Option<WindowsMemory> => "memory" (optional_or_null),
        /// OPTIONAL. CPU limits.
        cpu: Option<WindowsCpu> => "cpu" (optional_or_null),
        /// OPTIONAL. Storage limits.
        storage: Option<WindowsStorage> => "storage" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Memory limits (`windows.resources.memory`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WindowsMemory ("a Windows memory object") {
        /// OPTIONAL. Limit of memory usage, bytes.
        limit: Option<u64> => "limit" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// CPU limits (`windows.resources.cpu`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WindowsCpu ("a Windows cpu object") {
        /// OPTIONAL. Number of CPUs available to the container.
        count: Option<u64> => "count" (optional_or_null),
        /// OPTIONAL. Relative share of processor time, 0 to 10,000.
        shares: Option<u16> => "shares" (optional_or_null),
        /// OPTIONAL. Cycles per 10,000 the container may use (a percentage
        /// times 100).
        maximum: Option<u16> => "maximum" (optional_or_null),
        /// OPTIONAL. CPU groups to affinitize to. config-windows.md (the
        /// authority) says an array of objects; config-windows.json of
        /// v1.3.0 describes a single object, which this model rejects.
        affinity: Vec<CpuGroupAffinity> => "affinity" (default),
    }
}

ocikit_spec_core::model! {
    /// A CPU group affinity (an entry of `windows.resources.cpu.affinity`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CpuGroupAffinity ("a CPU group affinity object") {
        /// REQUIRED. CPU mask relative to the group.
        mask: u64 => "mask" (required),
        /// REQUIRED. Processor group.
        group: u32 => "group" (required),
    }
}

ocikit_spec_core::model! {
    /// Storage limits (`windows.resources.storage`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WindowsStorage ("a Windows storage object") {
        /// OPTIONAL. Maximum I/O operations per second of the system drive.
        iops: Option<u64> => "iops" (optional_or_null),
        /// OPTIONAL. Maximum bytes per second of the system drive.
        bps: Option<u64> => "bps" (optional_or_null),
        /// OPTIONAL. Minimum size of the system drive, bytes.
        sandbox_size: Option<u64> => "sandboxSize" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Hyper-V isolation (`windows.hyperv`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct HyperV ("a hyperv object") {
        /// OPTIONAL. Path of the utility VM image.
        utility_vm_path: Option<String> => "utilityVMPath" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Network settings (`windows.network`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WindowsNetwork ("a Windows network object") {
        /// OPTIONAL. HNS endpoints to connect to.
        endpoint_list: Vec<String> => "endpointList" (default),
        /// OPTIONAL. Whether unqualified DNS names resolve.
        allow_unqualified_dns_query: Option<bool> => "allowUnqualifiedDNSQuery" (optional_or_null),
        /// OPTIONAL. DNS suffixes for name resolution.
        dns_search_list: Vec<String> => "DNSSearchList" (default),
        /// OPTIONAL. Container whose network stack is shared.
        network_shared_container_name: Option<String> => "networkSharedContainerName" (optional_or_null),
        /// OPTIONAL. Network namespace to use; then nothing else may be set.
        network_namespace: Option<String> => "networkNamespace" (optional_or_null),
    }
}

/// config-windows.md: `layerFolders` MUST have at least one entry; the CPU
/// limits `count`, `shares` and `maximum` are mutually exclusive, and
/// `shares` and `maximum` are 0 to 10000.
pub(crate) fn check(c: &mut Checker, w: &Windows) {
    if w.layer_folders.is_empty() {
        c.field("layerFolders", |c| {
            c.error(Rule::Windows, "must have at least one entry, found none")
        });
    }
    if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
        c.field("resources", |c| {
            c.field("cpu", |c| {
                let set: Vec<&str> = [
                    ("count", cpu.count.is_some()),
                    ("shares", cpu.shares.is_some()),
                    ("maximum", cpu.maximum.is_some()),
                ]
                .into_iter()
                .filter_map(|(name, present)| present.then_some(name))
                .collect();
                if set.len() > 1 {
                    c.error(
                        Rule::Windows,
                        format!(
                            "count, shares and maximum are mutually exclusive, found {}",
                            set.join(" and ")
                        ),
                    );
                }
                for (name, value) in [("shares", cpu.shares), ("maximum", cpu.maximum)] {
                    if let Some(v) = value
                        && v > 10_000
                    {
                        c.field(name, |c| {
                            c.error(Rule::Windows, format!("must be 0 to 10000, found {v}"))
                        });
                    }
                }
            })
        });
    }
}

/// `\\?\Volume{GUID}\`: a Windows volume GUID path.
pub(crate) fn is_volume_guid_path(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("\\\\?\\Volume{") else {
        return false;
    };
    let rest = rest.strip_suffix('\\').unwrap_or(rest);
    let Some(guid) = rest.strip_suffix('}') else {
        return false;
    };
    guid.len() == 36
        && guid.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A Windows absolute path: `C:\...` (or `C:/...`), or a `\\` UNC or
/// device path.
pub(crate) fn is_windows_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || s.starts_with("\\\\")
}

/// A Windows path compared case-insensitively with `\` separators and no
/// trailing separator.
pub(crate) fn windows_key(s: &str) -> String {
    let mut k = s.replace('/', "\\").to_ascii_lowercase();
    while k.len() > 3 && k.ends_with('\\') {
        k.pop();
    }
    k
}

/// Whether `inner` lies inside (or is) `outer`.
pub(crate) fn nested(outer: &str, inner: &str) -> bool {
    inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| outer.ends_with('\\') || rest.starts_with('\\'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths() {
        assert!(is_volume_guid_path(
            "\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"
        ));
        assert!(!is_volume_guid_path("C:\\rootfs"));
        assert!(!is_volume_guid_path("\\\\?\\Volume{ec84d99e}\\"));
        assert!(is_windows_absolute("c:\\foo"));
        assert!(!is_windows_absolute("foo\\bar"));
        assert!(nested("c:\\foo", "c:\\foo\\bar"));
        assert!(!nested("c:\\foo", "c:\\foobar"));
    }
}
