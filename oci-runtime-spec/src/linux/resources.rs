//! cgroup resource limits of a Linux container (`linux.resources`).
//!
//! Implements runtime-spec config-linux.md, "Control groups": devices,
//! memory, cpu, pids, blockIO, hugepage limits, network, rdma and unified,
//! and their rules.

use crate::validate::{Checker, Rule, each, not_one_of};
use std::collections::BTreeMap;

ocikit_spec_core::model! {
    /// cgroup resource limits (`linux.resources`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Resources ("a resources object") {
        /// OPTIONAL. Device allow/deny list, applied in order.
        devices: Vec<DeviceCgroup> => "devices" (default),
        /// OPTIONAL. Memory limits.
        memory: Option<Memory> => "memory" (optional_or_null),
        /// OPTIONAL. CPU limits.
        cpu: Option<Cpu> => "cpu" (optional_or_null),
        /// OPTIONAL. Process number limit.
        pids: Option<Pids> => "pids" (optional_or_null),
        /// OPTIONAL. Block I/O limits.
        block_io: Option<BlockIo> => "blockIO" (optional_or_null),
        /// OPTIONAL. Hugepage limits.
        hugepage_limits: Vec<HugepageLimit> => "hugepageLimits" (default),
        /// OPTIONAL. Network class and priorities.
        network: Option<Network> => "network" (optional_or_null),
        /// OPTIONAL. RDMA limits, keyed by device name (`mlx5_1`).
        rdma: BTreeMap<String, Rdma> => "rdma" (default),
        /// OPTIONAL. cgroup v2 files and values, written as is.
        unified: BTreeMap<String, String> => "unified" (default),
    }
}

ocikit_spec_core::model! {
    /// A device cgroup rule (an entry of `linux.resources.devices`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct DeviceCgroup ("a device cgroup object") {
        /// REQUIRED. Allow (true) or deny (false).
        allow: bool => "allow" (required),
        /// OPTIONAL. Device type: `a` (all), `c` or `b`; all when absent.
        typ: Option<String> => "type" (optional_or_null),
        /// OPTIONAL. Major number; all when absent.
        major: Option<i64> => "major" (optional_or_null),
        /// OPTIONAL. Minor number; all when absent.
        minor: Option<i64> => "minor" (optional_or_null),
        /// OPTIONAL. Access: a combination of `r`, `w` and `m`.
        access: Option<String> => "access" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Memory limits (`linux.resources.memory`). Byte values.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Memory ("a memory object") {
        /// OPTIONAL. Limit of memory usage, bytes.
        limit: Option<i64> => "limit" (optional_or_null),
        /// OPTIONAL. Soft limit, bytes.
        reservation: Option<i64> => "reservation" (optional_or_null),
        /// OPTIONAL. Limit of memory plus swap, bytes.
        swap: Option<i64> => "swap" (optional_or_null),
        /// OPTIONAL, deprecated. Kernel memory limit, bytes.
        kernel: Option<i64> => "kernel" (optional_or_null),
        /// OPTIONAL, deprecated. Kernel TCP buffer limit, bytes.
        kernel_tcp: Option<i64> => "kernelTCP" (optional_or_null),
        /// OPTIONAL. Swappiness, 0 to 100.
        swappiness: Option<u64> => "swappiness" (optional_or_null),
        /// OPTIONAL. Disables the OOM killer.
        disable_oom_killer: Option<bool> => "disableOOMKiller" (optional_or_null),
        /// OPTIONAL. Enables hierarchical accounting (cgroup v1).
        use_hierarchy: Option<bool> => "useHierarchy" (optional_or_null),
        /// OPTIONAL. When true, an update lowering the limit below current
        /// usage MUST fail.
        check_before_update: Option<bool> => "checkBeforeUpdate" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// CPU limits (`linux.resources.cpu`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Cpu ("a cpu object") {
        /// OPTIONAL. Relative share of CPU time.
        shares: Option<u64> => "shares" (optional_or_null),
        /// OPTIONAL. CPU time per period, microseconds.
        quota: Option<i64> => "quota" (optional_or_null),
        /// OPTIONAL. Burst time per period, microseconds.
        burst: Option<u64> => "burst" (optional_or_null),
        /// OPTIONAL. Period of CFS, microseconds.
        period: Option<u64> => "period" (optional_or_null),
        /// OPTIONAL. Real-time runtime per period, microseconds.
        realtime_runtime: Option<i64> => "realtimeRuntime" (optional_or_null),
        /// OPTIONAL. Real-time period, microseconds.
        realtime_period: Option<u64> => "realtimePeriod" (optional_or_null),
        /// OPTIONAL. CPUs allowed, a list like `0-3,7`.
        cpus: Option<String> => "cpus" (optional_or_null),
        /// OPTIONAL. Memory nodes allowed, a list like `0-3,7`.
        mems: Option<String> => "mems" (optional_or_null),
        /// OPTIONAL. cgroup v2 `cpu.idle`: 1 for `SCHED_IDLE`.
        idle: Option<i64> => "idle" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Process number limit (`linux.resources.pids`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Pids ("a pids object") {
        /// REQUIRED. Maximum number of tasks; 0 or less is unlimited.
        limit: i64 => "limit" (required),
    }
}

ocikit_spec_core::model! {
    /// Block I/O limits (`linux.resources.blockIO`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct BlockIo ("a blockIO object") {
        /// OPTIONAL. Relative weight, 10 to 1000.
        weight: Option<u16> => "weight" (optional_or_null),
        /// OPTIONAL. Weight for the cgroup's own tasks, 10 to 1000.
        leaf_weight: Option<u16> => "leafWeight" (optional_or_null),
        /// OPTIONAL. Per-device weights.
        weight_device: Vec<WeightDevice> => "weightDevice" (default),
        /// OPTIONAL. Per-device read limits, bytes per second.
        throttle_read_bps_device: Vec<ThrottleDevice> => "throttleReadBpsDevice" (default),
        /// OPTIONAL. Per-device write limits, bytes per second.
        throttle_write_bps_device: Vec<ThrottleDevice> => "throttleWriteBpsDevice" (default),
        /// OPTIONAL. Per-device read limits, operations per second.
        throttle_read_iops_device: Vec<ThrottleDevice> => "throttleReadIOPSDevice" (default),
        /// OPTIONAL. Per-device write limits, operations per second.
        throttle_write_iops_device: Vec<ThrottleDevice> => "throttleWriteIOPSDevice" (default),
    }
}

ocikit_spec_core::model! {
    /// A per-device weight (`blockIO.weightDevice`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct WeightDevice ("a weight device object") {
        /// REQUIRED. Major number.
        major: i64 => "major" (required),
        /// REQUIRED. Minor number.
        minor: i64 => "minor" (required),
        /// OPTIONAL. Weight, 10 to 1000.
        weight: Option<u16> => "weight" (optional_or_null),
        /// OPTIONAL. Leaf weight, 10 to 1000.
        leaf_weight: Option<u16> => "leafWeight" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// A per-device rate limit (`blockIO.throttle*Device`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ThrottleDevice ("a throttle device object") {
        /// REQUIRED. Major number.
        major: i64 => "major" (required),
        /// REQUIRED. Minor number.
        minor: i64 => "minor" (required),
        /// REQUIRED. The rate: bytes or operations per second.
        rate: u64 => "rate" (required),
    }
}

ocikit_spec_core::model! {
    /// A hugepage limit (an entry of `linux.resources.hugepageLimits`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct HugepageLimit ("a hugepage limit object") {
        /// REQUIRED. Page size, `<size><unit>` with unit `KB`, `MB` or `GB`
        /// (`2MB`); the format is checked by `validate()`, not by parsing.
        page_size: String => "pageSize" (required),
        /// REQUIRED. Limit of hugetlb usage, bytes.
        limit: u64 => "limit" (required),
    }
}

ocikit_spec_core::model! {
    /// Network class and priorities (`linux.resources.network`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Network ("a network object") {
        /// OPTIONAL. Class identifier of the cgroup's packets.
        class_id: Option<u32> => "classID" (optional_or_null),
        /// OPTIONAL. Priorities of traffic per interface.
        priorities: Vec<InterfacePriority> => "priorities" (default),
    }
}

ocikit_spec_core::model! {
    /// Priority of traffic on one interface.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct InterfacePriority ("an interface priority object") {
        /// REQUIRED. Interface name.
        name: String => "name" (required),
        /// REQUIRED. Priority.
        priority: u32 => "priority" (required),
    }
}

ocikit_spec_core::model! {
    /// RDMA limits of one device (a value of `linux.resources.rdma`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Rdma ("an rdma object") {
        /// OPTIONAL. Maximum number of HCA handles.
        hca_handles: Option<u32> => "hcaHandles" (optional_or_null),
        /// OPTIONAL. Maximum number of HCA objects.
        hca_objects: Option<u32> => "hcaObjects" (optional_or_null),
    }
}

/// config-linux.md "Control groups".
pub(crate) fn check(c: &mut Checker, r: &Resources) {
    each(c, "devices", &r.devices, |c, d| {
        if let Some(t) = &d.typ
            && !matches!(t.as_str(), "a" | "c" | "b")
        {
            c.field("type", |c| {
                not_one_of(c, Rule::Resources, &["a", "c", "b"], t)
            });
        }
        if let Some(a) = &d.access
            && !a.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
        {
            c.field("access", |c| {
                c.error(
                    Rule::Resources,
                    format!("must be made of r, w and m, found {a:?}"),
                )
            });
        }
    });
    if let Some(cpu) = &r.cpu
        && let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
        && quota > 0
        && u64::try_from(quota).is_ok_and(|q| q < burst)
    {
        c.field("cpu", |c| {
            c.field("burst", |c| {
                c.error(
                    Rule::Resources,
                    format!("must be no larger than the positive quota ({quota}), found {burst}"),
                )
            })
        });
    }
    if let Some(bio) = &r.block_io {
        c.field("blockIO", |c| {
            each(c, "weightDevice", &bio.weight_device, |c, w| {
                if w.weight.is_none() && w.leaf_weight.is_none() {
                    c.error(
                        Rule::Resources,
                        "must set weight or leafWeight, found neither",
                    );
                }
            })
        });
    }
    each(c, "hugepageLimits", &r.hugepage_limits, |c, h| {
        if !is_page_size(&h.page_size) {
            c.field("pageSize", |c| {
                c.error(
                    Rule::Resources,
                    format!(
                        "must be a size like \"2MB\" (digits, then KB, MB or GB), found {:?}",
                        h.page_size
                    ),
                )
            });
        }
    });
    if !r.rdma.is_empty() {
        c.field("rdma", |c| {
            for (name, rdma) in &r.rdma {
                if rdma.hca_handles.is_none() && rdma.hca_objects.is_none() {
                    c.key(name, |c| {
                        c.error(
                            Rule::Resources,
                            "must set hcaHandles or hcaObjects, found neither",
                        )
                    });
                }
            }
        });
    }
}

/// config-linux.md "HugePage limits": `<size><unit-prefix>B`, the
/// schema's `^[1-9][0-9]*[KMG]B$`.
fn is_page_size(s: &str) -> bool {
    let Some(number) = s
        .strip_suffix("KB")
        .or_else(|| s.strip_suffix("MB"))
        .or_else(|| s.strip_suffix("GB"))
    else {
        return false;
    };
    number.bytes().all(|b| b.is_ascii_digit()) && number.bytes().next().is_some_and(|b| b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_sizes() {
        for good in ["64KB", "2MB", "1GB", "10KB"] {
            assert!(is_page_size(good), "{good}");
        }
        for bad in ["64kB", "0KB", "MB", "2 MB", "2TB", "02MB", "2M"] {
            assert!(!is_page_size(bad), "{bad}");
        }
    }
}
